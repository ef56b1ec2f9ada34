package images

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
)

// ExecCommand is slipway's hidden subcommand that the builder's container runs as its entrypoint: it
// makes the container's cgroups writable, as a privileged container has them (one given buildkitd's
// privileges one by one has them read-only, and runc could not make a cgroup for a RUN step), then
// becomes buildkitd.
//
//	slipway buildkitd-exec /usr/local/bin/buildkitd --root /var/lib/buildkit …
const ExecCommand = "buildkitd-exec"

// ExecBuildkitd makes the container's read-only cgroups writable, then executes args (buildkitd and
// its flags) in place of this program.
func ExecBuildkitd(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: slipway %s BUILDKITD [FLAGS]", ExecCommand)
	}
	mountinfo, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, m := range readOnlyCgroups(string(mountinfo)) {
		flags := uintptr(syscall.MS_REMOUNT | syscall.MS_BIND)
		for _, o := range m.Options {
			flags |= map[string]uintptr{"nosuid": syscall.MS_NOSUID, "nodev": syscall.MS_NODEV, "noexec": syscall.MS_NOEXEC, "relatime": syscall.MS_RELATIME}[o]
		}
		if err := syscall.Mount("", m.Path, "", flags, ""); err != nil {
			return fmt.Errorf("make %s writable for buildkitd's steps: %w", m.Path, err)
		}
	}
	return syscall.Exec(args[0], args, os.Environ())
}

// cgroupMount is a cgroup file system mounted read-only, with its mount's other options.
type cgroupMount struct {
	Path    string
	Options []string // of the mount point: nosuid, nodev, noexec, relatime …
}

// readOnlyCgroups lists the cgroup (v1 or v2) mounts of a /proc/self/mountinfo that are read-only
// (proc(5): the mount point is field 5, its options field 6, the file system type follows "-").
func readOnlyCgroups(mountinfo string) []cgroupMount {
	var out []cgroupMount
	sc := bufio.NewScanner(strings.NewReader(mountinfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		sep := slices.Index(f, "-")
		if sep < 6 || sep+1 >= len(f) || (f[sep+1] != "cgroup" && f[sep+1] != "cgroup2") {
			continue
		}
		opts := strings.Split(f[5], ",")
		if !slices.Contains(opts, "ro") {
			continue
		}
		out = append(out, cgroupMount{Path: unescapeMountPath(f[4]), Options: slices.DeleteFunc(opts, func(o string) bool { return o == "ro" })})
	}
	return out
}

// unescapeMountPath undoes mountinfo's octal escapes of space, tab, newline and backslash.
func unescapeMountPath(p string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(p)
}

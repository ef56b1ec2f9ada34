package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
	"github.com/slipway-actions/slipway/internal/testenv"
)

// groupsHelperEnv makes this test binary a parent in other groups (TestRun_LeavesTheParentsGroupsBehind).
const groupsHelperEnv = "SLIPWAY_SANDBOX_TEST_GROUPS"

func TestMain(m *testing.M) {
	if os.Getenv(groupsHelperEnv) == "1" {
		own, _ := os.Getgroups()
		var out bytes.Buffer
		cmd := exec.Command("/bin/sh", "-c", `sed -n 's/^Groups:[[:space:]]*//p' /proc/self/status`)
		cmd.Stdout = &out
		err := Run(cmd, Options{})
		fmt.Printf("parent=%v child=%q err=%v\n", own, strings.TrimSpace(out.String()), err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// requireActive skips a test of the sandbox where it does not act (not root: a developer's laptop).
func requireActive(t *testing.T) {
	t.Helper()
	if !Active() {
		testenv.Missing(t, "root", "the sandbox acts only when slipway runs as root on Linux (and not under SLIPWAY_SANDBOX=off)")
	}
}

// python is the image's interpreter (Debian's), which every user may run.
func python(t *testing.T) string {
	t.Helper()
	const p = "/usr/bin/python3"
	if _, err := os.Stat(p); err != nil {
		testenv.Require(t, p, err)
	}
	return p
}

// sandboxed runs argv in dir, sandboxed or as it is, and returns its output and error.
func sandboxed(t *testing.T, sandbox bool, dir string, argv ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, []string{"PATH=/usr/bin:/bin", "HOME=/root", "TMPDIR=/tmp"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	var err error
	if sandbox {
		err = Run(cmd, Options{})
	} else {
		err = cmd.Run()
	}
	return out.String(), err
}

// The command runs as UID:GID with no supplementary group, no capability and no_new_privs, in a
// home of its own that it can write and that is gone when it ends.
func TestRun_AsTheSandboxUserInAHomeOfItsOwn(t *testing.T) {
	t.Parallel()
	requireActive(t)
	out, err := sandboxed(t, true, "/", "/bin/sh", "-c",
		`grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|NoNewPrivs):' /proc/self/status; echo "home=$HOME tmp=$TMPDIR cache=$XDG_CACHE_HOME"; `+
			`mkdir -p "$XDG_CACHE_HOME" && touch "$HOME/written" "$TMPDIR/tmp" && echo wrote`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	id := strconv.Itoa(UID)
	for k, want := range map[string]string{"Uid": strings.Repeat(id+" ", 3) + id, "Gid": strings.Repeat(strconv.Itoa(GID)+" ", 3) + strconv.Itoa(GID),
		"Groups": "", "CapEff": "0000000000000000", "CapPrm": "0000000000000000", "NoNewPrivs": "1"} {
		if fields[k] != want {
			t.Errorf("%s: %q, want %q\n%s", k, fields[k], want, out)
		}
	}
	if !strings.Contains(out, "wrote") {
		t.Errorf("the command could not write its home:\n%s", out)
	}
	_, after, _ := strings.Cut(out, "home=")
	home, _, _ := strings.Cut(after, " ")
	if home == "" || home == "/root" || !strings.Contains(out, "tmp="+home+" cache="+filepath.Join(home, ".cache")) {
		t.Errorf("HOME, TMPDIR and XDG_CACHE_HOME are not a home of its own:\n%s", out)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the command's home %s is left behind (%v)", home, err)
	}
}

// What makes a sandbox worth having: the command cannot use a Docker socket (root's, of another
// group; the host's own when there is one), read the environment of slipway's processes, read a
// file only root may read, or become root again through a setuid program. The same command run as
// it is does each of these: the test proves something.
func TestRun_CannotReachTheDockerSocketRootsEnvironmentOrRootsFiles(t *testing.T) {
	t.Parallel()
	requireActive(t)
	py := python(t)
	dir := sandboxtest.Dir(t)
	// A socket like the runner's /var/run/docker.sock: root's, mode 0660, of a group (docker's).
	sock := filepath.Join(dir, "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Read(make([]byte, 4096)) // the request
			_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\n[{\"Env\":[\"INPUT_K=s\"]}]"))
			c.Close()
		}
	}()
	if err := os.Chown(sock, 0, 105); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o660); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("root-only"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A setuid-root program: id, which says whether it runs as root.
	suid := filepath.Join(dir, "id")
	if b, err := os.ReadFile("/usr/bin/id"); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(suid, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(suid, 0o4755); err != nil {
		t.Fatal(err)
	}
	sockets := []string{sock}
	if st, err := os.Stat("/var/run/docker.sock"); err == nil && st.Mode()&os.ModeSocket != 0 {
		sockets = append(sockets, "/var/run/docker.sock")
	}
	script := `
import os, socket, subprocess, sys
for path in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
    except OSError as e:
        print("no socket", path, e.errno)
        continue
    s.sendall(b"GET /containers/json HTTP/1.0\r\nHost: x\r\n\r\n")
    print("docker API", path, s.recv(200)[:40])
for pid in (str(os.getppid()), "1", "self"):
    try:
        open("/proc/%s/environ" % pid, "rb").read()
        print("environ read", pid)
    except OSError as e:
        print("no environ", pid, e.errno)
try:
    print("secret read", open("` + secret + `").read())
except OSError as e:
    print("no secret", e.errno)
print("setuid", subprocess.run(["` + suid + `", "-u"], capture_output=True, text=True).stdout.strip())
`
	argv := append([]string{py, "-c", script}, sockets...)
	free, err := sandboxed(t, false, dir, argv...)
	if err != nil {
		t.Fatalf("as it is: %v\n%s", err, free)
	}
	jailed, err := sandboxed(t, true, dir, argv...)
	if err != nil {
		t.Fatalf("sandboxed: %v\n%s", err, jailed)
	}
	for _, c := range []struct{ free, jailed string }{
		{"docker API " + sock, "no socket " + sock + " 13"},
		{"environ read " + strconv.Itoa(os.Getpid()), "no environ " + strconv.Itoa(os.Getpid()) + " 13"},
		{"secret read root-only", "no secret 13"},
		{"setuid 0", "setuid " + strconv.Itoa(UID)},
	} {
		if !strings.Contains(free, c.free) {
			t.Errorf("as it is, the command did not get %q: the test proves nothing\n%s", c.free, free)
		}
		if !strings.Contains(jailed, c.jailed) {
			t.Errorf("sandboxed, the command did not get %q:\n%s", c.jailed, jailed)
		}
	}
	// pid 1 (in a container action: the action's first process, started with every input in its
	// environment) is root's too; root itself may be kept from it where pid 1 is another's (a VM).
	for _, got := range []string{"docker API", "environ read 1", "secret read", "setuid 0"} {
		if strings.Contains(jailed, got) {
			t.Errorf("sandboxed, the command got %q:\n%s", got, jailed)
		}
	}
	if len(sockets) > 1 && !strings.Contains(jailed, "no socket /var/run/docker.sock 13") {
		t.Errorf("sandboxed, the command reached this machine's Docker socket:\n%s", jailed)
	}
	// Its own environment it may read: the check of the others is not blind.
	if !strings.Contains(jailed, "environ read self") {
		t.Errorf("sandboxed, the command could not read its own environment:\n%s", jailed)
	}
}

// A directory in Writes is the command's to write for its run, then all of it is its owner's
// again; one not named stays out of reach.
func TestRun_WritesAreHandedOverForTheRunOnly(t *testing.T) {
	t.Parallel()
	requireActive(t)
	dir := sandboxtest.Dir(t)
	cache, fresh, other := filepath.Join(dir, "cache"), filepath.Join(dir, "new", "venv"), filepath.Join(dir, "other")
	const runner = 1001 // the runner's user, who owns a restored cache
	for _, d := range []string{cache, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "sub", "old"), []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{d, filepath.Join(d, "sub"), filepath.Join(d, "sub", "old")} {
			if err := os.Chown(p, runner, runner); err != nil {
				t.Fatal(err)
			}
		}
	}
	cmd := exec.Command("/bin/sh", "-c", `echo new >"$0/sub/old" && mkdir "$0/made" && touch "$0/made/file" "$1/file" && `+
		`if touch "$2/sub/file" 2>/dev/null; then echo "wrote $2"; fi`, cache, fresh, other)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := Run(cmd, Options{Writes: []string{cache, fresh}}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "wrote") {
		t.Errorf("the command wrote a directory it was not handed: %s", out.String())
	}
	owners := map[string]int{cache: runner, filepath.Join(cache, "sub", "old"): runner, filepath.Join(cache, "made", "file"): runner,
		fresh: 0, filepath.Join(fresh, "file"): 0, filepath.Join(other, "sub"): runner}
	for p, want := range owners {
		st, err := os.Lstat(p)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if uid := int(st.Sys().(*syscall.Stat_t).Uid); uid != want {
			t.Errorf("%s belongs to uid %d after the run, want %d", p, uid, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(cache, "sub", "old")); string(b) != "new\n" {
		t.Errorf("the command did not write the handed-over file: %q", b)
	}
}

// Handing a directory over never reaches outside it: not through a link the sandbox user left
// there (to a file or a directory), nor a hard link to a file elsewhere; and a directory that is
// itself a link is refused.
func TestRun_AHandoverFollowsNoLink(t *testing.T) {
	t.Parallel()
	requireActive(t)
	dir := sandboxtest.Dir(t)
	outside, outsideDir, cache := filepath.Join(dir, "outside"), filepath.Join(dir, "outside-dir"), filepath.Join(dir, "cache")
	if err := os.WriteFile(outside, []byte("root's"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{outsideDir, cache} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(cache, 1001, 1001); err != nil { // taken back to 1001: a followed link would show
		t.Fatal(err)
	}
	for name, link := range map[string]func(string, string) error{"symlink": os.Symlink, "hardlink": os.Link} {
		if err := link(outside, filepath.Join(cache, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outsideDir, filepath.Join(cache, "dirlink")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", `for f in "$0/symlink" "$0/hardlink" "$0/dirlink/new"; do `+
		`if echo x >>"$f"; then echo "wrote $f"; fi; done 2>/dev/null; touch "$0/mine"`, cache)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := Run(cmd, Options{Writes: []string{cache}}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "wrote") {
		t.Errorf("the command wrote outside what it was handed:\n%s", out.String())
	}
	for _, p := range []string{outside, outsideDir} {
		if st, _ := os.Stat(p); st.Sys().(*syscall.Stat_t).Uid != 0 {
			t.Errorf("the handover reached %s through a link: it belongs to uid %d", p, st.Sys().(*syscall.Stat_t).Uid)
		}
	}
	if st, err := os.Lstat(filepath.Join(cache, "mine")); err != nil || st.Sys().(*syscall.Stat_t).Uid != 1001 {
		t.Errorf("the command's file was not taken back (%v)", err)
	}
	linked := filepath.Join(dir, "linked")
	if err := os.Symlink(cache, linked); err != nil {
		t.Fatal(err)
	}
	if err := Run(exec.Command("/bin/true"), Options{Writes: []string{linked}}); err == nil {
		t.Errorf("a directory that is a link was handed over")
	}
}

// The sandbox keeps what the caller set for the process (its own process group, here) and a
// cancel still kills the command, which runs as another user.
func TestRun_KeepsTheCallersAttributesAndCancels(t *testing.T) {
	t.Parallel()
	requireActive(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `echo "pgid=$(cut -d' ' -f5 /proc/$$/stat)"; exec sleep 30`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	err := Run(cmd, Options{})
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the cancel took %s", took)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Errorf("err = %v, want the killed command's exit", err)
	}
	if pgid := strings.TrimSpace(strings.TrimPrefix(out.String(), "pgid=")); pgid != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("the command's process group is %q, want its own (%d)", pgid, cmd.Process.Pid)
	}
}

// The command belongs to no group of its parent's: slipway in the Docker socket's group (as a
// runner's user may be) does not pass that group on.
func TestRun_LeavesTheParentsGroupsBehind(t *testing.T) {
	t.Parallel()
	requireActive(t)
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), groupsHelperEnv+"=1")
	parent.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{4, 105}}}
	out, err := parent.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != `parent=[4 105] child="" err=<nil>` {
		t.Errorf("got %s, want the parent in groups 4 and 105 and the command in none", got)
	}
}

// A command the sandbox user may not run, or whose directory it may not enter, says so.
func TestRun_SaysWhatTheSandboxUserCouldNotReach(t *testing.T) {
	t.Parallel()
	requireActive(t)
	private := t.TempDir() // root's alone
	cmd := exec.Command("/bin/true")
	cmd.Dir = private
	err := Run(cmd, Options{})
	if err == nil || !errors.Is(err, syscall.EACCES) || !strings.Contains(err.Error(), "every user must be able to run it and to enter \""+private+"\"") {
		t.Errorf("err = %v, want one naming the directory the sandbox user could not enter", err)
	}
}

// Turned off (a test binary only), the command runs as it is: as root.
func TestRun_OffInATestRunsAsItIs(t *testing.T) {
	if !canDrop() {
		testenv.Missing(t, "root", "not root: nothing to turn off")
	}
	t.Setenv(offEnv, "off")
	out, err := sandboxed(t, true, "/", "/bin/sh", "-c", "id -u")
	if err != nil || strings.TrimSpace(out) != "0" {
		t.Errorf("id -u = %q (%v), want 0", out, err)
	}
}

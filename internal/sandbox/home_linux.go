package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// newHome makes a directory of the sandbox user's own (mode 0700) in the temporary directory, for
// one command.
func newHome() (string, error) {
	base := os.TempDir()
	if err := reachable(base); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(base, "slipway-sandbox-")
	if err != nil {
		return "", fmt.Errorf("sandbox: make the command's home: %w", err)
	}
	if err := os.Chown(dir, UID, GID); err != nil {
		os.Remove(dir)
		return "", fmt.Errorf("sandbox: make the command's home: %w", err)
	}
	return dir, nil
}

// withHome is env with HOME and TMPDIR set to home and XDG_CACHE_HOME below it, then the
// variables of extra (KEY=VALUE), each replacing any of that name.
func withHome(env []string, home string, extra []string) []string {
	set := append([]string{"HOME=" + home, "TMPDIR=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, ".cache")}, extra...)
	out := make([]string, 0, len(env)+len(set))
	for _, kv := range env {
		if !slices.ContainsFunc(set, func(s string) bool { return sameKey(s, kv) }) {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

func sameKey(a, b string) bool {
	ka, _, _ := strings.Cut(a, "=")
	kb, _, _ := strings.Cut(b, "=")
	return ka == kb
}

// reachable says why the sandbox user could not reach dir: a directory on the way to it that
// others may not search (root's home, where a developer's TMPDIR may be).
func reachable(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("sandbox: the temporary directory: %w", err)
	}
	for d := real; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("sandbox: the temporary directory: %w", err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("sandbox: the sandbox user (uid %d) cannot reach the temporary directory %s: others may not "+
				"search %s; set TMPDIR to a directory it can reach, such as /tmp", UID, dir, d)
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}

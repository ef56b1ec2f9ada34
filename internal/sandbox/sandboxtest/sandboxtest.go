// Package sandboxtest gives tests directories that commands run in the sandbox can use. Tests that
// run as root run those commands as the sandbox user, which cannot even enter a t.TempDir (root's,
// mode 0700), while a workspace on a runner is readable by every user.
package sandboxtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir is a t.TempDir that every user may read and enter, as a checked-out workspace: for a
// workspace, a project, a HOME or anything else a sandboxed command reads.
func Dir(t testing.TB) string {
	t.Helper()
	return tempDir(t, 0o755)
}

// WritableDir is a t.TempDir that every user may write: for what a sandboxed command leaves for the
// test to find (a mark, a pid file).
func WritableDir(t testing.TB) string {
	t.Helper()
	return tempDir(t, 0o777)
}

func tempDir(t testing.TB, mode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	// t.TempDir makes dir in a directory of the test's own, root's alone as well.
	for d, m := range map[string]os.FileMode{dir: mode, filepath.Dir(dir): 0o755} {
		if err := os.Chmod(d, m); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

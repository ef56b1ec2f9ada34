package linttest

import (
	"os"
	"path/filepath"
	"testing"
)

// WriteFiles writes files (slash path → text) below dir, making directories as needed.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := write(filepath.Join(dir, filepath.FromSlash(name)), text); err != nil {
			t.Fatal(err)
		}
	}
}

// GiveToRunnerUser hands dir and everything in it to uid 1001, the runner's user on GitHub-hosted
// runners, as a checkout is when a container action (root) reads it.
func GiveToRunnerUser(t testing.TB, dir string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 1001, 1001)
	})
	if err != nil {
		t.Fatal(err)
	}
}

package images

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecompressor_PrefersIgzipThenUnpigzAsContainerdDoes(t *testing.T) {
	t.Parallel()
	dir := func(files map[string]os.FileMode) string {
		d := t.TempDir()
		for n, mode := range files {
			if err := os.WriteFile(filepath.Join(d, n), []byte("#!/bin/sh\n"), mode); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	unpigz := dir(map[string]os.FileMode{"unpigz": 0o755})
	igzip := dir(map[string]os.FileMode{"igzip": 0o755})
	notExec := dir(map[string]os.FileMode{"igzip": 0o644})
	path := func(dirs ...string) string { return strings.Join(dirs, string(filepath.ListSeparator)) }
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, igzip) // igzip's directory, relative to the current one
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"nothing", path(t.TempDir()), "Go's compress/gzip"},
		{"unpigz", path(unpigz), "unpigz"},
		{"igzip wins wherever it is", path(unpigz, igzip), "igzip"},
		{"not executable", path(notExec, unpigz), "unpigz"},
		{"a relative entry is not looked in", path(rel, unpigz), "unpigz"},
	} {
		if got := Decompressor(tc.path); got != tc.want {
			t.Errorf("%s: Decompressor(%q) = %q, want %q", tc.name, tc.path, got, tc.want)
		}
	}
}

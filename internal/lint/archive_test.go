package lint

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
)

func TestArchive_RoundTripKeepsFilesModesAndLinks(t *testing.T) {
	t.Parallel()
	src := filepath.Join(t.TempDir(), "venv")
	linttest.WriteFiles(t, src, map[string]string{"pyvenv.cfg": "home = /usr/bin\n", "bin/tool": "#!/bin/sh\n", "lib/site/m.py": "x = 1\n", "lib/site/__pycache__/m.pyc": "junk"})
	if err := os.Chmod(filepath.Join(src, "bin/tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/bin/python3", filepath.Join(src, "bin/python")); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	file := filepath.Join(cache, "venv", "k1.tar")
	if err := archive(src, file); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("archive mode %v (%v), want 0644: the cache step reads it as another user", st.Mode(), err)
	}
	dst := filepath.Join(t.TempDir(), "venv")
	if err := unpack(file, dst); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dst, "bin/tool")); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("bin/tool: %v %v, want mode 0755", st, err)
	}
	if l, err := os.Readlink(filepath.Join(dst, "bin/python")); err != nil || l != "/usr/bin/python3" {
		t.Errorf("bin/python links to %q (%v)", l, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "pyvenv.cfg")); string(b) != "home = /usr/bin\n" {
		t.Errorf("pyvenv.cfg = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "lib/site/m.py")); string(b) != "x = 1\n" {
		t.Errorf("lib/site/m.py = %q", b)
	}
	if exists(filepath.Join(dst, "lib/site/__pycache__")) {
		t.Errorf("__pycache__ was archived")
	}
	if b, _ := os.ReadFile(filepath.Join(cache, ".gitignore")); !strings.Contains(string(b), "*") {
		t.Errorf("the cache directory is not ignored by git: %q", b)
	}
	// A second archive replaces the first: the cache holds one environment.
	if err := archive(src, filepath.Join(cache, "venv", "k2.tar")); err != nil {
		t.Fatal(err)
	}
	if exists(file) {
		t.Errorf("the previous archive is still there")
	}
}

func TestUnpack_RefusesEntriesThatLeaveTheEnvironment(t *testing.T) {
	t.Parallel()
	// OUTSIDE stands for a directory outside the environment, made per case; nothing may land there.
	for name, entries := range map[string][]tar.Header{
		"parent path": {{Name: "../escaped", Typeflag: tar.TypeReg, Mode: 0o644}},
		"absolute":    {{Name: "/tmp/escaped", Typeflag: tar.TypeReg, Mode: 0o644}},
		"through a link": {
			{Name: "lib", Typeflag: tar.TypeSymlink, Linkname: "OUTSIDE"},
			{Name: "lib/escaped", Typeflag: tar.TypeReg, Mode: 0o644},
		},
		"through a link named ./lnk": {
			{Name: "./lnk", Typeflag: tar.TypeSymlink, Linkname: "OUTSIDE"},
			{Name: "lnk/evil", Typeflag: tar.TypeReg, Mode: 0o644},
		},
		"through a link named a/../lnk": {
			{Name: "a", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "a/../lnk", Typeflag: tar.TypeSymlink, Linkname: "OUTSIDE"},
			{Name: "lnk/evil", Typeflag: tar.TypeReg, Mode: 0o644},
		},
		"through a relative link": {
			{Name: "lnk", Typeflag: tar.TypeSymlink, Linkname: "../../OUTSIDE"},
			{Name: "lnk/evil", Typeflag: tar.TypeReg, Mode: 0o644},
		},
		"a file named a/./b": {{Name: "a/./b", Typeflag: tar.TypeReg, Mode: 0o644}},
		"a device":           {{Name: "dev", Typeflag: tar.TypeChar}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			base := t.TempDir()
			outside := filepath.Join(base, "OUTSIDE")
			if err := os.Mkdir(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(base, "bad.tar")
			f, err := os.Create(file)
			if err != nil {
				t.Fatal(err)
			}
			tw := tar.NewWriter(f)
			for _, h := range entries {
				if h.Linkname == "OUTSIDE" {
					h.Linkname = outside
				}
				if err := tw.WriteHeader(&h); err != nil {
					t.Fatal(err)
				}
			}
			tw.Close()
			f.Close()
			dst := filepath.Join(base, "venvs", "venv")
			if err := os.Mkdir(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := unpack(file, dst); err == nil {
				t.Errorf("unpack accepted it")
			}
			if exists(dst) {
				t.Errorf("a refused archive left %s behind", dst)
			}
			if left, _ := os.ReadDir(outside); len(left) != 0 {
				t.Errorf("unpack wrote outside the environment: %v", left)
			}
		})
	}
}

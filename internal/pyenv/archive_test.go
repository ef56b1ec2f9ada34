package pyenv

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

func TestArchive_RoundTripKeepsFilesModesAndLinks(t *testing.T) {
	t.Parallel()
	src := filepath.Join(sandboxtest.Dir(t), "venv")
	linttest.WriteFiles(t, src, map[string]string{"pyvenv.cfg": "home = /usr/bin\n", "bin/tool": "#!/bin/sh\n", "lib/site/m.py": "x = 1\n", "lib/site/__pycache__/m.pyc": "junk"})
	if err := os.Chmod(filepath.Join(src, "bin/tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/usr/bin/python3", filepath.Join(src, "bin/python")); err != nil {
		t.Fatal(err)
	}
	cache := sandboxtest.Dir(t)
	file := filepath.Join(cache, "venv", "k1.tar")
	if _, err := archive(src, file, "k1"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("archive mode %v (%v), want 0644: the cache step reads it as another user", st.Mode(), err)
	}
	dst := filepath.Join(sandboxtest.Dir(t), "venv")
	if err := unpack(file, dst, "k1"); err != nil {
		t.Fatal(err)
	}
	if err := verifyDir(dst, "k1"); err != nil {
		t.Errorf("the unpacked environment is not what its manifest says: %v", err)
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
	if _, err := archive(src, filepath.Join(cache, "venv", "k2.tar"), "k2"); err != nil {
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
			base := sandboxtest.Dir(t)
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
			if err := unpack(file, dst, "k"); err == nil {
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

// tarEntry is one entry of an archive, read whole.
type tarEntry struct {
	hdr  tar.Header
	body []byte
}

func readTar(t *testing.T, file string) []tarEntry {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tarEntry
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{*hdr, body})
	}
}

func writeTar(t *testing.T, file string, entries []tarEntry) {
	t.Helper()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	for _, e := range entries {
		e.hdr.Size = int64(len(e.body))
		if err := tw.WriteHeader(&e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// A cached archive is whatever the last cache writer saved: one that is not exactly what its
// manifest says is refused whole, and nothing of it is left to run.
func TestUnpack_RefusesAnArchiveThatIsNotWhatItsManifestSays(t *testing.T) {
	t.Parallel()
	src := filepath.Join(sandboxtest.Dir(t), "venv")
	linttest.WriteFiles(t, src, map[string]string{"pyvenv.cfg": "home = /usr/bin\n", "lib/site-packages/m.py": "x = 1\n", "lib/site-packages/n.py": "y = 2\n"})
	good := filepath.Join(sandboxtest.Dir(t), "good.tar")
	if _, err := archive(src, good, "k"); err != nil {
		t.Fatal(err)
	}
	orig := readTar(t, good)
	index := func(name string) int {
		for i, e := range orig {
			if e.hdr.Name == name {
				return i
			}
		}
		t.Fatalf("no entry %s", name)
		return -1
	}
	last := len(orig) - 1
	if orig[last].hdr.Name != manifestName {
		t.Fatalf("the manifest is not the last entry: %s", orig[last].hdr.Name)
	}
	edit := func(f func(es []tarEntry) []tarEntry) []tarEntry {
		es := make([]tarEntry, len(orig))
		copy(es, orig)
		return f(es)
	}
	pth := tarEntry{tar.Header{Name: "lib/site-packages/evil.pth", Typeflag: tar.TypeReg, Mode: 0o644}, []byte("import os; os.system('touch /tmp/pwned')\n")}
	for name, c := range map[string]struct {
		entries []tarEntry
		key     string
		want    string
	}{
		"a file's content changed": {edit(func(es []tarEntry) []tarEntry {
			i := index("lib/site-packages/m.py")
			es[i].body = []byte("import os; os.system('touch /tmp/pwned')\n")
			return es
		}), "k", `"lib/site-packages/m.py" is not what its manifest says`},
		"a .pth file added": {edit(func(es []tarEntry) []tarEntry {
			return append(append(es[:last:last], pth), orig[last])
		}), "k", `"lib/site-packages/evil.pth" is not in its manifest`},
		"a file removed": {edit(func(es []tarEntry) []tarEntry {
			i := index("lib/site-packages/n.py")
			return append(es[:i:i], es[i+1:]...)
		}), "k", `"lib/site-packages/n.py" of its manifest is missing`},
		"a mode changed": {edit(func(es []tarEntry) []tarEntry {
			es[index("lib/site-packages/m.py")].hdr.Mode = 0o755
			return es
		}), "k", `is not what its manifest says`},
		"an entry after the manifest": {edit(func(es []tarEntry) []tarEntry { return append(es, pth) }), "k", "follows the manifest"},
		"no manifest":                 {edit(func(es []tarEntry) []tarEntry { return es[:last] }), "k", "no manifest"},
		"another environment's":       {orig, "other-key", `its manifest is for environment "k"`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(sandboxtest.Dir(t), "venv.tar")
			writeTar(t, file, c.entries)
			dst := filepath.Join(sandboxtest.Dir(t), "venv")
			err := unpack(file, dst, c.key)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("unpack: %v, want an error saying %q", err, c.want)
			}
			if exists(dst) {
				t.Errorf("a refused archive left %s behind", dst)
			}
		})
	}
}

// An unpacked environment is reused only while it is what its manifest says.
func TestVerifyDir_RefusesAChangedEnvironment(t *testing.T) {
	t.Parallel()
	src := filepath.Join(sandboxtest.Dir(t), "venv")
	linttest.WriteFiles(t, src, map[string]string{"lib/site-packages/m.py": "x = 1\n"})
	file := filepath.Join(sandboxtest.Dir(t), "venv.tar")
	m, err := archive(src, file, "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeManifest(src, m); err != nil {
		t.Fatal(err)
	}
	linttest.WriteFiles(t, src, map[string]string{"lib/site-packages/__pycache__/m.cpython-311.pyc": "compiled"})
	if err := verifyDir(src, "k"); err != nil {
		t.Fatalf("__pycache__, which Python writes where it runs, made it refused: %v", err)
	}
	linttest.WriteFiles(t, src, map[string]string{"lib/site-packages/evil.pth": "import os\n"})
	if err := verifyDir(src, "k"); err == nil || !strings.Contains(err.Error(), "evil.pth") {
		t.Errorf("an added .pth file: %v", err)
	}
	if err := verifyDir(sandboxtest.Dir(t), "k"); !errors.Is(err, errIncomplete) {
		t.Errorf("a directory without a manifest: %v, want errIncomplete", err)
	}
}

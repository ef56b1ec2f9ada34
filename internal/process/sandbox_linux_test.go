package process

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
	"github.com/slipway-actions/slipway/internal/testenv"
)

// requireSandbox skips a test of what the sandbox changes where it does not act (not root).
func requireSandbox(t *testing.T) {
	t.Helper()
	if !sandbox.Active() {
		testenv.Missing(t, "root", "processes run in the sandbox only when slipway runs as root on Linux (in its container)")
	}
}

// pip, in the sandbox, makes the environment and builds a local setuptools project (as a
// requirements file's "./libs/x" and "-e ./libs/y" ask) without writing the workspace: setuptools
// would write its egg-info beside the sources, and the sandbox user may not; it writes it in its own
// home. Only the build/ directory handed over is written, and the environment is root's again
// when pip is done.
func TestRun_PipBuildsALocalProjectWithoutWritingTheWorkspace(t *testing.T) {
	t.Parallel()
	requireSandbox(t)
	const python = "/usr/bin/python3"
	env := Environ(func(k string) string { return map[string]string{"PATH": "/usr/bin:/bin", "PIP_NO_INDEX": "1"}[k] })
	if o, err := Run(context.Background(), Command{Argv: []string{python, "-c", "import setuptools, pip"}, Dir: NeutralDir, Env: env.Query()}); err != nil || o.Code != 0 {
		testenv.Missing(t, "pip and setuptools of "+python, fmt.Sprintf("it cannot import them (to build offline): %v %s", err, o.Stderr))
	}
	ws := sandboxtest.Dir(t)
	files := map[string]string{}
	for _, name := range []string{"lib_a", "lib_b"} {
		files["libs/"+name+"/pyproject.toml"] = "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n" +
			"[project]\nname = \"" + strings.ReplaceAll(name, "_", "-") + "\"\nversion = \"1.0\"\n"
		files["libs/"+name+"/src/"+name+"/__init__.py"] = "NAME = " + strconv.Quote(name) + "\n"
	}
	linttest.WriteFiles(t, ws, files)
	before := tree(t, ws)
	venv := filepath.Join(sandboxtest.Dir(t), "venv")
	ctx := context.Background()
	if o, err := Run(ctx, Command{Argv: []string{python, "-m", "venv", "--system-site-packages", "--without-pip", venv},
		Dir: NeutralDir, Env: env.Query(), Writes: []string{venv}}); err != nil || o.Code != 0 {
		t.Fatalf("venv: %v %s", err, o.Stderr)
	}
	builds := []string{filepath.Join(ws, "libs", "lib_a", "build"), filepath.Join(ws, "libs", "lib_b", "build")}
	o, err := Run(ctx, Command{Argv: []string{filepath.Join(venv, "bin", "python"), "-m", "pip", "install", "--no-build-isolation",
		"./libs/lib_a", "-e", "./libs/lib_b"}, Dir: ws, Env: Override(env.Pip(), []string{"VIRTUAL_ENV=" + venv}), Writes: append([]string{venv}, builds...)})
	if err != nil || o.Code != 0 {
		t.Fatalf("pip: %v\n%s%s", err, o.Stdout, o.Stderr)
	}
	o, err = Run(ctx, Command{Argv: []string{filepath.Join(venv, "bin", "python"), "-c", "import lib_a, lib_b; print(lib_a.NAME, lib_b.__file__)"}, Dir: NeutralDir, Env: env.Query()})
	if want := "lib_a " + filepath.Join(ws, "libs", "lib_b", "src", "lib_b", "__init__.py"); err != nil || strings.TrimSpace(o.Stdout) != want {
		t.Errorf("the environment imports %q (%v %s), want %q", o.Stdout, err, o.Stderr, want)
	}
	for _, b := range builds {
		os.RemoveAll(b) // as Install does with the build/ directories it made
	}
	if after := tree(t, ws); after != before {
		t.Errorf("pip changed the workspace:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if err := filepath.WalkDir(venv, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if uid := info.Sys().(*syscall.Stat_t).Uid; uid != 0 {
			t.Errorf("%s belongs to uid %d after pip, want root's: a linter in the sandbox could change the environment", p, uid)
			return filepath.SkipAll
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// tree lists every path below dir with its owner and mode.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + strconv.Itoa(int(st.Uid)) + " " + info.Mode().String() + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

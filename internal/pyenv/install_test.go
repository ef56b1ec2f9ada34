package pyenv

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/process"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// testLinters are lint-python's linters as internal/lint gives them to ReadPlan, by name.
var testLinters = map[string]Linter{
	"ruff":   {Dist: "ruff", Hooks: []string{"ruff", "ruff-check"}},
	"flake8": {Dist: "flake8", Hooks: []string{"flake8"}},
	"black":  {Dist: "black", Hooks: []string{"black"}},
	"isort":  {Dist: "isort", Hooks: []string{"isort"}},
	"pylint": {Dist: "pylint", Hooks: []string{"pylint"}},
	"mypy":   {Dist: "mypy", Hooks: []string{"mypy"}},
}

// testDists are the distributions of every linter lint-python knows, as internal/lint gives them
// to Install.
var testDists = []string{"ruff", "flake8", "black", "isort", "pylint", "mypy"}

func lintersNamed(names ...string) []Linter {
	var out []Linter
	for _, n := range names {
		out = append(out, testLinters[n])
	}
	return out
}

// requireTools skips (or fails under SLIPWAY_REQUIRE_DOCKER=1) when a linter is not installed: the
// environment is made over its interpreter.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		_, err := exec.LookPath(n)
		dockertest.Require(t, "the linter "+n, err)
	}
}

// install plans and makes the project's environment for the linters named (each on PATH by its
// name), with its archive in cache.
func install(t *testing.T, dir, cache, venvs string, getenv func(string) string, tools []string) *Environment {
	t.Helper()
	plan, err := ReadPlan(dir, "auto", lintersNamed(tools...))
	if err != nil {
		t.Fatal(err)
	}
	env, err := Install(context.Background(), plan, Options{VenvRoot: venvs, CacheDir: cache, Executables: tools, Dists: testDists, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestInstall_PipFailureSaysWhatToDo(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8")
	index := linttest.Index(t)
	dir, getenv := linttest.Project(t, index, map[string]string{"requirements-dev.txt": "no-such-package-slipway==1.0\n"})
	plan, err := ReadPlan(dir, "auto", lintersNamed("flake8"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Install(context.Background(), plan, Options{VenvRoot: sandboxtest.Dir(t), CacheDir: sandboxtest.Dir(t), Executables: []string{"flake8"}, Dists: testDists, Getenv: getenv})
	var ie *InstallError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "no-such-package-slipway") || !strings.Contains(err.Error(), "install: none") {
		t.Fatalf("err = %v, want an InstallError naming the package and the way out", err)
	}
}

func TestInstall_RelativePathsInARequirementsFileAreTheProjects(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8")
	files := linttest.LocalProject("", "slipway-proj", "1.0", map[string]string{"slipway_proj/__init__.py": "NAME = 'proj'\n"})
	for k, v := range linttest.LocalProject("libs/helper", "slipway-helper", "2.0", map[string]string{"slipway_helper/__init__.py": "NAME = 'helper'\n"}) {
		files[k] = v
	}
	// The file sits below the project, as requirements/dev.txt does; pip reads its paths against
	// the directory it runs in, the project's.
	files["requirements/dev.txt"] = "-e .\n./libs/helper\n"
	dir, getenv := linttest.Project(t, linttest.Index(t), files)
	plan, err := ReadPlan(dir, "requirements/dev.txt", lintersNamed("flake8"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := Install(context.Background(), plan, Options{VenvRoot: sandboxtest.Dir(t), CacheDir: sandboxtest.Dir(t), Executables: []string{"flake8"}, Dists: testDists, Getenv: getenv})
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	o, err := process.Run(context.Background(), process.Command{Argv: []string{env.Python, "-c",
		"import slipway_proj, slipway_helper; print(slipway_proj.__file__); print(slipway_helper.NAME)"}, Dir: sandboxtest.Dir(t), Env: process.Environ(getenv).Pip()})
	if err != nil || o.Code != 0 {
		t.Fatalf("the environment does not import the project and its local library: %v %s", err, o.Stderr)
	}
	// -e . is the project's own tree (editable), ./libs/helper a copy built from libs/helper.
	if lines := strings.Fields(o.Stdout); len(lines) != 2 || lines[0] != filepath.Join(dir, "src", "slipway_proj", "__init__.py") || lines[1] != "helper" {
		t.Errorf("imported %q, want the project's own src/slipway_proj and the helper", o.Stdout)
	}
	if exists(filepath.Join(dir, "libs", "helper", "build")) {
		t.Errorf("the helper's build left libs/helper/build in the project, for the linters to walk into")
	}

	// The local projects' build files are part of the key: a new dependency of the project is a
	// new environment.
	keyOf := func() string {
		p, err := ReadPlan(dir, "requirements/dev.txt", lintersNamed("flake8"))
		if err != nil {
			t.Fatal(err)
		}
		return p.key("/usr/bin/python3", "3.11")
	}
	before := keyOf()
	linttest.WriteFiles(t, dir, map[string]string{"libs/helper/setup.cfg": "[options]\ninstall_requires = requests\n"})
	if keyOf() == before {
		t.Errorf("a changed build file of ./libs/helper keeps the key")
	}
}

func TestInstall_AnImageWithOtherPackagesIsAnotherEnvironment(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8")
	index := linttest.Index(t, linttest.Flake8Plugin)
	dir, getenv := linttest.Project(t, index, map[string]string{"requirements-dev.txt": "flake8-slipway==0.3.0\n"})
	cache := sandboxtest.Dir(t)
	first := install(t, dir, cache, sandboxtest.Dir(t), getenv, []string{"flake8"})

	// The next image has one more package (here on PYTHONPATH, which the image's interpreter reads):
	// on a fresh runner with the cache restored, the old archive must not be reused.
	extra := sandboxtest.Dir(t)
	linttest.WriteFiles(t, extra, map[string]string{"slipway_image_extra-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: slipway-image-extra\nVersion: 1.0\n"})
	upgraded := func(k string) string {
		if k == "PYTHONPATH" {
			return extra
		}
		return getenv(k)
	}
	next := install(t, dir, cache, sandboxtest.Dir(t), upgraded, []string{"flake8"})
	if next.Key == first.Key || next.How != "installed" {
		t.Errorf("after the image changed: key %s (was %s), %s; want a new key, installed", next.Key, first.Key, next.How)
	}
}

// Whoever can save a cache entry writes the archive the next run restores. One that is not exactly
// what its manifest says is deleted and the environment made afresh: the code added to it never runs.
func TestInstall_ATamperedCachedEnvironmentIsRebuiltNotRun(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8")
	index := linttest.Index(t, linttest.Flake8Plugin)
	dir, getenv := linttest.Project(t, index, map[string]string{"requirements-dev.txt": "flake8-slipway==0.3.0\n"})
	cache := sandboxtest.Dir(t)
	first := install(t, dir, cache, sandboxtest.Dir(t), getenv, []string{"flake8"})

	// A .pth file in site-packages runs at every start of the environment's interpreter (Install
	// starts it to read the linters' versions): it leaves a mark if it ever runs.
	mark := filepath.Join(sandboxtest.Dir(t), "ran")
	entries := readTar(t, first.Archive)
	last := len(entries) - 1
	site := ""
	for _, e := range entries {
		if e.hdr.Typeflag == tar.TypeDir && strings.HasSuffix(e.hdr.Name, "/site-packages") {
			site = e.hdr.Name
		}
	}
	if site == "" {
		t.Fatal("no site-packages in the archive")
	}
	pth := tarEntry{tar.Header{Name: site + "/slipway-evil.pth", Typeflag: tar.TypeReg, Mode: 0o644},
		[]byte("import os; open(" + strconv.Quote(mark) + ", 'w').close()\n")}
	writeTar(t, first.Archive, append(append(entries[:last:last], pth), entries[last]))

	var log []string
	plan, err := ReadPlan(dir, "auto", lintersNamed("flake8"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := Install(context.Background(), plan, Options{VenvRoot: sandboxtest.Dir(t), CacheDir: cache, Executables: []string{"flake8"}, Dists: testDists, Getenv: getenv,
		Progress: func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }})
	if err != nil {
		t.Fatal(err)
	}
	if env.How != "installed" || !strings.Contains(env.Rejected, "slipway-evil.pth") || env.Key != first.Key {
		t.Errorf("environment %s (key %s), rejected %q; want installed afresh, saying the added file", env.How, env.Key, env.Rejected)
	}
	if !strings.Contains(strings.Join(log, "\n"), "deleted, making the environment afresh") {
		t.Errorf("the log does not say the archive was refused:\n%s", strings.Join(log, "\n"))
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the code added to the cached environment ran")
	}
	for _, e := range readTar(t, env.Archive) {
		if strings.HasSuffix(e.hdr.Name, "slipway-evil.pth") {
			t.Errorf("the new archive still holds %s", e.hdr.Name)
		}
	}
	// The rebuilt environment runs flake8 as internal/lint does (python -m flake8, from its interpreter).
	if d, ok := env.Distribution("flake8"); !ok || d.Version == "" {
		t.Fatalf("the rebuilt environment does not import flake8: %+v", d)
	}
	o, err := process.Run(context.Background(), process.Command{Argv: []string{env.Python, "-m", "flake8", "--version"}, Dir: process.NeutralDir,
		Env: process.Environ(getenv).Linter(env.Activate(getenv)...)})
	if err != nil || o.Code != 0 {
		t.Fatalf("the rebuilt environment does not run flake8: %v %s", err, o.Stderr)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the code added to the cached environment ran")
	}
}

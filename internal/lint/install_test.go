package lint

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/process"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// project is a project directory with files, and a getenv that has pip reach index (a PEP 503 index
// on loopback; PyPI is out of reach).
func project(t *testing.T, index string, files map[string]string) (string, func(string) string) {
	t.Helper()
	dir := sandboxtest.Dir(t)
	linttest.WriteFiles(t, dir, files)
	home := sandboxtest.Dir(t)
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": home, "PIP_INDEX_URL": index, "LANG": "C.UTF-8"}
	return dir, func(k string) string { return env[k] }
}

// install plans and makes the project's environment, with its archive in cache.
func install(t *testing.T, dir, cache, venvs string, getenv func(string) string, tools []string) *Environment {
	t.Helper()
	plan, err := PlanInstall(dir, "auto", tools)
	if err != nil {
		t.Fatal(err)
	}
	env, err := Install(context.Background(), plan, InstallOptions{VenvRoot: venvs, CacheDir: cache, Tools: tools, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func resultOf(t *testing.T, rep *Report, tool string) ToolResult {
	t.Helper()
	for _, r := range rep.Tools {
		if r.Tool == tool {
			return r
		}
	}
	t.Fatalf("no result for %s", tool)
	return ToolResult{}
}

func codes(rep *Report) string {
	var out []string
	for _, f := range rep.Findings {
		out = append(out, f.Tool+":"+f.Code)
	}
	return strings.Join(out, " ")
}

func TestInstall_DependencyPluginAndPinFromTheProject(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8", "black", "pylint", "mypy")
	index := linttest.Index(t, linttest.TypedDependency, linttest.Flake8Plugin, linttest.StandInBlack("24.99.0"))
	dir, getenv := project(t, index, map[string]string{
		"pyproject.toml": "[project]\nname = \"p\"\ndependencies = [\"slipway-greeting==1.2.0\"]\n\n[tool.black]\n\n[tool.mypy]\n\n" +
			"[tool.pylint.main]\ndisable = [\"missing-module-docstring\"]\n",
		"requirements-dev.txt": "flake8-slipway==0.3.0\n",
		preCommitConfig:        "repos:\n- repo: https://github.com/psf/black-pre-commit-mirror\n  rev: 24.99.0\n  hooks: [{id: black}]\n",
		"setup.cfg":            "[flake8]\n",
		"app/__init__.py":      "",
		"app/hello.py":         "\"\"\"Hello.\"\"\"\nfrom slipway_greeting import greet\n\n\ndef count() -> int:\n    \"\"\"Count.\"\"\"\n    return greet(\"you\")\n",
		"app/needs_black.py":   "x = {  'a':1 }\n",
	})
	tools := []string{"flake8", "black", "pylint", "mypy"}
	ctx := context.Background()

	// The image's linters alone: the dependency is missing, the plugin too, black is the image's.
	bare, err := Run(ctx, Options{Workspace: dir, Dir: dir, Tools: tools, Explicit: true, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pylint:E0401", "mypy:import", "black:format"} {
		if !strings.Contains(codes(bare)+" ", want) {
			t.Errorf("without the environment, no %s: the test proves nothing (%s)", want, codes(bare))
		}
	}

	cache, venvs := sandboxtest.Dir(t), sandboxtest.Dir(t)
	env := install(t, dir, cache, venvs, getenv, tools)
	if env.How != "installed" || !exists(env.Archive) {
		t.Fatalf("environment %+v, want installed and archived", env)
	}
	rep, err := Run(ctx, Options{Workspace: dir, Dir: dir, Tools: tools, Explicit: true, Env: env, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	got := codes(rep)
	if strings.Contains(got, "E0401") || strings.Contains(got, "mypy:import") {
		t.Errorf("an installed dependency is still an import error: %s", got)
	}
	// mypy read the dependency's types: greet returns str, count promises int.
	if !strings.Contains(got, "mypy:return-value") {
		t.Errorf("mypy did not check the call against the installed types: %s", got)
	}
	if !strings.Contains(got, "flake8:SLW100") {
		t.Errorf("the pinned flake8 plugin's code is not reported: %s", got)
	}
	if strings.Contains(got, "black:") {
		t.Errorf("black findings from the image's black, not the pinned stand-in: %s", got)
	}
	for tool, want := range map[string][2]string{
		"black":  {"24.99.0", preCommitConfig},
		"flake8": {"", "image"},
	} {
		r := resultOf(t, rep, tool)
		if (want[0] != "" && r.Version != want[0]) || r.Version == "" || r.From != want[1] {
			t.Errorf("%s: version %q from %q, want %q from %q", tool, r.Version, r.From, want[0], want[1])
		}
	}

	// The next run on this machine reuses it; on a fresh machine with the cache restored, the
	// archive is unpacked, and it works the same.
	if again := install(t, dir, cache, venvs, getenv, tools); again.How != "reused" || again.Key != env.Key {
		t.Errorf("second install: %s with key %s, want reused %s", again.How, again.Key, env.Key)
	}
	fresh := install(t, dir, cache, sandboxtest.Dir(t), getenv, tools)
	if fresh.How != "restored" {
		t.Fatalf("install with the cache on a fresh machine: %s, want restored", fresh.How)
	}
	rep, err = Run(ctx, Options{Workspace: dir, Dir: dir, Tools: []string{"flake8"}, Explicit: true, Env: fresh, Getenv: getenv})
	if err != nil || !strings.Contains(codes(rep), "flake8:SLW100") {
		t.Errorf("the restored environment lost the plugin: %v %s", err, codes(rep))
	}
	// A changed requirement is a new key, a new environment, and the old archive goes.
	linttest.WriteFiles(t, dir, map[string]string{"requirements-dev.txt": "flake8-slipway==0.3.0\n# changed\n"})
	changed := install(t, dir, cache, venvs, getenv, tools)
	if changed.Key == env.Key || changed.How != "installed" || exists(env.Archive) {
		t.Errorf("after a requirements change: key %s (was %s), %s, old archive kept: %v", changed.Key, env.Key, changed.How, exists(env.Archive))
	}
	if archives, _ := filepath.Glob(filepath.Join(cache, "venv", "*.tar")); len(archives) != 1 {
		t.Errorf("archives in the cache: %v, want one", archives)
	}
}

func TestInstall_PipFailureSaysWhatToDo(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8")
	index := linttest.Index(t)
	dir, getenv := project(t, index, map[string]string{"requirements-dev.txt": "no-such-package-slipway==1.0\n"})
	plan, err := PlanInstall(dir, "auto", []string{"flake8"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Install(context.Background(), plan, InstallOptions{VenvRoot: sandboxtest.Dir(t), CacheDir: sandboxtest.Dir(t), Tools: []string{"flake8"}, Getenv: getenv})
	var ie *InstallError
	if !errorAs(err, &ie) || !strings.Contains(err.Error(), "no-such-package-slipway") || !strings.Contains(err.Error(), "install: none") {
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
	dir, getenv := project(t, linttest.Index(t), files)
	plan, err := PlanInstall(dir, "requirements/dev.txt", []string{"flake8"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := Install(context.Background(), plan, InstallOptions{VenvRoot: sandboxtest.Dir(t), CacheDir: sandboxtest.Dir(t), Tools: []string{"flake8"}, Getenv: getenv})
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
		p, err := PlanInstall(dir, "requirements/dev.txt", []string{"flake8"})
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

// imageVersion is the version of dist that the image's interpreter (the one tool's script runs on)
// has installed.
func imageVersion(t *testing.T, getenv func(string) string, tool, dist string) string {
	t.Helper()
	base := baseInterpreter(getenv, []string{tool})
	d, err := distributions(context.Background(), base, getenv, []string{dist})
	if err != nil || d[dist].Version == "" {
		t.Fatalf("%s has no %s (%v)", base, dist, err)
	}
	return d[dist].Version
}

func TestInstall_APinEqualToTheImagesVersionRunsFromTheEnvironment(t *testing.T) {
	t.Parallel()
	requireTools(t, "black")
	_, probe := project(t, "", nil)
	v := imageVersion(t, probe, "black", "black")
	// The index serves a stand-in at the image's version: whichever black runs shows itself.
	index := linttest.Index(t, linttest.StandInBlack(v))
	dir, getenv := project(t, index, map[string]string{
		preCommitConfig:  "repos:\n- repo: https://github.com/psf/black-pre-commit-mirror\n  rev: " + v + "\n  hooks: [{id: black}]\n",
		"pyproject.toml": "[tool.black]\n",
		"needs_black.py": "x = {  'a':1 }\n",
	})
	env := install(t, dir, sandboxtest.Dir(t), sandboxtest.Dir(t), getenv, []string{"black"})
	if loc := env.dists["black"].Location; !strings.HasPrefix(loc, env.Dir+string(os.PathSeparator)) {
		t.Errorf("the pinned black is the image's (%s), not installed in the environment %s", loc, env.Dir)
	}
	rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"black"}, Explicit: true, Env: env, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if r := resultOf(t, rep, "black"); r.Version != v || r.From != preCommitConfig || len(r.Findings) != 0 {
		t.Errorf("black %s from %q with %d findings; want the pinned stand-in %s from %s, which finds nothing", r.Version, r.From, len(r.Findings), v, preCommitConfig)
	}
}

func TestInstall_AnImageWithOtherPackagesIsAnotherEnvironment(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8")
	index := linttest.Index(t, linttest.Flake8Plugin)
	dir, getenv := project(t, index, map[string]string{"requirements-dev.txt": "flake8-slipway==0.3.0\n"})
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
	dir, getenv := project(t, index, map[string]string{"requirements-dev.txt": "flake8-slipway==0.3.0\n"})
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
	plan, err := PlanInstall(dir, "auto", []string{"flake8"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := Install(context.Background(), plan, InstallOptions{VenvRoot: sandboxtest.Dir(t), CacheDir: cache, Tools: []string{"flake8"}, Getenv: getenv,
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
	rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"flake8"}, Explicit: true, Env: env, Getenv: getenv})
	if err != nil || resultOf(t, rep, "flake8").Version == "" {
		t.Fatalf("the rebuilt environment does not run flake8: %v", err)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("the code added to the cached environment ran")
	}
}

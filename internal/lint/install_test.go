package lint

import (
	"context"
	"github.com/slipway-actions/slipway/internal/failure"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/process"
	"github.com/slipway-actions/slipway/internal/pyenv"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

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
	dir, getenv := linttest.Project(t, index, map[string]string{
		"pyproject.toml": "[project]\nname = \"p\"\ndependencies = [\"slipway-greeting==1.2.0\"]\n\n[tool.black]\n\n[tool.mypy]\n\n" +
			"[tool.pylint.main]\ndisable = [\"missing-module-docstring\"]\n",
		"requirements-dev.txt": "flake8-slipway==0.3.0\n",
		pyenv.PreCommitConfig:  "repos:\n- repo: https://github.com/psf/black-pre-commit-mirror\n  rev: 24.99.0\n  hooks: [{id: black}]\n",
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
		"black":  {"24.99.0", pyenv.PreCommitConfig},
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

// imageVersion is the version of dist that the image's interpreter (the one tool's script runs on)
// has installed.
func imageVersion(t *testing.T, getenv func(string) string, tool, dist string) string {
	t.Helper()
	base := pyenv.ScriptInterpreter(process.LookPath(getenv, tool), getenv)
	if base == "" {
		t.Fatalf("%s is not a Python script", tool)
	}
	d, err := pyenv.Distributions(context.Background(), base, getenv, []string{dist})
	if err != nil || d[dist].Version == "" {
		t.Fatalf("%s has no %s (%v)", base, dist, err)
	}
	return d[dist].Version
}

func TestInstall_APinEqualToTheImagesVersionRunsFromTheEnvironment(t *testing.T) {
	t.Parallel()
	requireTools(t, "black")
	_, probe := linttest.Project(t, "", nil)
	v := imageVersion(t, probe, "black", "black")
	// The index serves a stand-in at the image's version: whichever black runs shows itself.
	index := linttest.Index(t, linttest.StandInBlack(v))
	dir, getenv := linttest.Project(t, index, map[string]string{
		pyenv.PreCommitConfig: "repos:\n- repo: https://github.com/psf/black-pre-commit-mirror\n  rev: " + v + "\n  hooks: [{id: black}]\n",
		"pyproject.toml":      "[tool.black]\n",
		"needs_black.py":      "x = {  'a':1 }\n",
	})
	env := install(t, dir, sandboxtest.Dir(t), sandboxtest.Dir(t), getenv, []string{"black"})
	if d, _ := env.Distribution("black"); !strings.HasPrefix(d.Location, env.Dir+string(os.PathSeparator)) {
		t.Errorf("the pinned black is the image's (%s), not installed in the environment %s", d.Location, env.Dir)
	}
	rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"black"}, Explicit: true, Env: env, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	if r := resultOf(t, rep, "black"); r.Version != v || r.From != pyenv.PreCommitConfig || len(r.Findings) != 0 {
		t.Errorf("black %s from %q with %d findings; want the pinned stand-in %s from %s, which finds nothing", r.Version, r.From, len(r.Findings), v, pyenv.PreCommitConfig)
	}
}

// PlanInstall gives pyenv the distribution and pre-commit hooks of each tool that will run, from the
// table, and any problem with what install asks for is the input's.
func TestPlanInstall_PinsTheToolsThatRunAndErrsAsInput(t *testing.T) {
	t.Parallel()
	dir := sandboxtest.Dir(t)
	linttest.WriteFiles(t, dir, map[string]string{pyenv.PreCommitConfig: "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n" +
		"  rev: v0.4.1\n  hooks: [{id: ruff-check}, {id: ruff-format}]\n- repo: https://github.com/psf/black-pre-commit-mirror\n" +
		"  rev: 24.2.0\n  hooks: [{id: black}]\n"})
	plan, err := PlanInstall(dir, "auto", []string{"ruff-format"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(plan.Requirements, " "); got != "ruff==0.4.1" || plan.Pins["ruff"] != pyenv.PreCommitConfig {
		t.Errorf("requirements %q, pins %v; want ruff==0.4.1 from ruff-format's hook alone", got, plan.Pins)
	}
	_, err = PlanInstall(dir, "requirements-ci.txt", []string{"ruff-format"})
	if failure.Of(err) != failure.Input || !strings.Contains(err.Error(), `install: "requirements-ci.txt" is not a requirements file`) {
		t.Errorf("err = %v, want bad input naming the file", err)
	}
}

package lintpython

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/lint"
	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

const planted = "../../internal/lint/testdata/planted"

func requireLinters(t *testing.T) {
	t.Helper()
	for _, n := range []string{"flake8", "black", "isort", "pylint", "mypy"} {
		_, err := exec.LookPath(n)
		dockertest.Require(t, "the linter "+n, err)
	}
}

// plantedWorkspace is a fake runner whose workspace holds a copy of the planted project under api/.
// The linters are found on the runner's PATH, as the action finds them in its image.
func plantedWorkspace(t *testing.T) (*actiontest.Runner, string) {
	t.Helper()
	r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	if err := os.Rename(actiontest.CopyDir(t, planted), filepath.Join(ws, "api")); err != nil {
		t.Fatal(err)
	}
	return r, ws
}

// runner is a fake runner with an empty workspace of its own, and the PATH and HOME the linters need.
func runner(t *testing.T) *actiontest.Runner {
	t.Helper()
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"] = sandboxtest.Dir(t)
	r.Env["PATH"] = os.Getenv("PATH")
	r.Env["HOME"] = sandboxtest.Dir(t)
	return r
}

func TestLintPython_PlantedProjectFailsWithExactAnnotations(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	r, ws := plantedWorkspace(t)
	r.Input("working-directory", "api").Input("sarif-file", "out/lint.sarif")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1 (findings); log:\n%s", res.Code, res.Stdout)
	}
	var rep lint.Report
	if res.Outputs["report"] != ".slipway/lint-report.json" {
		t.Errorf("report output %q, want the default inside the workspace, relative to it", res.Outputs["report"])
	}
	b, err := os.ReadFile(filepath.Join(ws, res.Outputs["report"]))
	if err != nil {
		t.Fatalf("report output %q: %v", res.Outputs["report"], err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(res.Outputs["findings"]); n != len(rep.Findings) || n < 15 {
		t.Errorf("findings output %q, report has %d", res.Outputs["findings"], len(rep.Findings))
	}
	for _, f := range rep.Findings {
		if !strings.HasPrefix(f.File, "api/app/") {
			t.Errorf("finding path %q is not relative to the workspace root", f.File)
		}
	}
	// Annotations land on workspace paths, every field as the finding says, at most 10 per level;
	// the rest are in the summary.
	for _, c := range actiontest.Commands(res.Stdout) {
		switch c.Name {
		case "add-mask", "set-output", "set-env", "add-path":
			t.Errorf("the run issued %q: untrusted linter output escaped (%q)", c.Name, c.Message)
		}
	}
	checkAnnotations(t, res.Stdout, res.Summary, &rep)
	// Findings the planted project holds whatever the linters' versions, as GitHub shows them.
	for _, want := range []actionkit.Annotation{
		{Level: actionkit.LevelError, File: "api/app/models.py", Line: 1, Col: 1, Title: "flake8 F401", Message: "'os' imported but unused"},
		{Level: actionkit.LevelError, File: "api/app/models.py", Line: 1, Col: 10, Title: "flake8 E401", Message: "multiple imports on one line"},
	} {
		if !slices.Contains(actiontest.Annotations(res.Stdout), want) {
			t.Errorf("no annotation %+v", want)
		}
	}
	if !strings.Contains(res.Summary, "| flake8 |") || !strings.Contains(res.Summary, "More annotations") {
		t.Errorf("summary lacks the per-linter table or the overflow:\n%s", res.Summary)
	}
	// pylint's fixme message carries "::set-output" from a comment: it reaches the log only inside a
	// stop-commands block, and never as an output.
	if !strings.Contains(res.Stdout, "TODO ::set-output name=findings::0") {
		t.Errorf("the planted fixme finding is missing from the log")
	}
	if res.Outputs["sarif-file"] != "out/lint.sarif" {
		t.Errorf("sarif-file output %q", res.Outputs["sarif-file"])
	}
	checkSARIF(t, filepath.Join(ws, "out", "lint.sarif"), &rep)
	if len(res.Outputs) != 3 {
		t.Errorf("outputs = %v, want findings, report, sarif-file", res.Outputs)
	}
}

func TestLintPython_FailOnNeverSucceedsAndExplicitLinters(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	r, _ := plantedWorkspace(t)
	r.Input("working-directory", "api").Input("fail-on", "never").Input("linters", "flake8, mypy")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d, want 0 with fail-on never; log:\n%s", res.Code, res.Stdout)
	}
	if strings.Contains(res.Summary, "| black |") || !strings.Contains(res.Summary, "| mypy |") {
		t.Errorf("linters input not honoured:\n%s", res.Summary)
	}
}

func TestLintPython_BadInputTouchesNothing(t *testing.T) {
	t.Parallel()
	r, ws := plantedWorkspace(t)
	if err := os.WriteFile(filepath.Join(ws, "api", "pyproject.toml"), []byte("[tool.black\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Input("working-directory", "api").Input("paths", "../../etc, app, missing")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d, want 2; log:\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{`input "paths": "../../etc" is outside the workspace`, `input "paths": "missing" does not exist`, `pyproject.toml`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	r2, _ := plantedWorkspace(t)
	r2.Input("linters", "flake8, eslint").Input("working-directory", "../outside")
	res = r2.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, `"eslint" is not a linter`) || !strings.Contains(res.Stdout, `input "working-directory"`) {
		t.Errorf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if len(res.Outputs) != 0 {
		t.Errorf("outputs on bad input: %v", res.Outputs)
	}
}

func TestLintPython_CleanProjectPasses(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	r, _ := plantedWorkspace(t)
	r.Input("working-directory", "api").Input("paths", "app/clean.py")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["findings"] != "0" {
		t.Errorf("exit %d, findings %q; log:\n%s", res.Code, res.Outputs["findings"], res.Stdout)
	}
}

func TestLintPython_BadReportFileExitsBeforeAnyLinterStarts(t *testing.T) {
	t.Parallel()
	r, ws := plantedWorkspace(t)
	// A flake8 that leaves a mark if it ever runs.
	bin := sandboxtest.Dir(t)
	mark := filepath.Join(sandboxtest.Dir(t), "flake8-ran")
	if err := os.WriteFile(filepath.Join(bin, "flake8"), []byte("#!/bin/sh\ntouch "+mark+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.Env["PATH"] = bin + string(os.PathListSeparator) + r.Env["PATH"]
	if err := os.WriteFile(filepath.Join(ws, "a-file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(filepath.Dir(ws), "escaped", "report.json")
	r.Input("working-directory", "api").Input("linters", "flake8").
		Input("report-file", "../escaped/report.json").Input("sarif-file", "a-file/lint.sarif").Input("cache-dir", "a-file")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d, want 2; log:\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{`input "report-file": "../escaped/report.json" is outside the workspace`,
		`input "sarif-file": "a-file/lint.sarif" cannot be written`, `input "cache-dir": "a-file" cannot be a directory`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	if _, err := os.Stat(mark); err == nil {
		t.Errorf("flake8 ran before the bad input was reported")
	}
	if _, err := os.Stat(filepath.Dir(outside)); err == nil {
		t.Errorf("a directory was made outside the workspace: %s", filepath.Dir(outside))
	}
	if len(res.Outputs) != 0 {
		t.Errorf("outputs on bad input: %v", res.Outputs)
	}
}

// fakeTools puts on the runner's PATH a script for each name that leaves a mark if it ever runs, and
// returns the mark's path.
func fakeTools(t *testing.T, r *actiontest.Runner, names ...string) string {
	t.Helper()
	bin := sandboxtest.Dir(t)
	mark := filepath.Join(sandboxtest.Dir(t), "ran")
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(bin, n), []byte("#!/bin/sh\necho "+n+" >> "+mark+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.Env["PATH"] = bin + string(os.PathListSeparator) + r.Env["PATH"]
	return mark
}

func TestLintPython_ConfigEntriesThatAreNotRequirementsExitBeforeAnythingRuns(t *testing.T) {
	t.Parallel()
	r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	mark := fakeTools(t, r, "flake8", "python3", "python")
	linttest.WriteFiles(t, ws, map[string]string{
		".pre-commit-config.yaml": "repos:\n- repo: https://github.com/PyCQA/flake8\n  rev: 7.0.0\n  hooks:\n  - id: flake8\n" +
			`    additional_dependencies: ["--index-url=http://evil/simple", "--no-deps", "-r", "/etc/passwd"]` + "\n",
		"pyproject.toml": "[project]\nname = \"p\"\ndependencies = [\"--target=/tmp/x\"]\n",
	})
	r.Input("linters", "flake8")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d, want 2; log:\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{`input "install"`, `.pre-commit-config.yaml: hook flake8 additional_dependencies: "--index-url=http://evil/simple"`,
		`"--no-deps"`, `"-r"`, `"/etc/passwd"`, `pyproject.toml [project] dependencies: "--target=/tmp/x"`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	if b, err := os.ReadFile(mark); err == nil {
		t.Errorf("ran before the bad input was reported: %s", b)
	}
	if _, err := os.Stat(filepath.Join(ws, ".slipway")); err == nil {
		t.Errorf("wrote into the workspace on bad input")
	}
}

// On pull_request_target the job holds a token that can write while the code is the pull request's
// (a fork's): install would run that code's build and pip as root in the container that can read the
// token. The default there is none, and any other install is refused.
func TestLintPython_PullRequestTargetInstallsNothing(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"requirements-dev.txt": "-e .\n",
		"setup.py":             "raise SystemExit('the pull request ran its build code')\n",
		"app.py":               "x = 1\n",
		"setup.cfg":            "[flake8]\n",
	}
	for _, tc := range []struct {
		name, install string
		code          int
	}{
		{"default", "", 0},
		{"auto", "auto", 2},
		{"a requirements file", "requirements-dev.txt", 2},
		{"none", "none", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runner(t)
			ws := r.Env["GITHUB_WORKSPACE"]
			linttest.WriteFiles(t, ws, files)
			// python and pip leave a mark if anything tries to install; flake8 is a clean linter.
			mark := fakeTools(t, r, "python3", "python", "pip")
			bin := sandboxtest.Dir(t)
			if err := os.WriteFile(filepath.Join(bin, "flake8"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			r.Env["PATH"] = bin + string(os.PathListSeparator) + r.Env["PATH"]
			r.Env["GITHUB_EVENT_NAME"] = "pull_request_target"
			r.Input("linters", "flake8")
			if tc.install != "" {
				r.Input("install", tc.install)
			}
			res := r.Run(t, context.Background(), Main)
			if res.Code != tc.code {
				t.Fatalf("exit %d, want %d; log:\n%s", res.Code, tc.code, res.Stdout)
			}
			if b, err := os.ReadFile(mark); err == nil {
				t.Errorf("something was installed on pull_request_target: %s", b)
			}
			if tc.code == 2 && !strings.Contains(res.Stdout, `input "install": "`+tc.install+`" is refused on pull_request_target`) {
				t.Errorf("the refusal does not say why:\n%s", res.Stdout)
			}
			if tc.code == 0 && res.Outputs["environment-key"] != "" {
				t.Errorf("an environment on pull_request_target: %v", res.Outputs)
			}
		})
	}
}

// pullRequestEvent writes the event of pull request #7 (head sha head123) of base, from the
// repository head, and returns its path.
func pullRequestEvent(t *testing.T, head, base string) string {
	t.Helper()
	file := filepath.Join(sandboxtest.Dir(t), "event.json")
	event := fmt.Sprintf(`{"pull_request": {"number": 7, "head": {"sha": "head123", "repo": {"full_name": %q}}, "base": {"repo": {"full_name": %q}}}, "repository": {"full_name": %q}}`, head, base, base)
	if err := os.WriteFile(file, []byte(event), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestLintPython_InstallDefaultsToAutoOnOtherEvents(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	r := runner(t)
	linttest.WriteFiles(t, r.Env["GITHUB_WORKSPACE"], map[string]string{"requirements-dev.txt": "no-such-package-slipway==1.0\n", "setup.cfg": "[flake8]\n", "app.py": "x = 1\n"})
	r.Env["GITHUB_EVENT_NAME"], r.Env["PIP_INDEX_URL"] = "pull_request", linttest.Index(t)
	r.Env["GITHUB_EVENT_PATH"] = pullRequestEvent(t, "acme/web", "acme/web")
	r.Input("linters", "flake8")
	if res := r.Run(t, context.Background(), Main); res.Code != 3 || !strings.Contains(res.Stdout, "no-such-package-slipway") {
		t.Errorf("on pull_request the default did not install the development requirements: exit %d\n%s", res.Code, res.Stdout)
	}
}

func TestLintPython_RunsTheProjectsPinnedLintersAndDependencies(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	r.Env["PIP_INDEX_URL"] = linttest.Index(t, linttest.TypedDependency, linttest.Flake8Plugin, linttest.StandInBlack("24.99.0"))
	files := map[string]string{
		"pyproject.toml":          "[project]\nname = \"p\"\n\n[dependency-groups]\ndev = [\"slipway-greeting==1.2.0\", \"flake8-slipway==0.3.0\"]\n\n[tool.black]\n\n[tool.pylint.main]\ndisable = [\"missing-module-docstring\"]\n",
		".pre-commit-config.yaml": "repos:\n- repo: https://github.com/psf/black-pre-commit-mirror\n  rev: 24.99.0\n  hooks: [{id: black}]\n",
		"setup.cfg":               "[flake8]\n",
		"app/__init__.py":         "",
		"app/hello.py":            "\"\"\"Hello.\"\"\"\nfrom slipway_greeting import greet\n\n\ndef shout() -> str:\n    \"\"\"Shout.\"\"\"\n    return greet(\"you\").upper()\n",
	}
	linttest.WriteFiles(t, ws, files)
	r.Input("fail-on", "never")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if strings.Contains(res.Stdout, "E0401") || strings.Contains(res.Stdout, "import-error") {
		t.Errorf("an installed dependency is an import error:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Stdout, "SLW100") {
		t.Errorf("the pinned flake8 plugin's code is not reported:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Summary, "| black | 24.99.0 | .pre-commit-config.yaml |") {
		t.Errorf("the summary does not say black 24.99.0 came from .pre-commit-config.yaml:\n%s", res.Summary)
	}
	if !strings.Contains(res.Summary, "| flake8 | ") || !strings.Contains(res.Summary, " | image | ") {
		t.Errorf("the summary does not say flake8 is the image's:\n%s", res.Summary)
	}
	key := res.Outputs["environment-key"]
	if key == "" {
		t.Fatalf("no environment-key output: %v", res.Outputs)
	}
	if _, err := os.Stat(filepath.Join(ws, ".slipway", "cache", "venv", key+".tar")); err != nil {
		t.Errorf("the environment is not archived in the cache directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(ws, ".slipway", "cache", "mypy")); err == nil {
		t.Errorf("mypy ran though the project does not configure it")
	}
}

// A pull request as GitHub checks it out (the merge commit, fetch-depth 2), in a workspace owned by
// the runner's user (uid 1001) while the action runs as root, with a non-ASCII file name.
func TestLintPython_OnlyChangedOnAPullRequestCheckout(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	must := featureBranch(t, ws, map[string]string{"app/pkg00/zürich.py": "\"\"\"Zürich.\"\"\"\nimport os\n"})
	must(linttest.Git(ws, "checkout", "-q", "main"))
	must(linttest.Git(ws, "merge", "-q", "--no-ff", "-m", "Merge feature into main", "feature"))
	if os.Geteuid() == 0 {
		linttest.GiveToRunnerUser(t, ws)
	}
	r.Env["GITHUB_EVENT_NAME"], r.Env["GITHUB_BASE_REF"] = "pull_request", "main"
	r.Input("only-changed", "true").Input("install", "none")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1 (findings on the changed lines); log:\n%s", res.Code, res.Stdout)
	}
	if !strings.Contains(res.Stdout, "only-changed: reporting findings on the lines changed since HEAD^1") {
		t.Errorf("the merge commit's first parent is not the base:\n%s", res.Stdout)
	}
	var rep lint.Report
	b, err := os.ReadFile(filepath.Join(ws, res.Outputs["report"]))
	must(err)
	must(json.Unmarshal(b, &rep))
	files := map[string]bool{}
	for _, f := range rep.Findings {
		files[f.File] = true
	}
	for _, want := range []string{"app/pkg00/zürich.py", linttest.ModulePath(2), "scripts/tool_1.py"} {
		if !files[want] {
			t.Errorf("no finding in %s; findings in %v", want, files)
		}
	}
	if files[linttest.ModulePath(1)] || files["generated/gen_1.py"] {
		t.Errorf("findings outside the change or in excluded code: %v", files)
	}
	if !strings.Contains(res.Stdout, "file=app/pkg00/zürich.py,line=2") {
		t.Errorf("no annotation on the non-ASCII file:\n%s", res.Stdout)
	}
}

// featureBranch writes a generated tree to ws, commits it on main, and commits on a branch "feature"
// a change to module 2 and the files given (path: text); it returns the check the test goes on with.
func featureBranch(t *testing.T, ws string, files map[string]string) (must func(error)) {
	t.Helper()
	must = func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must((linttest.Tree{Modules: 4}).Write(ws))
	must(linttest.Commit(ws, "base"))
	must(linttest.Git(ws, "checkout", "-q", "-b", "feature"))
	_, err := linttest.Change(ws, []int{2})
	must(err)
	for path, text := range files {
		must(os.WriteFile(filepath.Join(ws, filepath.FromSlash(path)), []byte(text), 0o644))
	}
	must(linttest.Commit(ws, "feature"))
	return must
}

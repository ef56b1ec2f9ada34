package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/lint"
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
func plantedWorkspace(t *testing.T) (*actiontest.Runner, string) {
	t.Helper()
	r := actiontest.NewRunner(t)
	ws := t.TempDir()
	if err := os.Rename(actiontest.CopyDir(t, planted), filepath.Join(ws, "api")); err != nil {
		t.Fatal(err)
	}
	r.Env["GITHUB_WORKSPACE"] = ws
	return r, ws
}

func TestLintPython_PlantedProjectFailsWithExactAnnotations(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	r, ws := plantedWorkspace(t)
	r.Input("working-directory", "api").Input("sarif-file", "out/lint.sarif")
	res := r.Run(t, context.Background(), realMain)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1 (findings); log:\n%s", res.Code, res.Stdout)
	}
	var rep lint.Report
	b, err := os.ReadFile(res.Outputs["report"])
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
	// Annotations land on workspace paths, at most 10 per level; the rest are in the summary.
	errors := 0
	for _, c := range actiontest.Commands(res.Stdout) {
		switch c.Name {
		case "error":
			errors++
		case "add-mask", "set-output", "set-env", "add-path":
			t.Errorf("the run issued %q: untrusted linter output escaped (%q)", c.Name, c.Message)
		}
	}
	if errors != 10 {
		t.Errorf("%d error annotations, want 10 (the cap)", errors)
	}
	if !strings.Contains(res.Stdout, ",file=api/app/models.py,line=1,") {
		t.Errorf("no annotation on api/app/models.py:1")
	}
	if !strings.Contains(res.Summary, "| flake8 |") || !strings.Contains(res.Summary, "More annotations") {
		t.Errorf("summary lacks the per-linter table or the overflow:\n%s", res.Summary)
	}
	// pylint's fixme message carries "::set-output" from a comment: it reaches the log only inside a
	// stop-commands block, and never as an output.
	if !strings.Contains(res.Stdout, "TODO ::set-output name=findings::0") {
		t.Errorf("the planted fixme finding is missing from the log")
	}
	if _, err := os.Stat(filepath.Join(ws, "out", "lint.sarif")); err != nil || res.Outputs["sarif-file"] == "" {
		t.Errorf("SARIF file not written: %v", err)
	}
	if len(res.Outputs) != 3 {
		t.Errorf("outputs = %v, want findings, report, sarif-file", res.Outputs)
	}
}

func TestLintPython_FailOnNeverSucceedsAndExplicitLinters(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	r, _ := plantedWorkspace(t)
	r.Input("working-directory", "api").Input("fail-on", "never").Input("linters", "flake8, mypy")
	res := r.Run(t, context.Background(), realMain)
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
	res := r.Run(t, context.Background(), realMain)
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
	res = r2.Run(t, context.Background(), realMain)
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
	res := r.Run(t, context.Background(), realMain)
	if res.Code != 0 || res.Outputs["findings"] != "0" {
		t.Errorf("exit %d, findings %q; log:\n%s", res.Code, res.Outputs["findings"], res.Stdout)
	}
}

func TestLintPython_StockDuplicateCodeFromTheEnvironment(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	for _, stock := range []string{"", "1"} {
		r, _ := plantedWorkspace(t)
		r.Input("working-directory", "api").Input("fail-on", "never").Input("linters", "pylint")
		if stock != "" {
			r.Env["SLIPWAY_STOCK_DUPLICATE_CODE"] = stock
		}
		res := r.Run(t, context.Background(), realMain)
		if res.Code != 0 {
			t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
		}
		if loaded := strings.Contains(res.Stdout, "$ pylint --load-plugins=slipway_similar "); loaded != (stock == "") {
			t.Errorf("SLIPWAY_STOCK_DUPLICATE_CODE=%q: plugin loaded = %v; log:\n%s", stock, loaded, res.Stdout)
		}
	}
}

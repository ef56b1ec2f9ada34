package lintpython

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint"
	"github.com/slipway-actions/slipway/internal/lint/linttest"
)

// TestLintPython_BaseRefOnAPushReportsTheLinesChangedSinceIt proves `base-ref`: on an event that is not
// a pull request, only-changed diffs against the ref given, so a module the branch did not change has no
// finding in the report, and one it changed has.
func TestLintPython_BaseRefOnAPushReportsTheLinesChangedSinceIt(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	must := featureBranch(t, ws, nil)
	if os.Geteuid() == 0 {
		linttest.GiveToRunnerUser(t, ws)
	}
	r.Env["GITHUB_EVENT_NAME"] = "push"
	r.Input("only-changed", "true").Input("install", "none").Input("base-ref", "main")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1 (findings on the changed lines); log:\n%s", res.Code, res.Stdout)
	}
	var rep lint.Report
	b, err := os.ReadFile(filepath.Join(ws, res.Outputs["report"]))
	must(err)
	must(json.Unmarshal(b, &rep))
	files := map[string]bool{}
	for _, f := range rep.Findings {
		files[f.File] = true
	}
	if !files[linttest.ModulePath(2)] {
		t.Errorf("no finding in the changed %s; findings in %v", linttest.ModulePath(2), files)
	}
	if files[linttest.ModulePath(1)] {
		t.Errorf("a finding in %s, which the branch did not change: %v", linttest.ModulePath(1), files)
	}
	if !strings.Contains(res.Stdout, "only-changed: reporting findings on the lines changed since main (") {
		t.Errorf("the log does not say the base is main:\n%s", res.Stdout)
	}
}

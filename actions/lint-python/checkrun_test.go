package lintpython

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/github/githubtest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// checkRunRunner is a run of pull request #7 (head "head123", GITHUB_SHA the merge commit) whose
// workspace holds a file with one flake8 finding (E225) on each of its n lines, against gh.
func checkRunRunner(t *testing.T, gh *githubtest.GitHub, n int) *actiontest.Runner {
	t.Helper()
	_, err := exec.LookPath("flake8")
	dockertest.Require(t, "the linter flake8", err)
	r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	if err := os.WriteFile(filepath.Join(ws, "many.py"), []byte(strings.Repeat("x=1\n", n)), 0o644); err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(sandboxtest.Dir(t), "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request": {"number": 7, "head": {"sha": "head123"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Env["GITHUB_EVENT_NAME"], r.Env["GITHUB_EVENT_PATH"], r.Env["GITHUB_SHA"] = "pull_request", event, "merge456"
	r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"] = gh.URL, "acme/web"
	return r.Input("linters", "flake8").Input("github-token", gh.Token)
}

// 120 findings are one check run on the pull request's head with all 120 annotations, sent 50 at
// a time, failed as the step is; the workflow-command path stays as it was (10 per level).
func TestLintPython_CheckRunCarriesEveryFinding(t *testing.T) {
	t.Parallel()
	gh := githubtest.New(t)
	res := checkRunRunner(t, gh, 120).Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1 (findings); log:\n%s", res.Code, res.Stdout)
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("%d check runs, want 1; log:\n%s", len(runs), res.Stdout)
	}
	cr := runs[0]
	if cr.Name != "slipway lint-python" || cr.HeadSHA != "head123" || cr.Status != "completed" || cr.Conclusion != "failure" {
		t.Errorf("check run %q on %q: %s/%s, want \"slipway lint-python\" on the head head123, completed/failure", cr.Name, cr.HeadSHA, cr.Status, cr.Conclusion)
	}
	if len(cr.Annotations) != 120 {
		t.Fatalf("%d annotations, want 120", len(cr.Annotations))
	}
	var batches []int
	for _, n := range cr.AnnotationsPerWrite {
		if n > 0 {
			batches = append(batches, n)
		}
	}
	if len(batches) != 3 || batches[0] != 50 || batches[1] != 50 || batches[2] != 20 {
		t.Errorf("annotations per request %v, want 3 batches of 50, 50, 20", cr.AnnotationsPerWrite)
	}
	lines := map[float64]bool{}
	for _, a := range cr.Annotations {
		if a["path"] != "many.py" || a["annotation_level"] != "failure" || !strings.Contains(a["title"].(string), "E225") {
			t.Fatalf("annotation %v, want many.py, failure, E225", a)
		}
		lines[a["start_line"].(float64)] = true
	}
	if len(lines) != 120 {
		t.Errorf("annotations on %d distinct lines, want 120", len(lines))
	}
	if !strings.Contains(cr.Summary, "120 findings") || cr.Title != "failed: 120 errors" {
		t.Errorf("title %q, summary %q: want the findings and the step summary", cr.Title, cr.Summary)
	}
	if n := len(actiontest.Annotations(res.Stdout)); n > 21 {
		t.Errorf("%d workflow-command annotations, want GitHub's cap (10 per level) kept", n)
	}
}

// A fork's token cannot write checks: the log says so once, no check run is made, and the step
// fails on its findings alone (and passes without any), reported in the summary.
func TestLintPython_CheckRunFallsBackOnAForkToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		findings int
		code     int
	}{{12, 1}, {0, 0}} {
		gh := githubtest.New(t)
		gh.ChecksForbidden = true
		res := checkRunRunner(t, gh, tc.findings).Run(t, context.Background(), Main)
		if res.Code != tc.code {
			t.Errorf("%d findings: exit %d, want %d; log:\n%s", tc.findings, res.Code, tc.code, res.Stdout)
		}
		if n := strings.Count(res.Stdout, "GitHub refused to create the check run"); n != 1 {
			t.Errorf("%d findings: the fallback said %d times, want once; log:\n%s", tc.findings, n, res.Stdout)
		}
		if !strings.Contains(res.Stdout, "checks: write") {
			t.Errorf("the fallback does not name the permission; log:\n%s", res.Stdout)
		}
		if len(gh.CheckRuns()) != 0 {
			t.Errorf("a check run was made with a forbidden token")
		}
		if tc.findings > 0 && !strings.Contains(res.Summary, "E225") {
			t.Errorf("the summary lost the findings:\n%s", res.Summary)
		}
	}
}

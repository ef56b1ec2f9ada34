package rune2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/github/githubtest"
	"github.com/slipway-actions/slipway/internal/junit"
	"github.com/slipway-actions/slipway/internal/review"
)

// failingReport writes a JUnit report of n failed cases, case i failing in tests/test_e2e.py at
// line 10+i, and that file, so that the locator places each case in the repository.
func failingReport(t *testing.T, ws string, n int) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(ws, "tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "tests", "test_e2e.py"), []byte(strings.Repeat("\n", 10+n)), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<testsuite name="e2e" tests="%d" failures="%d">`, n, n)
	for i := range n {
		fmt.Fprintf(&b, `<testcase classname="tests.test_e2e" name="test_%d" file="tests/test_e2e.py" line="%d" time="0.5">`+
			`<failure message="assert %d == 0">tests/test_e2e.py:%d: AssertionError</failure></testcase>`, i, 10+i, i, 10+i)
	}
	b.WriteString(`</testsuite>`)
	p := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// 25 failed cases of a JUnit report are 25 annotations of run-e2e's check run, each on its test's
// file and line, and the run's conclusion is the step's: failure.
func TestRunE2E_CheckRunAnnotatesEveryFailedCase(t *testing.T) {
	t.Parallel()
	gh := githubtest.New(t)
	r := actiontest.NewRunner(t)
	ws := t.TempDir()
	r.Env["GITHUB_WORKSPACE"], r.Env["GITHUB_SHA"] = ws, "abc123"
	r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"] = gh.URL, "acme/web"
	r.Input("github-token", gh.Token).Input("test-service", "e2e")
	file := failingReport(t, ws, 25)
	var out bytes.Buffer
	k := actionkit.New("run-e2e", actionYML, actionkit.WithGetenv(r.Getenv), actionkit.WithStdout(&out), actionkit.WithArgs(nil))
	code := k.Run(context.Background(), func(ctx context.Context) error {
		cfg, err := parseConfig(k)
		if err != nil {
			return err
		}
		review.CheckRun(ctx, k, factory.New(k.Getenv, k.Debugf), cfg.Check)
		rep := report(k, readReports(k, []string{file}), (&junit.Locator{Workspace: ws}).Place)
		return failure.Failed(fmt.Errorf("%d failed", rep.Failures))
	})
	if code != 1 {
		t.Fatalf("exit %d, want 1; log:\n%s", code, out.String())
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("%d check runs, want 1; log:\n%s", len(runs), out.String())
	}
	cr := runs[0]
	if cr.Name != "slipway run-e2e" || cr.HeadSHA != "abc123" || cr.Conclusion != "failure" || len(cr.Annotations) != 25 {
		t.Fatalf("check run %q on %q, %s, %d annotations; want \"slipway run-e2e\" on abc123, failure, 25", cr.Name, cr.HeadSHA, cr.Conclusion, len(cr.Annotations))
	}
	for i, a := range cr.Annotations {
		if a["path"] != "tests/test_e2e.py" || a["start_line"] != float64(10+i) || !strings.Contains(a["title"].(string), fmt.Sprintf("test_%d", i)) {
			t.Errorf("annotation %d: %v, want tests/test_e2e.py:%d test_%d", i, a, 10+i, i)
		}
	}
}

// Through the engine: a failing E2E run with a token publishes its check run, the failing test on
// its file and line.
func TestRunE2E_FailingRunPublishesItsCheckRun(t *testing.T) {
	t.Parallel()
	r, _ := platformWorkspace(t, `-reports, /reports]`, `-reports, /reports, -fail]`)
	gh := githubtest.New(t)
	r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"], r.Env["GITHUB_SHA"] = gh.URL, "acme/web", "abc123"
	res := r.Input("github-token", gh.Token).Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1; log:\n%s", res.Code, res.Stdout)
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Conclusion != "failure" || len(runs[0].Annotations) != 1 {
		t.Fatalf("check runs %+v, want one failed with one annotation; log:\n%s", runs, res.Stdout)
	}
	if a := runs[0].Annotations[0]; a["path"] != "tests/test_checkout.py" || a["start_line"] != float64(42) {
		t.Errorf("annotation %v, want tests/test_checkout.py:42", a)
	}
	if !strings.Contains(runs[0].Summary, "run-e2e: e2e") {
		t.Errorf("check run summary %q, want the step summary", runs[0].Summary)
	}
}

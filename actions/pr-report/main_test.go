package prreport

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/github"
	"github.com/slipway-actions/slipway/internal/github/githubtest"
	"github.com/slipway-actions/slipway/internal/lint"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { os.Exit(actiontest.MainAsAction(m, Main)) }

const contractToken = "ghs_prreportprreport4242"

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "pr-report", YAML: actionYML, Main: Main,
		Parse:     func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"top": "0", "images": "{not json", "comment-key": "a b", "e2e-reports": "../outside"},
		WantErrors: []string{
			`input "top": 0 is out of range`,
			`input "images": is not build-push-images' images output`,
			`input "comment-key": "a b": use letters`,
			`input "e2e-reports": "../outside" is outside the workspace`,
		},
		Secrets: map[string]string{"github-token": contractToken},
		// A pull request with an E2E report, and GitHub's issue comments, where the report goes.
		Fakes: func(t *testing.T, r *actiontest.Runner, fakes *actiontest.Fakes) map[string]string {
			gh := githubtest.New(t)
			gh.Token = contractToken
			ws := pullRequest(t, r, gh)
			writeJUnit(t, filepath.Join(ws, "e2e"), map[string]string{"test_a": "passed"})
			root := fakes.HTTP(t, "the fake GitHub API", strings.TrimSuffix(gh.URL, "/api/v3"))
			r.Env["GITHUB_API_URL"], r.Env["GITHUB_GRAPHQL_URL"] = root+"/api/v3", root+"/api/graphql"
			return map[string]string{"e2e-reports": "e2e"}
		},
	})
}

// pullRequest points r at pull request #7 of acme/web (head "head123") on gh, in a workspace of
// its own, which it returns.
func pullRequest(t *testing.T, r *actiontest.Runner, gh *githubtest.GitHub) string {
	t.Helper()
	ws := sandboxtest.Dir(t)
	event := filepath.Join(sandboxtest.Dir(t), "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request": {"number": 7, "head": {"sha": "head123"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Env["GITHUB_WORKSPACE"], r.Env["GITHUB_EVENT_NAME"], r.Env["GITHUB_EVENT_PATH"] = ws, "pull_request", event
	r.Env["GITHUB_API_URL"], r.Env["GITHUB_GRAPHQL_URL"], r.Env["GITHUB_REPOSITORY"] = gh.URL, gh.GraphQLURL, "acme/web"
	r.Env["GITHUB_WORKFLOW"], r.Env["GITHUB_SERVER_URL"], r.Env["GITHUB_BASE_REF"] = "slipway pull request", "https://github.example.com", "main"
	return ws
}

// writeJUnit writes a JUnit report in dir of the cases named, each passed or failed.
func writeJUnit(t *testing.T, dir string, cases map[string]string) {
	t.Helper()
	var b strings.Builder
	failed := 0
	for _, status := range cases {
		if status == "failed" {
			failed++
		}
	}
	fmt.Fprintf(&b, `<testsuite name="e2e" tests="%d" failures="%d" time="1.5">`, len(cases), failed)
	for name, status := range cases {
		fmt.Fprintf(&b, `<testcase classname="tests.test_shop" name="%s" file="tests/test_shop.py" line="12" time="0.5">`, name)
		if status == "failed" {
			fmt.Fprintf(&b, `<failure message="%s broke">AssertionError</failure>`, name)
		}
		b.WriteString(`</testcase>`)
	}
	b.WriteString(`</testsuite>`)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junit.xml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A re-run of the workflow updates the comment the first run wrote, whatever else is on the pull
// request (a user's comment quoting the marker is left alone).
func TestPRReport_ReRunUpdatesTheSameComment(t *testing.T) {
	t.Parallel()
	gh := githubtest.New(t)
	quoted := gh.AddComment(7, "octocat", 1, "User", github.CommentMarker("slipway-pull-request")+"\nquoted")
	r := actiontest.NewRunner(t)
	ws := pullRequest(t, r, gh)
	r.Input("github-token", gh.Token).Input("e2e-reports", "e2e")

	writeJUnit(t, filepath.Join(ws, "e2e"), map[string]string{"test_a": "passed", "test_b": "failed"})
	first := r.Run(t, context.Background(), Main)
	writeJUnit(t, filepath.Join(ws, "e2e"), map[string]string{"test_a": "passed", "test_b": "passed"})
	second := r.Run(t, context.Background(), Main)
	for i, res := range []actiontest.Result{first, second} {
		if res.Code != 0 {
			t.Fatalf("run %d: exit %d; log:\n%s", i+1, res.Code, res.Stdout)
		}
	}
	var ours []githubtest.Comment
	for _, c := range gh.Comments(7) {
		if c.ID != quoted {
			ours = append(ours, c)
		} else if c.Body != github.CommentMarker("slipway-pull-request")+"\nquoted" {
			t.Errorf("the user's comment was edited: %q", c.Body)
		}
	}
	if len(ours) != 1 {
		t.Fatalf("%d comments of ours after two runs, want 1", len(ours))
	}
	if !strings.Contains(ours[0].Body, "2 passed, 0 failed") || strings.Contains(ours[0].Body, "1 failed") {
		t.Errorf("the comment does not say the second run's result:\n%s", ours[0].Body)
	}
	if !strings.Contains(first.Stdout, "created") || !strings.Contains(second.Stdout, "updated") || first.Outputs["comment-url"] != second.Outputs["comment-url"] || second.Outputs["comment-url"] == "" {
		t.Errorf("comment-url %q then %q; logs:\n%s\n%s", first.Outputs["comment-url"], second.Outputs["comment-url"], first.Stdout, second.Stdout)
	}
}

// The base branch's run saves its results; the pull request's run compares with them and names
// the cases that fail now and passed there (and the reverse), linked to their lines.
func TestPRReport_NamesNewlyFailingCasesAgainstTheBase(t *testing.T) {
	t.Parallel()
	gh := githubtest.New(t)
	// The merge to main: a push, no comment, results saved.
	base := actiontest.NewRunner(t)
	bws := sandboxtest.Dir(t)
	base.Env["GITHUB_WORKSPACE"], base.Env["GITHUB_EVENT_NAME"], base.Env["GITHUB_SHA"], base.Env["GITHUB_REF_NAME"] = bws, "push", "base0123456789", "main"
	writeJUnit(t, filepath.Join(bws, "e2e"), map[string]string{"test_a": "passed", "test_b": "failed", "test_c": "passed"})
	saved := base.Input("e2e-reports", "e2e").Input("comment", "false").Run(t, context.Background(), Main)
	if saved.Code != 0 || saved.Outputs["results-dir"] != ".slipway/results" {
		t.Fatalf("base run: exit %d, outputs %v; log:\n%s", saved.Code, saved.Outputs, saved.Stdout)
	}

	r := actiontest.NewRunner(t)
	ws := pullRequest(t, r, gh)
	// actions/cache restores the base's results-dir into the pull request's workspace.
	restored := filepath.Join(ws, ".slipway", "base-results")
	if err := os.MkdirAll(restored, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(bws, saved.Outputs["results-dir"], resultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, resultsFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	writeJUnit(t, filepath.Join(ws, "e2e"), map[string]string{"test_a": "failed", "test_b": "passed", "test_c": "passed", "test_new": "failed"})
	res := r.Input("github-token", gh.Token).Input("e2e-reports", "e2e").Input("base-results", ".slipway/base-results").Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["newly-failing"] != "2" {
		t.Fatalf("exit %d, newly-failing %q, want 0 and 2 (test_a, and test_new, which the base lacks); log:\n%s", res.Code, res.Outputs["newly-failing"], res.Stdout)
	}
	comments := gh.Comments(7)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	body := comments[0].Body
	for _, want := range []string{
		"**Newly failing e2e cases against `main` at `base012`:** 2",
		"- [tests/test\\_shop.py:12](https://github.example.com/acme/web/blob/head123/tests/test_shop.py#L12) `tests.test_shop::test_a` — test\\_a broke",
		"`tests.test_shop::test_new` — test\\_new broke (new)",
		"**Newly passing e2e cases against `main` at `base012`:** 1",
		"`tests.test_shop::test_b`",
		"2 passed, 2 failed, 0 skipped; 2 newly failing, 1 newly passing",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "test_c`") {
		t.Errorf("a case that did not change is listed as changed:\n%s", body)
	}
	if !strings.Contains(res.Summary, "Newly failing e2e cases") {
		t.Errorf("the step summary lacks the report:\n%s", res.Summary)
	}
}

// A fork's token may not comment: the log says so once, the step summary carries the report, and
// the step passes.
func TestPRReport_ForkTokenFallsBackToTheSummary(t *testing.T) {
	t.Parallel()
	gh := githubtest.New(t)
	gh.IssuesForbidden = true
	r := actiontest.NewRunner(t)
	ws := pullRequest(t, r, gh)
	writeJUnit(t, filepath.Join(ws, "e2e"), map[string]string{"test_a": "failed"})
	res := r.Input("github-token", gh.Token).Input("e2e-reports", "e2e").Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d, want 0; log:\n%s", res.Code, res.Stdout)
	}
	if n := strings.Count(res.Stdout, "GitHub refused to"); n != 1 || !strings.Contains(res.Stdout, "pull-requests: write") {
		t.Errorf("the fallback said %d times (want once, naming pull-requests: write); log:\n%s", n, res.Stdout)
	}
	if len(gh.Comments(7)) != 0 || res.Outputs["comment-url"] != "" {
		t.Errorf("a comment was written with a forbidden token")
	}
	if !strings.Contains(res.Summary, "0 passed, 1 failed") || !strings.Contains(res.Summary, "test\\_a broke") {
		t.Errorf("the summary lacks the report:\n%s", res.Summary)
	}
}

// Lint findings are counted and the top ones linked to their lines; the images are listed with
// their digests; outside text cannot mention anyone or add Markdown.
func TestPRReport_LintFindingsAndImages(t *testing.T) {
	t.Parallel()
	gh := githubtest.New(t)
	r := actiontest.NewRunner(t)
	ws := pullRequest(t, r, gh)
	rep := lint.Report{}
	for i := range 12 {
		rep.Findings = append(rep.Findings, lint.Finding{Tool: "flake8", Code: "E225", File: "api/app.py", Line: i + 1, Message: "missing whitespace @octocat <b>", Severity: lint.SeverityError})
	}
	data, _ := json.Marshal(rep)
	if err := os.WriteFile(filepath.Join(ws, "lint.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	images := `[{"name":"api","id":"sha256:aaa","tags":["ghcr.io/acme/api:pr-7"],"digest":"sha256:0123abcd"}]`
	res := r.Input("github-token", gh.Token).Input("lint-report", "lint.json").Input("images", images).Input("top", "3").Run(t, context.Background(), Main)
	if res.Code != 0 || len(gh.Comments(7)) != 1 {
		t.Fatalf("exit %d, %d comments; log:\n%s", res.Code, len(gh.Comments(7)), res.Stdout)
	}
	body := gh.Comments(7)[0].Body
	for _, want := range []string{
		"| lint | ❌ 12 findings |",
		"(3 of 12)",
		"- [api/app.py:3](https://github.example.com/acme/web/blob/head123/api/app.py#L3) flake8 E225 missing whitespace &#64;octocat &lt;b&gt;",
		"| api | `sha256:0123abcd` | ghcr.io/acme/api:pr-7 |",
		"| unit | — not run |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "api/app.py:4]") || strings.Contains(body, "@octocat") {
		t.Errorf("more than top findings, or a mention:\n%s", body)
	}
}

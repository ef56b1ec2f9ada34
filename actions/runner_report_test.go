package actions_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/github/githubtest"
	"github.com/slipway-actions/slipway/internal/runnertest"
)

// In the image, with the token as the runner passes it (with: github-token: ${{ github.token }}),
// lint-python publishes its check run with every finding on the pull request's head, and the next
// step, pr-report, reads the report lint-python wrote and comments once on the pull request.
func TestRunner_CheckRunAndCommentFromTheImage(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	gh := githubtest.New(t)
	j := runnertest.NewJob(t)
	j.CopyDir(planted, "api")
	j.Context["GITHUB_EVENT_NAME"], j.Context["GITHUB_SHA"], j.Context["GITHUB_REPOSITORY"] = "pull_request", "merge0000", "acme/web"
	j.Context["GITHUB_API_URL"], j.Context["GITHUB_GRAPHQL_URL"], j.Context["GITHUB_WORKFLOW"] = gh.URL, gh.GraphQLURL, "slipway pull request"
	j.Event = map[string]any{"number": 7, "pull_request": map[string]any{"number": 7, "head": map[string]any{"sha": "head1234"}}}

	lint := j.Uses(runnertest.Step{Action: "lint-python", Image: img, Network: "host",
		With: map[string]string{"working-directory": "api", "github-token": gh.Token}})
	if lint.ExitCode != 1 {
		t.Fatalf("lint-python: want exit 1 (the planted findings): %v", lint)
	}
	findings, _ := strconv.Atoi(lint.Outputs["findings"])
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].HeadSHA != "head1234" || runs[0].Conclusion != "failure" || findings == 0 || len(runs[0].Annotations) != findings {
		t.Fatalf("check runs %+v, want one on head1234, failed, with all %d findings; log:\n%s", runs, findings, lint.Log)
	}

	report := j.Uses(runnertest.Step{Action: "pr-report", Image: img, Network: "host",
		With: map[string]string{"github-token": gh.Token, "lint-report": lint.Outputs["report"]}})
	if report.ExitCode != 0 {
		t.Fatalf("pr-report: %v", report)
	}
	comments := gh.Comments(7)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "| lint | ❌ "+strconv.Itoa(findings)+" findings |") ||
		!strings.HasPrefix(comments[0].Body, "<!-- slipway:slipway-pull-request -->") {
		t.Fatalf("comments %+v, want one with the %d findings; log:\n%s", comments, findings, report.Log)
	}
}

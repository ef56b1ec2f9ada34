package lintpython

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/github/githubtest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { os.Exit(actiontest.MainAsAction(m, Main)) }

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "lint-python", YAML: actionYML, Main: Main,
		Parse:     func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"fail-on": "sometimes", "jobs": "-1", "report-file": "out/lint.json", "sarif-file": "out/lint.json"},
		WantErrors: []string{
			`input "fail-on": "sometimes" is not one of error, warning, never`,
			`input "jobs": -1 is out of range`,
			`input "sarif-file": is the same file as report-file`,
		},
		Secrets: map[string]string{"github-token": "ghs_linttokenlinttoken4242"},
		Needs: func(t *testing.T) {
			_, err := exec.LookPath("black")
			dockertest.Require(t, "black", err)
		},
		// A pull request that adds code black reformats, and GitHub's review API, where suggest-fixes
		// posts black's fixes with the token.
		Fakes: func(t *testing.T, r *actiontest.Runner, fakes *actiontest.Fakes) map[string]string {
			ws := pullRequestWorkspace(t)
			event := filepath.Join(sandboxtest.Dir(t), "event.json")
			if err := os.WriteFile(event, []byte(`{"pull_request": {"number": 7, "head": {"sha": "head123"}}}`), 0o644); err != nil {
				t.Fatal(err)
			}
			r.Env["GITHUB_WORKSPACE"], r.Env["GITHUB_EVENT_NAME"], r.Env["GITHUB_EVENT_PATH"] = ws, "pull_request", event
			r.Env["PATH"], r.Env["HOME"] = os.Getenv("PATH"), sandboxtest.Dir(t)
			r.Env["GITHUB_API_URL"] = fakes.HTTP(t, "the fake GitHub API", githubAPI(t)) + "/api/v3"
			r.Env["GITHUB_REPOSITORY"] = "acme/web"
			return map[string]string{"linters": "black", "suggest-fixes": "true", "base-ref": "main"}
		},
	})
}

// suggest-fixes without github-token is bad input (the contract's bad-input run gives every secret).
func TestLintPython_SuggestFixesNeedsAToken(t *testing.T) {
	t.Parallel()
	res := runner(t).Input("suggest-fixes", "true").Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, `input \"suggest-fixes\": needs github-token`) && !strings.Contains(res.Stdout, `input "suggest-fixes": needs github-token`) {
		t.Errorf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

// pullRequestWorkspace is a checkout of a branch that adds a function black reformats.
func pullRequestWorkspace(t *testing.T) string {
	ws := sandboxtest.Dir(t)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = ws
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	write("pyproject.toml", "[tool.black]\nline-length = 88\n")
	write("app.py", "import os\n\n\ndef f():\n    return os.sep\n")
	git("add", ".")
	git("commit", "-qm", "base")
	git("checkout", "-qb", "feature")
	write("app.py", "import os\n\n\ndef f():\n    return os.sep\n\n\ndef g( a,b ):\n    return {  'a':a,'b':b }\n")
	git("commit", "-qam", "feature")
	return ws
}

// githubAPI serves GitHub's pull request review API (githubtest.Pulls) until the test ends.
func githubAPI(t *testing.T) string {
	srv := httptest.NewServer(&githubtest.Pulls{})
	t.Cleanup(srv.Close)
	return srv.URL
}

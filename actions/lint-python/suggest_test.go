package lintpython

import (
	"context"
	"net/http/httptest"
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

// A pull request adds badly formatted code: black's fixes become one review of suggestions on the
// added lines; a re-run posts nothing new.
func TestLintPython_SuggestFixesPostsOneReviewOnce(t *testing.T) {
	t.Parallel()
	_, err := exec.LookPath("black")
	dockertest.Require(t, "black", err)
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

	pulls := &githubtest.Pulls{}
	srv := httptest.NewServer(pulls)
	defer srv.Close()
	event := filepath.Join(sandboxtest.Dir(t), "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request": {"number": 7, "head": {"sha": "head123"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func() actiontest.Result {
		r := runner(t)
		r.Env["GITHUB_WORKSPACE"], r.Env["GITHUB_EVENT_NAME"], r.Env["GITHUB_EVENT_PATH"] = ws, "pull_request", event
		r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"] = srv.URL+"/api/v3", "acme/web"
		r.Input("linters", "black").Input("suggest-fixes", "true").Input("github-token", "ghs_suggesttoken42").Input("base-ref", "main")
		return r.Run(t, context.Background(), Main)
	}
	res := run()
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1 (black findings); log:\n%s", res.Code, res.Stdout)
	}
	comments, reviews := pulls.Snapshot()
	if reviews != 1 || len(comments) != 1 {
		t.Fatalf("%d reviews with %v; log:\n%s", reviews, comments, res.Stdout)
	}
	c := comments[0]
	body, _ := c["body"].(string)
	if c["path"] != "app.py" || c["line"] != float64(9) || c["start_line"] != float64(8) ||
		!strings.Contains(body, "```suggestion\ndef g(a, b):\n    return {\"a\": a, \"b\": b}\n```") {
		t.Errorf("comment = %v", c)
	}
	if res := run(); !strings.Contains(res.Stdout, "suggest-fixes: 0 posted in one review, 1 already there, 0 outdated removed") {
		t.Errorf("re-run log:\n%s", res.Stdout)
	}
	if _, reviews := pulls.Snapshot(); reviews != 1 {
		t.Errorf("%d reviews after a re-run, want still 1", reviews)
	}
	if strings.Count(res.Stdout, "ghs_suggesttoken42") > 1 { // once: the add-mask command
		t.Errorf("the token reached the log")
	}
}

package lintpython

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gh "github.com/google/go-github/v62/github"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/github"
	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// attack is a repository whose linter config runs code of the pull request's: each piece of that
// code leaves a mark (a file named MARK in the directory of the marks) if it ever runs.
type attack struct {
	name, tool string
	files      map[string]string // MARKS stands for the directory of the marks
	// stripped are the lines the log must have, one per thing stripped.
	stripped []string
}

// leavesMark is Python that leaves the mark named name.
func leavesMark(name string) string {
	return "open(__import__('os').path.join('MARKS', '" + name + "'), 'w').close()\n"
}

var attacks = []attack{
	{
		name: "a pylint plugin", tool: "pylint",
		files: map[string]string{
			".pylintrc":      "[MAIN]\nload-plugins = evil_plugin\n",
			"evil_plugin.py": leavesMark("pylint-plugin") + "def register(linter):\n    pass\n",
		},
		stripped: []string{"pylint: stripped load-plugins from .pylintrc [MAIN]: pylint imports the plugin modules it names: evil_plugin"},
	},
	{
		name: "a pylint init-hook", tool: "pylint",
		files: map[string]string{
			"setup.cfg": "[pylint.main]\ninit-hook = " + strings.TrimSuffix(leavesMark("pylint-init-hook"), "\n") + "\n",
		},
		stripped: []string{"pylint: stripped init-hook from setup.cfg [pylint.main]: pylint runs it as Python code"},
	},
	{
		name: "a pylint reporter and an option smuggled in a value", tool: "pylint",
		files: map[string]string{
			"pyproject.toml":   "[tool.pylint.main]\nexit-zero = \"--output-format=evil_reporter.Reporter\"\n",
			"evil_reporter.py": leavesMark("pylint-reporter") + "from pylint.reporters.text import TextReporter\nclass Reporter(TextReporter):\n    pass\n",
		},
		stripped: []string{"pylint: stripped exit-zero from pyproject.toml [tool.pylint.main]: pylint reads a value starting with - as another option"},
	},
	{
		name: "a mypy plugin", tool: "mypy",
		files: map[string]string{
			"mypy.ini":        "[mypy]\nplugins = ./evil_mypy.py\n",
			"evil_mypy.py":    leavesMark("mypy-plugin") + "from mypy.plugin import Plugin\ndef plugin(version):\n    return Plugin\n",
			"app/__init__.py": "",
		},
		stripped: []string{"mypy: stripped plugins from mypy.ini [mypy]: mypy imports the plugins it names"},
	},
	{
		name: "mypy's python_executable", tool: "mypy",
		files: map[string]string{
			"pyproject.toml": "[tool.mypy]\npython_executable = \"./evil.sh\"\n",
			"evil.sh":        "#!/bin/sh\ntouch MARKS/mypy-python-executable\nexec python3 \"$@\"\n",
		},
		stripped: []string{"mypy: stripped python_executable from pyproject.toml [tool.mypy]: mypy runs that program"},
	},
	{
		name: "a flake8 local plugin", tool: "flake8",
		files: map[string]string{
			"tox.ini":        "[flake8:local-plugins]\nextension =\n  SLW1 = evil_flake8:Plugin\npaths = .\n\n[flake8]\nmax-line-length = 100\n",
			"evil_flake8.py": leavesMark("flake8-local-plugin") + "class Plugin:\n    name = 'evil'\n    version = '1'\n    def __init__(self, tree):\n        pass\n    def run(self):\n        return iter(())\n",
		},
		stripped: []string{"flake8: stripped extension from tox.ini [flake8:local-plugins]: flake8 imports the local plugins it names",
			"flake8: stripped paths from tox.ini [flake8:local-plugins]: flake8 puts these directories on the import path for local plugins"},
	},
}

// runAttack runs lint-python with the attack's linter on a workspace holding it, as the event says,
// and returns the result and the marks left.
func runAttack(t *testing.T, a attack, event string, setup func(r *actiontest.Runner)) (actiontest.Result, []string) {
	t.Helper()
	r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	marks := sandboxtest.WritableDir(t)
	files := map[string]string{"app.py": "\"\"\"App.\"\"\"\nX = 1\n"}
	for name, text := range a.files {
		files[name] = strings.ReplaceAll(text, "MARKS", marks)
	}
	linttest.WriteFiles(t, ws, files)
	if err := os.Chmod(filepath.Join(ws, "evil.sh"), 0o755); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	// A workflow that puts the project on the import path (PYTHONPATH=., as many do) lets pylint
	// import the project's modules by name.
	r.Env["PYTHONPATH"] = ws
	r.Env["GITHUB_EVENT_NAME"] = event
	r.Input("linters", a.tool).Input("install", "none").Input("fail-on", "never")
	if setup != nil {
		setup(r)
	}
	res := r.Run(t, context.Background(), Main)
	left, _ := os.ReadDir(marks)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	return res, names
}

// On pull_request_target the job's token can write while the code is the pull request's: no code
// the pull request's config names runs, and the log says what was stripped. The control run (a
// push: the repository's own code, trusted) shows each attack is real.
func TestLintPython_UntrustedRunsNoCodeTheRepositorysConfigNames(t *testing.T) {
	t.Parallel()
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			_, err := exec.LookPath(a.tool)
			dockertest.Require(t, "the linter "+a.tool, err)

			res, marks := runAttack(t, a, "pull_request_target", nil)
			if res.Code != 0 {
				t.Fatalf("exit %d, want 0 (the linter runs with the sanitised config); log:\n%s", res.Code, res.Stdout)
			}
			if len(marks) > 0 {
				t.Errorf("the pull request's code ran on pull_request_target: %v; log:\n%s", marks, res.Stdout)
			}
			for _, want := range append([]string{"untrusted: the run is on pull_request_target"}, a.stripped...) {
				if !strings.Contains(res.Stdout, want) {
					t.Errorf("the log lacks %q:\n%s", want, res.Stdout)
				}
			}
			if !strings.Contains(res.Stdout, "::warning::untrusted: ") {
				t.Errorf("no warning that settings were stripped:\n%s", res.Stdout)
			}

			control, marks := runAttack(t, a, "push", nil)
			if len(marks) == 0 {
				t.Errorf("the attack did not run even when trusted: the test proves nothing; log:\n%s", control.Stdout)
			}
		})
	}
}

// trust-repository-config: a fork's pull request is untrusted by default, on pull_request too; a
// trusted workflow may run its plugins there (its token is read-only), never on pull_request_target.
func TestLintPython_TrustRepositoryConfig(t *testing.T) {
	t.Parallel()
	_, err := exec.LookPath("pylint")
	dockertest.Require(t, "the linter pylint", err)
	a := attacks[1] // pylint's init-hook
	for _, c := range []struct {
		name, event, head, trust string
		code                     int
		ran                      bool
		log                      string
	}{
		{"a fork's pull request", "pull_request", "evil/web", "", 0, false, "untrusted: the pull request comes from the fork evil/web"},
		{"the repository's own pull request", "pull_request", "acme/web", "", 0, true, ""},
		{"a fork's pull request, trusted", "pull_request", "evil/web", "true", 0, true, "trusted: trust-repository-config: true"},
		{"a push, untrusted", "push", "", "false", 0, false, "untrusted: trust-repository-config: false"},
		{"pull_request_target from a fork, trusted", "pull_request_target", "evil/web", "true", 2, false,
			`input "trust-repository-config": true is refused on pull_request_target for evil/web`},
		{"pull_request_target from the repository, trusted", "pull_request_target", "acme/web", "true", 0, true, "trusted: trust-repository-config: true"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, marks := runAttack(t, a, c.event, func(r *actiontest.Runner) {
				if c.head != "" {
					r.Env["GITHUB_EVENT_PATH"] = pullRequestEvent(t, c.head, "acme/web")
				}
				if c.trust != "" {
					r.Input("trust-repository-config", c.trust)
				}
			})
			if res.Code != c.code || (len(marks) > 0) != c.ran || !strings.Contains(res.Stdout, c.log) {
				t.Errorf("exit %d (want %d), marks %v (want some: %v), log lacks %q?\n%s", res.Code, c.code, marks, c.ran, c.log, res.Stdout)
			}
		})
	}
}

// A fork's pull request on pull_request: its workflow also serves the repository's own pull
// requests, so the install it asks for is not run (and the log says so), not refused.
func TestLintPython_AForksPullRequestInstallsNothing(t *testing.T) {
	t.Parallel()
	r := runner(t)
	ws := r.Env["GITHUB_WORKSPACE"]
	linttest.WriteFiles(t, ws, map[string]string{"requirements-dev.txt": "-e .\n", "setup.py": "raise SystemExit('built')\n", "setup.cfg": "[flake8]\n", "app.py": "x = 1\n"})
	mark := fakeTools(t, r, "python3", "python", "pip")
	bin := sandboxtest.Dir(t)
	if err := os.WriteFile(filepath.Join(bin, "flake8"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.Env["PATH"] = bin + string(os.PathListSeparator) + r.Env["PATH"]
	r.Env["GITHUB_EVENT_NAME"], r.Env["GITHUB_EVENT_PATH"] = "pull_request", pullRequestEvent(t, "evil/web", "acme/web")
	r.Input("linters", "flake8").Input("install", "requirements-dev.txt")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || !strings.Contains(res.Stdout, `install: "requirements-dev.txt" is not run for a pull request from a fork`) {
		t.Errorf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if b, err := os.ReadFile(mark); err == nil {
		t.Errorf("something was installed for a fork's pull request: %s", b)
	}
}

// The read-only-token hint is for a 403 on a fork's pull request only: not for a 403 on the
// repository's own, nor for a network failure or another status.
func TestLintPython_TheForkHintIsForA403FromAFork(t *testing.T) {
	t.Parallel()
	ws := sandboxtest.Dir(t)
	git := func(args ...string) {
		t.Helper()
		if err := linttest.Git(ws, args...); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	linttest.WriteFiles(t, ws, map[string]string{"pyproject.toml": "[tool.black]\n", "app.py": "x = 1\n"})
	if err := linttest.Commit(ws, "base"); err != nil {
		t.Fatal(err)
	}
	git("checkout", "-q", "-b", "feature")
	linttest.WriteFiles(t, ws, map[string]string{"app.py": "x = 1\ny = 2\n"})
	if err := linttest.Commit(ws, "feature"); err != nil {
		t.Fatal(err)
	}
	status := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = w.Write([]byte(`{"message": "Resource not accessible by integration"}`))
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/api/v3"
	}
	const hint = "a pull request from a fork gets a read-only token"
	for _, c := range []struct {
		name, head, api string
		hint            bool
	}{
		{"403 on a fork's pull request", "evil/web", status(http.StatusForbidden), true},
		{"403 on the repository's own", "acme/web", status(http.StatusForbidden), false},
		{"a name that does not resolve, on a fork's", "evil/web", "http://api.github.invalid/api/v3", false},
		{"500 on a fork's", "evil/web", status(http.StatusInternalServerError), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runner(t)
			r.Env["GITHUB_WORKSPACE"] = ws
			// A black that finds nothing: the review is synced all the same (its old comments go).
			bin := sandboxtest.Dir(t)
			if err := os.WriteFile(filepath.Join(bin, "black"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			r.Env["PATH"] = bin + string(os.PathListSeparator) + r.Env["PATH"]
			r.Env["GITHUB_EVENT_NAME"], r.Env["GITHUB_EVENT_PATH"] = "pull_request", pullRequestEvent(t, c.head, "acme/web")
			r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"] = c.api, "acme/web"
			r.Input("linters", "black").Input("suggest-fixes", "true").Input("github-token", "ghs_hinttoken42").Input("base-ref", "main").
				Input("report-file", ".slipway/"+strings.ReplaceAll(c.name, " ", "-")+".json")
			res := r.Run(t, context.Background(), Main)
			if res.Code != 0 || !strings.Contains(res.Stdout, "::warning::suggest-fixes: ") {
				t.Fatalf("exit %d, want 0 with a warning; log:\n%s", res.Code, res.Stdout)
			}
			if got := strings.Contains(res.Stdout, hint); got != c.hint {
				t.Errorf("fork hint given: %v, want %v; log:\n%s", got, c.hint, res.Stdout)
			}
		})
	}
}

func TestReviewHint_OnlyForbiddenOnAForksPullRequest(t *testing.T) {
	t.Parallel()
	forbidden := &gh.ErrorResponse{Response: &http.Response{StatusCode: http.StatusForbidden}}
	for _, c := range []struct {
		name string
		err  error
		t    trust
		want bool
	}{
		{"403, fork", forbidden, trust{Fork: true}, true},
		{"403 wrapped, fork", errors.Join(errors.New("list review comments of #7"), forbidden), trust{Fork: true}, true},
		{"403, same repository", forbidden, trust{}, false},
		{"403, fork on pull_request_target", forbidden, trust{Fork: true, Privileged: true}, false},
		{"404, fork", &gh.ErrorResponse{Response: &http.Response{StatusCode: http.StatusNotFound}}, trust{Fork: true}, false},
		{"DNS, fork", &url.Error{Op: "Get", URL: "https://api.github.invalid", Err: errors.New("no such host")}, trust{Fork: true}, false},
		{"rate limit, fork", &gh.RateLimitError{Response: &http.Response{StatusCode: http.StatusForbidden}}, trust{Fork: true}, false},
	} {
		if got := reviewHint(c.err, c.t) != ""; got != c.want {
			t.Errorf("%s: hint %v, want %v", c.name, got, c.want)
		}
	}
}

func TestForkOf_ReadsEachPullRequestEvent(t *testing.T) {
	t.Parallel()
	pr := func(head string) string {
		if head == "" {
			return `{"number": 7, "head": {"sha": "h", "repo": null}, "base": {"repo": {"full_name": "acme/web"}}}`
		}
		return `{"number": 7, "head": {"sha": "h", "repo": {"full_name": "` + head + `"}}, "base": {"repo": {"full_name": "acme/web"}}}`
	}
	for _, c := range []struct {
		name, event, payload string
		fork                 bool
	}{
		{"a fork's pull request", "pull_request", `{"pull_request": ` + pr("evil/web") + `}`, true},
		{"the repository's own", "pull_request", `{"pull_request": ` + pr("acme/web") + `}`, false},
		{"a deleted fork", "pull_request_target", `{"pull_request": ` + pr("") + `}`, true},
		{"no event file", "pull_request", "", true},
		{"a review of a fork's", "pull_request_review", `{"pull_request": ` + pr("evil/web") + `, "review": {"id": 1}}`, true},
		{"a workflow_run of a fork's pull request", "workflow_run",
			`{"workflow_run": {"event": "pull_request", "head_repository": {"full_name": "evil/web"}}, "repository": {"full_name": "acme/web"}}`, true},
		{"a workflow_run of a push", "workflow_run",
			`{"workflow_run": {"event": "push", "head_repository": {"full_name": "acme/web"}}, "repository": {"full_name": "acme/web"}}`, false},
		{"a push", "push", `{"ref": "refs/heads/main"}`, false},
	} {
		path := ""
		if c.payload != "" {
			path = filepath.Join(sandboxtest.Dir(t), "event.json")
			if err := os.WriteFile(path, []byte(c.payload), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ev, err := github.ReadEvent(c.event, path)
		if fork, about := forkOf(c.event, ev, err); fork != c.fork {
			t.Errorf("%s: fork %v (%s), want %v", c.name, fork, about, c.fork)
		}
	}
}

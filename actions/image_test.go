package actions_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/runnertest"
)

// TestImage_RunsEveryEntrypoint runs each action.yml's entrypoint and args with --help in the image
// built from the root Dockerfile, the image CI ships.
func TestImage_RunsEveryEntrypoint(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	cli := dockertest.Client(t)
	for _, name := range actionNames(t) {
		m := loadMetadata(t, filepath.Join(name, "action.yml"))
		code, out := dockertest.Run(t, cli, img, []string{m.Runs.Entrypoint}, append(m.Runs.Args, "--help")...)
		if code != 0 || !strings.Contains(out, "Usage: "+name) {
			t.Errorf("%s %v --help in the image: exit %d\n%s", m.Runs.Entrypoint, m.Runs.Args, code, out)
		}
		// With GITHUB_ACTIONS unset and no inputs it is a CLI run with bad input: exit 2, not a crash.
		if code, out := dockertest.Run(t, cli, img, []string{m.Runs.Entrypoint}, append(m.Runs.Args, "--no-such-flag")...); code != 2 {
			t.Errorf("%s --no-such-flag: exit %d, want 2\n%s", name, code, out)
		}
	}
	// The image holds one program, no other binary of ours beside it, at most 55 MB: 39.7 MB when the
	// five became one; the analysis gates, verify, scheduled tasks, CodeDeploy, strategies and buildkitd
	// builds brought eight AWS service clients and BuildKit's client (52.4 MB). EC2's SDK alone would add
	// 21 MB for two reads: those go over its Query API by hand (internal/preflight). CONTRIBUTING.md,
	// "The image", says what each part costs.
	if code, out := dockertest.Run(t, cli, img, []string{"sh", "-c"}, "ls /usr/local/bin"); code != 0 || strings.TrimSpace(out) != "slipway" {
		t.Errorf("/usr/local/bin holds %q (exit %d), want slipway alone", out, code)
	}
	code, out := dockertest.Run(t, cli, img, []string{"stat"}, "-c", "%s", "/usr/local/bin/slipway")
	if size, err := strconv.Atoi(strings.TrimSpace(out)); code != 0 || err != nil || size > 55_000_000 {
		t.Errorf("/usr/local/bin/slipway is %s bytes (exit %d), want at most 55 MB", strings.TrimSpace(out), code)
	}
	// What lint-python and its install feature run: Debian's Python, venv, pip, git and linters.
	code, out = dockertest.Run(t, cli, img, []string{"sh", "-c"},
		"set -e; for c in git flake8 black isort pylint mypy; do command -v $c; done; python3 -m venv /tmp/v; /tmp/v/bin/pip --version")
	if code != 0 {
		t.Errorf("the image lacks a tool lint-python needs: exit %d\n%s", code, out)
	}
}

// TestDockerignore_ContextIsWhatTheImageNeeds: the build context holds the Dockerfile and the one
// prebuilt program, nothing else of the repository.
func TestDockerignore_ContextIsWhatTheImageNeeds(t *testing.T) {
	t.Parallel()
	admits, err := runnertest.ContextAdmits("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"Dockerfile", "bin/slipway"} {
		if !admits(p) {
			t.Errorf("%s is kept out of the build context", p)
		}
	}
	for _, p := range []string{"go.mod", "actions/lint-python/main.go", "internal/lint/run.go", ".git/config", "bin/other", "bin/lint-python", "examples/platform/docker-compose.e2e.yml", "README.md"} {
		if admits(p) {
			t.Errorf("%s enters the build context", p)
		}
	}
}

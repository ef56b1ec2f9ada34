package actions_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/runnertest"
)

// TestImage_RunsEveryEntrypoint runs each action.yml's entrypoint with --help in the image built from
// the root Dockerfile, the image CI ships.
func TestImage_RunsEveryEntrypoint(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	cli := dockertest.Client(t)
	for _, name := range actionNames(t) {
		m := loadMetadata(t, filepath.Join(name, "action.yml"))
		code, out := dockertest.Run(t, cli, img, []string{m.Runs.Entrypoint}, "--help")
		if code != 0 || !strings.Contains(out, "Usage: "+name) {
			t.Errorf("%s --help in the image: exit %d\n%s", m.Runs.Entrypoint, code, out)
		}
		// With GITHUB_ACTIONS unset and no inputs it is a CLI run with bad input: exit 2, not a crash.
		if code, out := dockertest.Run(t, cli, img, []string{m.Runs.Entrypoint}, "--no-such-flag"); code != 2 {
			t.Errorf("%s --no-such-flag: exit %d, want 2\n%s", name, code, out)
		}
	}
	// What lint-python and its install feature run: Debian's Python, venv, pip, git and linters.
	code, out := dockertest.Run(t, cli, img, []string{"sh", "-c"},
		"set -e; for c in git flake8 black isort pylint mypy; do command -v $c; done; python3 -m venv /tmp/v; /tmp/v/bin/pip --version")
	if code != 0 {
		t.Errorf("the image lacks a tool lint-python needs: exit %d\n%s", code, out)
	}
}

// TestDockerignore_ContextIsWhatTheImageNeeds: the build context holds the Dockerfile, the root
// action's entrypoint and the five prebuilt binaries, nothing else of the repository.
func TestDockerignore_ContextIsWhatTheImageNeeds(t *testing.T) {
	t.Parallel()
	admits, err := runnertest.ContextAdmits("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range dockerfileActions(t) {
		if !admits("bin/" + a) {
			t.Errorf("bin/%s is kept out of the build context", a)
		}
	}
	for _, p := range []string{"Dockerfile", "entrypoint.sh"} {
		if !admits(p) {
			t.Errorf("%s is kept out of the build context", p)
		}
	}
	for _, p := range []string{"go.mod", "actions/lint-python/main.go", "internal/lint/run.go", ".git/config", "bin/other", "examples/platform/docker-compose.e2e.yml", "README.md"} {
		if admits(p) {
			t.Errorf("%s enters the build context", p)
		}
	}
}

// TestEntrypoint_DispatchesByCommand runs the root action's entrypoint script with the host's sh.
func TestEntrypoint_DispatchesByCommand(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	dir := t.TempDir()
	dockertest.GoBinary(t, dir, "./ecs-deploy", "ecs-deploy")
	run := func(env []string, args ...string) (int, string) {
		cmd := exec.Command("sh", append([]string{filepath.Join("..", "entrypoint.sh")}, args...)...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "SLIPWAY_BIN_DIR=" + dir}, env...)
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := run([]string{"INPUT_COMMAND=ecs-deploy"}); code != 2 || !strings.Contains(out, `input "cluster" is required`) {
		t.Errorf("INPUT_COMMAND=ecs-deploy: exit %d, want 2 with ecs-deploy's own input errors\n%s", code, out)
	}
	if code, out := run(nil, "ecs-deploy", "--help"); code != 0 || !strings.Contains(out, "Usage: ecs-deploy") {
		t.Errorf("ecs-deploy --help: exit %d\n%s", code, out)
	}
	code, out := run([]string{"GITHUB_ACTIONS=true", "INPUT_COMMAND=::add-mask::x"})
	if code != 2 || strings.Contains(out, "add-mask") {
		t.Errorf("unknown command: exit %d, want 2 without echoing the value\n%s", code, out)
	}
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

// Every directory of actions/ with an action.yml is a subcommand, and nothing else is.
func TestActions_AreTheActionsDirectories(t *testing.T) {
	t.Parallel()
	ymls, err := filepath.Glob(filepath.Join("..", "..", "actions", "*", "action.yml"))
	if err != nil || len(ymls) == 0 {
		t.Fatalf("no actions/*/action.yml: %v", err)
	}
	var dirs []string
	for _, y := range ymls {
		dirs = append(dirs, filepath.Base(filepath.Dir(y)))
	}
	slices.Sort(dirs)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range actions {
			if !yield(n) {
				return
			}
		}
	})
	if !slices.Equal(dirs, names) {
		t.Errorf("subcommands %v, actions/ holds %v", names, dirs)
	}
	if got := slices.Sorted(slices.Values(order)); !slices.Equal(got, names) {
		t.Errorf("usage lists %v, subcommands are %v", order, names)
	}
}

// The program as the runner starts it: the action by its first argument (each action.yml's args) or,
// with none (the root action.yml), by INPUT_COMMAND, which survives Guard's re-execution.
func TestSlipway_DispatchesByArgumentOrCommandInput(t *testing.T) {
	t.Parallel()
	bin := dockertest.GoBinary(t, t.TempDir(), ".", "slipway")
	run := func(env []string, args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := run([]string{"INPUT_COMMAND=ecs-deploy"}); code != 2 || !strings.Contains(out, `input "cluster" is required`) {
		t.Errorf("INPUT_COMMAND=ecs-deploy: exit %d, want 2 with ecs-deploy's own input errors\n%s", code, out)
	}
	if code, out := run([]string{"GITHUB_ACTIONS=true", "INPUT_COMMAND=ecs-deploy"}); code != 2 || !strings.Contains(out, `::error::input "cluster" is required`) {
		t.Errorf("INPUT_COMMAND=ecs-deploy as the runner runs it: exit %d, want 2 with ecs-deploy's own input errors\n%s", code, out)
	}
	if code, out := run(nil, "ecs-deploy", "--help"); code != 0 || !strings.Contains(out, "Usage: ecs-deploy") {
		t.Errorf("ecs-deploy --help: exit %d\n%s", code, out)
	}
	if code, out := run(nil, "--help"); code != 0 || !strings.Contains(out, "lint-python, run-e2e, build-push-images, ecs-deploy, flag-rollout, pr-report") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
	if code, out := run(nil); code != 2 || !strings.Contains(out, `input "command" is required`) {
		t.Errorf("no action: exit %d, want 2\n%s", code, out)
	}
	for _, env := range [][]string{{"GITHUB_ACTIONS=true", "INPUT_COMMAND=::add-mask::x"}, {"GITHUB_ACTIONS=true"}} {
		args := []string{}
		if len(env) == 1 {
			args = []string{"::stop-commands::x"}
		}
		code, out := run(env, args...)
		if code != 2 || strings.Contains(out, "add-mask") || strings.Contains(out, "stop-commands") {
			t.Errorf("unknown action %v %v: exit %d, want 2 without echoing the value\n%s", env, args, code, out)
		}
	}
}

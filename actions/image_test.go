package actions_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

// TestImage_ScratchVariantRunsEveryEntrypoint builds the image's "binaries" stage as this machine can
// (no base image can be pulled: the binaries are built here, static, and copied FROM scratch to the
// paths the Dockerfile uses) and runs each action.yml's entrypoint with --help inside it.
func TestImage_ScratchVariantRunsEveryEntrypoint(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	dir := t.TempDir()
	files := map[string]dockertest.File{
		"Dockerfile": {Data: []byte("FROM scratch\nCOPY bin/ /usr/local/bin/\n")},
	}
	for _, name := range dockerfileActions(t) {
		bin := dockertest.GoBinary(t, dir, "./"+name, name)
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		files["bin/"+name] = dockertest.File{Data: data, Mode: 0o755}
	}
	tag := dockertest.UniqueName(t, "slipway-scratch") + ":test"
	dockertest.BuildImage(t, cli, tag, files)

	for _, name := range actionNames(t) {
		m := loadMetadata(t, filepath.Join(name, "action.yml"))
		code, out := dockertest.Run(t, cli, tag, []string{m.Runs.Entrypoint}, "--help")
		if code != 0 {
			t.Errorf("%s --help in the image: exit %d\n%s", m.Runs.Entrypoint, code, out)
		}
		if !strings.Contains(out, "Usage: "+name) {
			t.Errorf("%s --help printed no usage:\n%s", name, out)
		}
		// With GITHUB_ACTIONS unset and no inputs it is a CLI run with bad input: exit 2, not a crash.
		if code, out := dockertest.Run(t, cli, tag, []string{m.Runs.Entrypoint}, "--no-such-flag"); code != 2 {
			t.Errorf("%s --no-such-flag: exit %d, want 2\n%s", name, code, out)
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

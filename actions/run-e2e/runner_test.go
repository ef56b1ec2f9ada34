package rune2e

import (
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/runnertest"
)

// In its container, as the runner starts it (the workspace bind-mounted at /github/workspace from a
// host directory the engine sees under another path), run-e2e gives the engine the host path of a
// relative bind and of a secret file of the workspace: the test service reads the repository's
// files through them, and its verdict depends on what it read. (Given /github/workspace/tests, the
// engine would mount an empty directory its host makes, and the secret would not exist.)
func TestRunner_BindsOfTheWorkspaceReachTheTestService(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	j := runnertest.NewJob(t)
	j.WriteFile("e2e/tests/fixture.txt", "from the workspace\n")
	j.WriteFile("e2e/tests/token.txt", "token-of-the-workspace\n")
	j.WriteFile("e2e/docker-compose.yml", `services:
  e2e:
    image: `+img+`
    volumes: [./tests:/tests:ro]
    secrets: [token]
    entrypoint: ["sh", "-c"]
    command:
      - |
        echo "fixture: $(cat /tests/fixture.txt), token: $(cat /run/secrets/token)"
        test "$(cat /tests/fixture.txt)" = "from the workspace" && test "$(cat /run/secrets/token)" = "token-of-the-workspace"
secrets:
  token: {file: ./tests/token.txt}
`)
	res := j.Uses(runnertest.Step{Action: ".", Image: img, With: map[string]string{
		"compose-file": "e2e/docker-compose.yml", "test-service": "e2e", "project-name": strings.ToLower(dockertest.UniqueName(t, "binds")),
		"wait-timeout": "1m",
	}})
	if res.ExitCode != 0 || res.Outputs["result"] != "passed" {
		t.Fatalf("want exit 0, the test service having read the workspace's files: %v", res)
	}
	if strings.Contains(res.Log, "its directory on the engine's host is unknown") {
		t.Errorf("run-e2e did not find the workspace's host directory: %v", res)
	}
}

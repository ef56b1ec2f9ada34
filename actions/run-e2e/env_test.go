package rune2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/compose"
)

// The platform's Compose file cannot reach the action's inputs (the registry password) or the
// runner's tokens (the OIDC request token mints cloud credentials), whether by interpolation or by
// passing a variable through; what the workflow set on the step reaches it. Compose's loader reads the
// process environment, so they are taken out of it (not parallel: it sets the process environment).
func TestScrubEnv_LeavesOutTheActionsInputsAndTheRunnersTokens(t *testing.T) {
	for k, v := range map[string]string{
		"INPUT_REGISTRY-PASSWORD": "pw-s3cret", "input_lower": "x", "ACTIONS_RUNTIME_TOKEN": "rt-s3cret",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-s3cret", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x",
		"DATABASE_URL": "postgres://db/test", "GITHUB_TOKEN": "set-on-the-step",
	} {
		t.Setenv(k, v)
	}
	scrubEnv()
	for _, k := range []string{"INPUT_REGISTRY-PASSWORD", "input_lower", "ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%s is still in the environment", k, v)
		}
	}
	dir := t.TempDir()
	text := "services:\n  e2e:\n    image: x\n    environment:\n      - ACTIONS_ID_TOKEN_REQUEST_TOKEN\n      - INPUT_REGISTRY-PASSWORD\n      - RT=${ACTIONS_RUNTIME_TOKEN:-none}\n      - DATABASE_URL\n      - GITHUB_TOKEN\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _, err := compose.Load(context.Background(), compose.Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "env", TestService: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	env := p.Services["e2e"].Environment
	if v := env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]; v != nil {
		t.Errorf("the OIDC request token reached the service: %q", *v)
	}
	if v := env["INPUT_REGISTRY-PASSWORD"]; v != nil {
		t.Errorf("the registry password reached the service: %q", *v)
	}
	if v := env["RT"]; v == nil || *v != "none" {
		t.Errorf("RT = %v, want the default: the runtime token was interpolated", v)
	}
	if v := env["DATABASE_URL"]; v == nil || *v != "postgres://db/test" {
		t.Errorf("DATABASE_URL = %v: the step's environment did not pass", v)
	}
	if v := env["GITHUB_TOKEN"]; v == nil || *v != "set-on-the-step" {
		t.Errorf("GITHUB_TOKEN = %v: the step's environment did not pass", v)
	}
}

// An untrusted project's Compose files see the runner's and Docker's variables and nothing else of the
// job: a job-level secret, or the AWS credentials an earlier step exported, is gone from the process
// before Compose reads it (in a child process: keepOnly changes the environment of the process).
func TestKeepOnly_AnUntrustedProjectSeesTheRunnersVariablesOnly(t *testing.T) {
	if os.Getenv("SLIPWAY_KEEPONLY_CHILD") == "1" {
		keepOnly(untrustedEnv)
		for _, kv := range os.Environ() {
			fmt.Println(kv)
		}
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeepOnly_AnUntrustedProjectSeesTheRunnersVariablesOnly$")
	cmd.Env = []string{"SLIPWAY_KEEPONLY_CHILD=1", "PATH=/usr/bin", "HOME=/github/home", "DOCKER_HOST=unix:///x",
		"GITHUB_WORKSPACE=/github/workspace", "GITHUB_TOKEN=ghs_secret", "AWS_SECRET_ACCESS_KEY=aws-secret",
		"DATABASE_PASSWORD=db-secret", "COMPOSE_PROFILES=e2e", "RUNNER_TEMP=/tmp"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, gone := range []string{"ghs_secret", "aws-secret", "db-secret", "SLIPWAY_KEEPONLY_CHILD"} {
		if strings.Contains(string(out), gone) {
			t.Errorf("%s is still in the environment:\n%s", gone, out)
		}
	}
	for _, kept := range []string{"PATH=/usr/bin", "HOME=/github/home", "DOCKER_HOST=unix:///x", "GITHUB_WORKSPACE=/github/workspace",
		"COMPOSE_PROFILES=e2e", "RUNNER_TEMP=/tmp"} {
		if !strings.Contains(string(out), kept) {
			t.Errorf("%s was removed:\n%s", kept, out)
		}
	}
}

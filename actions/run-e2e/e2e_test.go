package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// platformWorkspace writes the test platform's compose file (with edits) into a fresh workspace.
func platformWorkspace(t *testing.T, edits ...string) (*actiontest.Runner, string) {
	t.Helper()
	cli := dockertest.Client(t)
	img := composetest.PlatformImage(t, cli)
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "docker-compose.yml"), []byte(composetest.Compose(img, composetest.Green, edits...)), 0o644); err != nil {
		t.Fatal(err)
	}
	name := strings.ToLower(dockertest.UniqueName(t, "action"))
	t.Cleanup(func() {
		if n, err := compose.Leftovers(context.Background(), cli, name); err != nil || n != 0 {
			t.Errorf("%d leftovers of project %s (%v)", n, name, err)
		}
	})
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"] = ws
	r.Input("test-service", "e2e").Input("project-name", name).Input("reports", "/reports/*.xml").Input("build", "false")
	return r, ws
}

func TestRunE2E_GreenRunPasses(t *testing.T) {
	t.Parallel()
	r, ws := platformWorkspace(t)
	res := r.Run(t, context.Background(), realMain)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if res.Outputs["result"] != "passed" || res.Outputs["tests"] != "2" || res.Outputs["failures"] != "0" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	if _, err := os.Stat(filepath.Join(ws, "e2e-reports", "junit.xml")); err != nil {
		t.Errorf("report not copied: %v", err)
	}
	if !strings.Contains(res.Summary, "| passed | 2 | 0 | 0 |") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

// Failing tests exit 1 with an annotation on the failing test's file and line; the test service's
// output (which tries to set an output) is printed as untrusted text.
func TestRunE2E_FailingTestsAnnotateAndCannotIssueCommands(t *testing.T) {
	t.Parallel()
	r, ws := platformWorkspace(t, `-reports, /reports]`, `-reports, /reports, -fail]`)
	res := r.Run(t, context.Background(), realMain)
	if res.Code != 1 || res.Outputs["result"] != "failed" || res.Outputs["failures"] != "1" {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	var annotated bool
	for _, c := range actiontest.Commands(res.Stdout) {
		switch {
		case c.Name == "set-output":
			t.Errorf("the test service issued set-output:\n%s", res.Stdout)
		case c.Name == "error" && strings.Contains(res.Stdout, "::error file=tests/test_checkout.py,line=42"):
			annotated = true
		}
	}
	if !annotated {
		t.Errorf("no annotation on tests/test_checkout.py:42:\n%s", res.Stdout)
	}
	if res.Outputs["result"] == "pwned" {
		t.Errorf("the test service set an output")
	}
	if _, err := os.Stat(filepath.Join(ws, "e2e-artifacts", "e2e.log")); err != nil {
		t.Errorf("the test service's log was not kept: %v", err)
	}
}

func TestRunE2E_NeverHealthyExits1WithLogs(t *testing.T) {
	t.Parallel()
	r, _ := platformWorkspace(t, "[serve, -delay, 1s]", "[serve, -delay, 1h]")
	r.Input("wait-timeout", "10s")
	res := r.Run(t, context.Background(), realMain)
	if res.Code != 1 || !strings.Contains(res.Stdout, "service api never met service_healthy") || !strings.Contains(res.Stdout, "log of api") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

func TestRunE2E_BadComposeInputIsExit2(t *testing.T) {
	t.Parallel()
	r, _ := platformWorkspace(t)
	r.Input("test-service", "tests").Input("compose-file", "docker-compose.yml,missing.yml")
	res := r.Run(t, context.Background(), realMain)
	if res.Code != 2 || !strings.Contains(res.Stdout, "compose-file missing.yml") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

// GitHub cancels a run with SIGTERM: the real binary, stopped mid-run, leaves no container, network
// or volume of the project behind (checked through the engine) and exits 3.
func TestRunE2E_SIGTERMMidRunLeavesNothing(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	img := composetest.PlatformImage(t, cli)
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "docker-compose.yml"), []byte(composetest.Compose(img, composetest.Green,
		`[e2e, -url, "http://api:8080/health", -reports, /reports]`, `[sleep]`)), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := dockertest.GoBinary(t, t.TempDir(), ".", "run-e2e")
	name := strings.ToLower(dockertest.UniqueName(t, "sigterm"))
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "GITHUB_WORKSPACE="+ws, "INPUT_TEST-SERVICE=e2e", "INPUT_PROJECT-NAME="+name, "INPUT_BUILD=false")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for n := 0; n < 5 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) { // 4 containers + 1 network
		n, _ = compose.Leftovers(context.Background(), cli, name)
	}
	time.Sleep(500 * time.Millisecond) // let the test service start
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Errorf("exit: %v, want 3; output:\n%s", err, out.String())
	}
	if n, err := compose.Leftovers(context.Background(), cli, name); err != nil || n != 0 {
		t.Errorf("%d leftovers after SIGTERM (%v); output:\n%s", n, err, out.String())
	}
}

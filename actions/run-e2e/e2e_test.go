package rune2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/slipway-actions/slipway/internal/actionkit"
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
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if res.Outputs["result"] != "passed" || res.Outputs["tests"] != "2" || res.Outputs["failures"] != "0" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	// A later step, on the host or in another container action, finds it relative to its workspace.
	if res.Outputs["reports-dir"] != "e2e-reports" {
		t.Errorf("reports-dir = %q, want e2e-reports", res.Outputs["reports-dir"])
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
	res := r.Run(t, context.Background(), Main)
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
	if res.Outputs["artifacts-dir"] != "e2e-artifacts" {
		t.Errorf("artifacts-dir = %q, want e2e-artifacts", res.Outputs["artifacts-dir"])
	}
}

// Directories whose paths become outputs must be in the workspace, where the next step reads them.
func TestRunE2E_OutputDirectoryOutsideTheWorkspaceIsExit2(t *testing.T) {
	t.Parallel()
	r, _ := platformWorkspace(t)
	r.Input("reports-dir", "/tmp/elsewhere").Input("artifacts-dir", "../logs")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, `input "reports-dir": "/tmp/elsewhere" is outside the workspace`) ||
		!strings.Contains(res.Stdout, `input "artifacts-dir": "../logs" is outside the workspace`) {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

// A test service behind a profile runs when named; the profiles input, or else COMPOSE_PROFILES,
// enables the others.
func TestRunE2E_Profiles(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, input, env string
		extra            bool
	}{
		{name: "none", extra: false},
		{name: "input", input: "extra", extra: true},
		{name: "COMPOSE_PROFILES", env: "other,extra", extra: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			img := composetest.PlatformImage(t, dockertest.Client(t))
			r, _ := platformWorkspace(t, "  e2e:\n", "  extra:\n    image: "+img+"\n    command: [migrate]\n    profiles: [extra]\n  e2e:\n    profiles: [test]\n")
			r.Input("profiles", c.input)
			r.Env["COMPOSE_PROFILES"] = c.env
			res := r.Run(t, context.Background(), Main)
			if res.Code != 0 || strings.Contains(res.Stdout, "-extra-1 Started") != c.extra || !strings.Contains(res.Stdout, "-e2e-1 Started") {
				t.Fatalf("exit %d, extra started: %v, want %v; log:\n%s", res.Code, !c.extra, c.extra, res.Stdout)
			}
		})
	}
}

// A key run-e2e cannot honour and whose absence would change the result stops the run before
// anything starts (exit 2, naming it); the keys it and Compose leave out are one warning.
func TestRunE2E_UnsupportedKeysAreNamed(t *testing.T) {
	t.Parallel()
	r, _ := platformWorkspace(t, "    command: [serve, -delay, 500ms]", "    command: [serve, -delay, 500ms]\n    develop: {watch: [{path: ., action: rebuild}]}\n    credential_spec: {file: x.json}")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	var warnings []string
	for _, c := range actiontest.Commands(res.Stdout) {
		if c.Name == "warning" {
			warnings = append(warnings, c.Message)
		}
	}
	// Compose's own words for what it does not honour here, run-e2e's for what it leaves out.
	if len(warnings) != 1 || !strings.Contains(warnings[0], "service db: develop (") || !strings.Contains(warnings[0], `service "db": credential_spec: credential_spec is only supported`) {
		t.Errorf("warnings = %q", warnings)
	}
	r, _ = platformWorkspace(t, "    command: [serve, -delay, 500ms]", "    command: [serve, -delay, 500ms]\n    use_api_socket: true")
	res = r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "service db: use_api_socket is not supported: Compose would copy the runner's registry logins") ||
		strings.Contains(res.Stdout, "-db-1 Started") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

func TestRunE2E_NeverHealthyExits1WithLogs(t *testing.T) {
	t.Parallel()
	r, _ := platformWorkspace(t, "[serve, -delay, 1s]", "[serve, -delay, 1h]")
	r.Input("wait-timeout", "10s")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 || !strings.Contains(res.Stdout, "service api never met service_healthy") || !strings.Contains(res.Stdout, "log of api") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

func TestRunE2E_BadComposeInputIsExit2(t *testing.T) {
	t.Parallel()
	r, _ := platformWorkspace(t)
	r.Input("test-service", "tests").Input("compose-file", "docker-compose.yml,missing.yml")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "compose-file missing.yml") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

// GitHub cancels a step on the runner's cancel timeline (actiontest.Process.Cancel), SIGINT first;
// `docker stop` and other supervisors start with SIGTERM. Either way the real binary, stopped mid-run,
// has removed every container, network and volume of the project (checked through the engine) within
// the cancel window, and exits 3.
func TestRunE2E_CancelLeavesNothingWithinTheRunnersWindow(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	img := composetest.PlatformImage(t, cli)
	bin := dockertest.GoBinary(t, t.TempDir(), "../../cmd/slipway", "slipway")
	for _, first := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(first.String(), func(t *testing.T) {
			t.Parallel()
			ws := t.TempDir()
			if err := os.WriteFile(filepath.Join(ws, "docker-compose.yml"), []byte(composetest.Compose(img, composetest.Green,
				`[e2e, -url, "http://api:8080/health", -reports, /reports]`, `[sleep]`,
				"  db:\n", "  db:\n    volumes: [data:/data]\n")+"volumes:\n  data:\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			name := strings.ToLower(dockertest.UniqueName(t, "cancel"))
			r := actiontest.NewRunner(t)
			r.Env["GITHUB_WORKSPACE"] = ws
			r.Input("test-service", "e2e").Input("project-name", name).Input("build", "false")
			proc := r.Start(t, bin, []string{"run-e2e"})
			// Cancel once the test service runs and has said so.
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("run-e2e's output:\n%s", proc.Log())
				}
			})
			composetest.WaitPrinted(t, cli, name, "e2e", "sleeping", 2*time.Minute)
			// and once run-e2e follows it: the container can print before run-e2e has seen it start,
			// and a cancel before then is one while the platform starts, whose test service said nothing.
			for deadline := time.Now().Add(time.Minute); !strings.Contains(proc.Log(), name+"-e2e-1 Started"); time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("run-e2e did not say it started the test service:\n%s", proc.Log())
				}
			}
			code, took, killed := proc.Cancel(t, first)
			if killed || code != 3 || took > actionkit.CancelWindow+500*time.Millisecond {
				t.Errorf("exit %d after %s (killed by the runner: %v), want 3 within the cancel window (%s); output:\n%s", code, took, killed, actionkit.CancelWindow, proc.Log())
			}
			if n, err := compose.Leftovers(context.Background(), cli, name); err != nil || n != 0 {
				t.Errorf("%d containers, networks and volumes left after the cancel (%v); output:\n%s", n, err, proc.Log())
			}
			if !strings.Contains(proc.Log(), "removed first") {
				t.Errorf("the log does not say what was done:\n%s", proc.Log())
			}
			if log, err := os.ReadFile(filepath.Join(ws, "e2e-artifacts", "e2e.log")); err != nil || !strings.Contains(string(log), "sleeping") {
				t.Errorf("the test service's output until the cancel was not kept (%v): %q", err, log)
			}
		})
	}
}

// A secret of the step (here the registry password) that a failing service prints reaches neither
// the log nor the summary nor the files kept as artifacts: they become downloadable artifacts.
func TestRunE2E_SecretsNeverReachTheArtifacts(t *testing.T) {
	t.Parallel()
	const secret = "leak-s3cret-value"
	r, ws := platformWorkspace(t, `"http://api:8080/health"`, `"http://ci:`+secret+`@127.0.0.1:1/health"`)
	r.Input("registry", "127.0.0.1:1").Input("registry-username", "ci").Input("registry-password", secret)
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	log, err := os.ReadFile(filepath.Join(ws, "e2e-artifacts", "e2e.log"))
	if err != nil {
		t.Fatalf("the failing test service's log was not kept: %v", err)
	}
	if !strings.Contains(string(log), "http://ci:***@127.0.0.1:1/health") {
		t.Errorf("the kept log is not the service's, redacted:\n%s", log)
	}
	_ = filepath.WalkDir(ws, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(path) != "docker-compose.yml" {
			if data, _ := os.ReadFile(path); strings.Contains(string(data), secret) {
				t.Errorf("%s holds the secret", path)
			}
		}
		return nil
	})
	for _, line := range strings.Split(res.Stdout+res.Summary, "\n") {
		if strings.Contains(line, secret) && !strings.HasPrefix(line, "::add-mask::") {
			t.Errorf("the secret was printed: %s", line)
		}
	}
}

// A pull request's Compose file on pull_request_target is hostile: naming the runner's
// /proc/self/environ as a secret (the action's inputs, the registry password among them) or asking
// for a privileged container is exit 2, naming each, and the engine never creates a container of the
// project. On a trusted push, the privileged container would run; the secret file still needs
// allow: host-files.
func TestRunE2E_HostileComposeFileIsRefusedBeforeAnythingIsCreated(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	r, ws := platformWorkspace(t, "    command: [serve, -delay, 500ms]", "    command: [serve, -delay, 500ms]\n    privileged: true\n    secrets: [env]")
	f, err := os.OpenFile(filepath.Join(ws, "docker-compose.yml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("secrets:\n  env: {file: /proc/self/environ}\n"); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"action":"opened","number":1,"pull_request":{"number":1,"head":{"sha":"abc","repo":{"full_name":"mallory/web","fork":true}},"base":{"repo":{"full_name":"acme/web"}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Env["GITHUB_EVENT_NAME"], r.Env["GITHUB_EVENT_PATH"] = "pull_request_target", event
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	name := r.Env["INPUT_PROJECT-NAME"]
	creates, _ := cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(filters.Arg("type", "container"),
		filters.Arg("event", "create"), filters.Arg("label", "com.docker.compose.project="+name))})
	res := r.Run(t, context.Background(), Main)
	for _, want := range []string{
		"untrusted project (the run is on pull_request_target)",
		"service db: privileged: refused for a project run-e2e does not trust (add privileged to allow",
		"secret env: /proc/self/environ is outside the workspace: refused (add host-files to allow",
	} {
		if res.Code != 2 || !strings.Contains(res.Stdout, want) {
			t.Errorf("exit %d, want 2 saying %q; log:\n%s", res.Code, want, res.Stdout)
		}
	}
	// The engine reports events in order: a container of the project created now, after the run, is
	// the first create reported unless the run created one.
	marker, err := cli.ContainerCreate(context.Background(), &container.Config{Image: composetest.PlatformImage(t, cli),
		Labels: map[string]string{"com.docker.compose.project": name}}, nil, nil, nil, name+"-marker")
	if err != nil {
		t.Fatal(err)
	}
	_ = cli.ContainerRemove(context.Background(), marker.ID, container.RemoveOptions{Force: true})
	select {
	case m := <-creates:
		if m.Actor.ID != marker.ID {
			t.Errorf("the engine created a container of the project: %v", m.Actor.Attributes)
		}
	case <-time.After(time.Minute):
		t.Error("the engine never reported the marker's create")
	}
	// Trusted (a push): privileged passes the trust check; the file outside the workspace does not.
	r.Env["GITHUB_EVENT_NAME"] = "push"
	res = r.Run(t, context.Background(), Main)
	if res.Code != 2 || strings.Contains(res.Stdout, "privileged: refused") || !strings.Contains(res.Stdout, "secret env: /proc/self/environ is outside the workspace") {
		t.Errorf("trusted: exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

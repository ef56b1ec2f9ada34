package rollout

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/sandbox"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
	"github.com/slipway-actions/slipway/internal/testenv"
)

// hanging is a gate URL that answers only once its caller has gone, and a channel that tells of
// each request it holds.
func hanging(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	held := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		held <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL, held
}

// gateStarted is a gate command that says, through a FIFO, that its child (sleep, holding the
// output pipe) is running, and the FIFO: started reads it.
func gateStarted(t *testing.T) (string, string) {
	t.Helper()
	fifo := filepath.Join(sandboxtest.WritableDir(t), "started")
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(fifo, 0o666); err != nil { // the sandbox's user writes it
		t.Fatal(err)
	}
	return "echo checking; sleep 60 & echo $! >'" + fifo + "'; wait; echo done", fifo
}

// started blocks until the gate command has written the FIFO: the write is the event, no polling.
// A gate that never writes it fails the test after 30 s.
func started(t *testing.T, fifo string) {
	got := make(chan error, 1)
	go func() { _, err := os.ReadFile(fifo); got <- err }()
	select {
	case err := <-got:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the gate command never wrote %s", fifo)
	}
}

// waitForFile waits until path exists; from any goroutine.
func waitForFile(t *testing.T, path string) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Errorf("%s never appeared", path)
}

// A cancel of the run while a gate checks is no verdict on the step: the result says it was
// stopped, and a command's whole process group is killed at once.
func TestGate_ACancelIsNoVerdict(t *testing.T) {
	t.Parallel()
	command, fifo := gateStarted(t)
	url, held := hanging(t)
	for name, g := range map[string]Gate{"url": {URL: url}, "command": {Command: command}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				if g.Command != "" {
					started(t, fifo)
				} else {
					<-held
				}
				cancel()
			}()
			start := time.Now()
			res := g.Check(ctx, State{})
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("the check returned %s after it started", took.Round(time.Millisecond))
			}
			if res.OK || !res.Cancelled || !strings.Contains(res.Detail, "stopped") || strings.Contains(res.Output, "done") {
				t.Errorf("result = %+v, want stopped by the cancel", res)
			}
		})
	}
}

// A gate that outlives its own timeout failed: that is its verdict, not a cancel.
func TestGate_ItsOwnTimeoutIsAFailure(t *testing.T) {
	t.Parallel()
	url, _ := hanging(t)
	for name, g := range map[string]Gate{"url": {URL: url}, "command": {Command: "sleep 60; echo done"}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g.Timeout = 100 * time.Millisecond
			start := time.Now()
			res := g.Check(context.Background(), State{})
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("the check returned %s after it started, with a timeout of 100ms", took.Round(time.Millisecond))
			}
			if res.OK || res.Cancelled || !strings.Contains(res.Detail, "within its timeout (100ms)") {
				t.Errorf("result = %+v, want a failure naming the timeout", res)
			}
		})
	}
}

// A run cancelled while its gate checks restores the state before the run and says it was
// cancelled: it is not a failed gate (the action would exit 1 for that).
func TestRun_CancelWhileTheGateRunsIsNoFailedGate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	command, fifo := gateStarted(t)
	go func() { started(t, fifo); cancel() }()
	res, err := w.runCtx(ctx, t, Config{Percentage: pct(10), Gate: Gate{Command: command}})
	if err == nil || errors.As(err, new(*GateError)) || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "cancelled while the gate ran") {
		t.Fatalf("err = %v, want a cancel", err)
	}
	if !res.RolledBack || res.Left != LeftPrevious || len(res.Steps) != 1 || res.Steps[0].Gate == nil || !res.Steps[0].Gate.Cancelled {
		t.Errorf("result = %+v", res)
	}
	if st := w.state(); len(st.Overrides) != 0 || w.segment(rolloutSegment) != nil {
		t.Errorf("state = %+v, want the state before the run", st)
	}
}

// A gate command that exits 0 passes, even when a process it started in the background still holds
// its output: its exit code is the verdict, and the check does not wait for that process.
func TestGate_ABackgroundProcessHoldingTheOutputDoesNotFailAPassingGate(t *testing.T) {
	t.Parallel()
	start := time.Now()
	res := Gate{Command: "sleep 3 & echo checked"}.Check(context.Background(), State{})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the check returned %s after it started", took.Round(time.Millisecond))
	}
	if !res.OK || !strings.Contains(res.Output, "checked") {
		t.Errorf("result = %+v, want passed", res)
	}
}

// A gate's processes end with the check, whatever its verdict: a passing gate that started one in
// the background does not leave it running beside the rest of the rollout.
func TestGate_LeavesNoProcessBehind(t *testing.T) {
	t.Parallel()
	pidFile := filepath.Join(sandboxtest.WritableDir(t), "pid")
	res := Gate{Command: "sleep 60 >/dev/null 2>&1 & echo $! >'" + pidFile + "'; echo checked"}.Check(context.Background(), State{})
	if !res.OK {
		t.Fatalf("result = %+v, want passed", res)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !exited(t, pid, 5*time.Second) {
		stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		t.Fatalf("the gate's background process %d is still running: %s", pid, stat)
	}
}

// dockerSocket is a socket like the one the runner mounts into a container action: root's, mode
// 0660, of another group (docker's), answering every request as the Docker API answers
// GET /containers/{id}/json: with the container's environment, the action's inputs in it.
func dockerSocket(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(sandboxtest.WritableDir(t), "docker.sock")
	srv := &httptest.Server{Listener: mustListen(t, sock), Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Config":{"Env":["INPUT_API-KEY=ser.the-api-key","ACTIONS_RUNTIME_TOKEN=runtime-token"]}}`))
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	if err := os.Chown(sock, 0, 105); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o660); err != nil {
		t.Fatal(err)
	}
	return sock
}

func mustListen(t *testing.T, sock string) net.Listener {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// gateSnoop is a gate command that asks the Docker API, through each socket, for its container's
// environment (the Docker CLI and curl are not in the image; python3 is), and reads the environment
// of the process that started it and of pid 1 (saying only how much it read: a failing test
// prints no secret of the machine). It exits 0 whatever it got.
func gateSnoop(sockets ...string) string {
	return `for s in ` + strings.Join(sockets, " ") + `; do
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /containers/" + socket.gethostname().encode() + b"/json HTTP/1.0\r\nHost: docker\r\n\r\n")
print(s.recv(65536).decode(errors="replace"))
' "$s" 2>&1 | tail -n 3
done
for p in $PPID 1; do
	if e=$(tr '\0' '\n' </proc/$p/environ); then echo "read the environ of $p: $(echo "$e" | wc -l) variables"; fi
done
true`
}

// In a container action, slipway runs as root beside the runner's Docker socket. A gate command
// (the user's, and whatever it runs) runs in the sandbox: it cannot get the container's environment
// from the Docker API, through that socket or the machine's own, nor read the environment of the
// process that started it or of pid 1; and the rollout goes on, the gate's exit code its verdict.
func TestRun_AGateCannotAskDockerOrReadTheActionsEnvironment(t *testing.T) {
	t.Parallel()
	if !sandbox.Active() {
		testenv.Missing(t, "root", "the sandbox acts only when the action runs as root on Linux (in its container)")
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		testenv.Require(t, "/usr/bin/python3 (to ask the Docker API with)", err)
	}
	sockets := []string{dockerSocket(t)}
	if st, err := os.Stat("/var/run/docker.sock"); err == nil && st.Mode()&os.ModeSocket != 0 {
		sockets = append(sockets, "/var/run/docker.sock")
	}
	w := newWorld(t, unversioned)
	res, err := w.run(t, Config{Percentage: pct(10), Gate: Gate{Command: gateSnoop(sockets...)}})
	if err != nil {
		t.Fatalf("the rollout failed: %v", err)
	}
	if len(res.Steps) != 1 || res.Steps[0].Gate == nil || !res.Steps[0].Gate.OK {
		t.Fatalf("result = %+v, want one step whose gate passed", res)
	}
	out := res.Steps[0].Gate.Output
	for _, leak := range []string{"INPUT_", "ser.the-api-key", "runtime-token", "HTTP/1", "read the environ of"} {
		if strings.Contains(out, leak) {
			t.Errorf("the gate command got %q:\n%s", leak, out)
		}
	}
	if n := strings.Count(out, "Permission denied"); n < len(sockets)+2 {
		t.Errorf("the gate command was refused %d times, want %d (each socket, each environ):\n%s", n, len(sockets)+2, out)
	}
	if st := w.state(); len(st.Overrides) != 1 {
		t.Errorf("state = %+v, want the rollout's segment override", st)
	}
}

// The gate command sees what the README promises: SLIPWAY_FEATURE, SLIPWAY_ENVIRONMENT and
// SLIPWAY_PERCENTAGE of the step, and the allow-listed variables of the run's environment; never
// the action's inputs or a variable holding the Flagsmith API key, whatever the run's environment has.
func TestRun_TheGateCommandsEnvironmentIsTheREADMEs(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	runEnv := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin:/bin", "GITHUB_REPOSITORY": "acme/web", "GITHUB_SHA": "abc123", "LANG": "C.UTF-8",
		"INPUT_API-KEY": w.fake.Key, "FLAGSMITH_API_KEY": w.fake.Key, "ACTIONS_RUNTIME_TOKEN": "runtime-token",
		"AWS_SECRET_ACCESS_KEY": "aws-secret", "GITHUB_TOKEN": "ghs_token",
	}
	gate := Gate{Command: "env", Env: func(k string) string { return runEnv[k] }}
	res, err := w.run(t, Config{Percentage: pct(25), Gate: gate})
	if err != nil {
		t.Fatal(err)
	}
	out := res.Steps[0].Gate.Output
	got := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			got[k] = v
		}
	}
	for k, v := range map[string]string{"SLIPWAY_FEATURE": "new-checkout", "SLIPWAY_ENVIRONMENT": "Production",
		"SLIPWAY_PERCENTAGE": "25", "GITHUB_REPOSITORY": "acme/web", "GITHUB_SHA": "abc123", "LANG": "C.UTF-8"} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	// PWD is the shell's; XDG_CACHE_HOME is in the sandbox's own home, with HOME and TMPDIR.
	allowed := map[string]bool{"SLIPWAY_FEATURE": true, "SLIPWAY_ENVIRONMENT": true, "SLIPWAY_PERCENTAGE": true, "PWD": true, "XDG_CACHE_HOME": true}
	for _, k := range passEnv {
		allowed[k] = true
	}
	for k := range got {
		if !allowed[k] {
			t.Errorf("the gate command got %s, which is not on the README's list", k)
		}
	}
	for _, secret := range []string{w.fake.Key, "runtime-token", "aws-secret", "ghs_token"} {
		if strings.Contains(out, secret) {
			t.Errorf("the gate command's environment holds a secret (%d bytes)", len(secret))
		}
	}
}

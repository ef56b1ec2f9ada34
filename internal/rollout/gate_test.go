package rollout

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/sandbox"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
	"github.com/slipway-actions/slipway/internal/testenv"
)

// hanging is a gate URL that answers only once its caller has gone.
func hanging(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// gateStarted is a gate command that says, through a file, that its child (sleep, holding the
// output pipe) is running, and the file.
func gateStarted(t *testing.T) (string, string) {
	marker := filepath.Join(sandboxtest.WritableDir(t), "started")
	return "echo checking; sleep 60 & echo $! >'" + marker + "'; wait; echo done", marker
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
	command, marker := gateStarted(t)
	for name, g := range map[string]Gate{"url": {URL: hanging(t)}, "command": {Command: command}} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				if g.Command != "" {
					waitForFile(t, marker)
				} else {
					time.Sleep(50 * time.Millisecond)
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
	for name, g := range map[string]Gate{"url": {URL: hanging(t)}, "command": {Command: "sleep 60; echo done"}} {
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
	command, marker := gateStarted(t)
	go func() { waitForFile(t, marker); cancel() }()
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
	pid := strings.TrimSpace(string(b))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		// gone, or a zombie waiting for init to reap it: either way no longer running
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gate's background process %s is still running: %s", pid, stat)
		}
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

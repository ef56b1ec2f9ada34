package rollout

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	marker := filepath.Join(t.TempDir(), "started")
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
	pidFile := filepath.Join(t.TempDir(), "pid")
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

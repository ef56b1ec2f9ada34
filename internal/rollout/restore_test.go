package rollout

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// holdable is the first write of a step on each kind of server: its method and path.
func (w *world) defaultWrite(s server) (string, string) {
	id := strconv.Itoa(w.feature)
	switch {
	case s.future:
		return http.MethodPatch, "/api/__future__/environments/" + envKey + "/features/" + id + "/"
	case s.versioned:
		return http.MethodPost, "/api/v1/environments/" + strconv.Itoa(w.envID()) + "/features/" + id + "/versions/"
	}
	return http.MethodPatch, "/api/v1/features/featurestates/"
}

// A run stopped (as SIGTERM stops it) while a write it sent is applied but unanswered ends in the
// state before the run: restore reads the write back and undoes it. Finalize's first write turns
// the default on; the first step's creates the segment.
func TestRun_InterruptedWriteEndsInThePreviousState(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		for _, tc := range []struct {
			name          string
			setup, cfg    Config
			method, path  string
			wantDescribed string
		}{
			{name: "finalize", setup: Config{Percentage: pct(10), Value: "blue"}, cfg: Config{Finalize: true},
				wantDescribed: `on for 10% (value "blue"), off for the rest`},
			{name: "first step", cfg: Config{Percentage: pct(10)}, method: http.MethodPost, path: "/api/v1/projects/101/segments/",
				wantDescribed: "off for everyone"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := newWorld(t, s)
				if tc.setup.Percentage != nil {
					if _, err := w.run(t, tc.setup); err != nil {
						t.Fatal(err)
					}
				}
				before := w.state()
				if tc.method == "" {
					tc.method, tc.path = w.defaultWrite(s)
				}
				applied := w.fake.Hold(tc.method, tc.path)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				type outcome struct {
					res *Result
					err error
				}
				done := make(chan outcome, 1)
				go func() {
					res, err := w.runCtx(ctx, t, tc.cfg)
					done <- outcome{res, err}
				}()
				select {
				case <-applied:
				case <-time.After(10 * time.Second):
					t.Fatal("the write never came")
				}
				cancel() // SIGTERM, between the write and its answer
				out := <-done
				if out.err == nil || !errors.Is(out.err, context.Canceled) || !strings.Contains(out.err.Error(), "restored to its state before the run (read back from Flagsmith)") {
					t.Errorf("err = %v", out.err)
				}
				if out.res.Left != LeftPrevious || !out.res.RolledBack {
					t.Errorf("left = %v, rolled back %v", out.res.Left, out.res.RolledBack)
				}
				if got := out.res.After.Describe(); got != tc.wantDescribed {
					t.Errorf("after = %q, want %q", got, tc.wantDescribed)
				}
				after := w.state()
				if after.Default.Enabled != before.Default.Enabled || len(after.Overrides) != len(before.Overrides) {
					t.Errorf("Flagsmith holds %+v, want %+v again", after, before)
				}
				if (w.segment(rolloutSegment) != nil) != (len(before.Overrides) > 0) {
					t.Errorf("segment = %+v", w.segment(rolloutSegment))
				}
			})
		}
	})
}

// A write whose answer a proxy drops is not retried when it is a POST (it may have been made);
// restore reads it back and undoes it.
func TestRun_DroppedAnswerIsReadBackAndUndone(t *testing.T) {
	t.Parallel()
	for _, s := range []server{servers[2], servers[3]} { // where setting an override is a POST
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, s)
			write := strings.Fields(w.featureWrite(s))
			applied := w.fake.Drop(write[0], write[1])
			res, err := w.run(t, Config{Percentage: pct(10)})
			select {
			case <-applied:
			default:
				t.Fatalf("the write was not made: %v, %q", err, writes(w.fake))
			}
			if err == nil || res.Left != LeftPrevious {
				t.Fatalf("err = %v, left %v", err, res.Left)
			}
			if st := w.state(); len(st.Overrides) != 0 || len(w.fake.Segments(w.project)) != 0 {
				t.Errorf("Flagsmith holds %+v and segments %+v, want neither", st, w.fake.Segments(w.project))
			}
		})
	}
}

// When restoring fails too, the run reads Flagsmith once more and says where the flag is.
func TestRun_FailedRestoreSaysWhereTheFlagIs(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	if _, err := w.run(t, Config{Percentage: pct(10)}); err != nil {
		t.Fatal(err)
	}
	gate := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.Contains(ruleText(w.segment(rolloutSegment).Rules), `"50"`) {
			w.fake.Fail(http.MethodPut, "/api/v1/projects/", http.StatusServiceUnavailable, -1)
			rw.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer gate.Close()
	res, err := w.run(t, Config{Steps: []int{25, 50}, Gate: Gate{URL: gate.URL}})
	var ge *GateError
	if !errors.As(err, &ge) || !strings.Contains(err.Error(), "restoring the state before the run failed") ||
		!strings.Contains(err.Error(), "the flag is at the target of the failed step") || !strings.Contains(err.Error(), "previous-state") {
		t.Fatalf("err = %v", err)
	}
	if res.Left != LeftTarget || res.RolledBack {
		t.Errorf("left = %v, rolled back %v; want the target of 50%%", res.Left, res.RolledBack)
	}
}

// A cancelled run's time to restore counts from the cancel, not from the start of the restore: a
// gate that lingers after the cancel (a process that left its group holds the output pipe) and a
// Flagsmith that stops answering end the run CancelGrace after the cancel, not a grace after the
// gate gave up.
func TestRun_RestoreAfterACancelHasTheGraceCountedFromTheCancel(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	marker := filepath.Join(sandboxtest.WritableDir(t), "started")
	gate := Gate{Command: `setsid sh -c 'touch "$0"; exec sleep 3' '` + marker + `' & wait`}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	go func() {
		waitForFile(t, marker)
		w.fake.Hold("", "/api/") // Flagsmith stops answering: the restore's first read hangs
		cancelled <- time.Now()
		cancel()
	}()
	const grace = 1500 * time.Millisecond
	res, err := w.runCtx(ctx, t, Config{Percentage: pct(10), Gate: gate, CancelGrace: grace})
	took := time.Since(<-cancelled)
	if took > grace+700*time.Millisecond {
		t.Errorf("Run returned %s after the cancel, with a grace of %s", took.Round(time.Millisecond), grace)
	}
	if err == nil || errors.As(err, new(*GateError)) || !strings.Contains(err.Error(), "restoring the state before the run failed: could not read Flagsmith: the 1.5s allowed after the cancel passed") {
		t.Errorf("err = %v", err)
	}
	if res.Left != LeftUnknown || len(res.Steps) != 1 || res.Steps[0].Gate == nil || !res.Steps[0].Gate.Cancelled {
		t.Errorf("result = %+v", res)
	}
}

// A run cancelled while it restores after a failed gate stops restoring the grace after the
// cancel: the runner's kill would come before the restore's own bound.
func TestRun_CancelDuringTheRestoreEndsItAfterTheGrace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	held := make(chan (<-chan struct{}), 1)
	gate := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		held <- w.fake.Hold("", "/api/") // Flagsmith stops answering once the gate has said no
		rw.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer gate.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	go func() {
		<-<-held // the restore's first read
		cancelled <- time.Now()
		cancel()
	}()
	const grace = 500 * time.Millisecond
	_, err := w.runCtx(ctx, t, Config{Percentage: pct(10), Gate: Gate{URL: gate.URL}, CancelGrace: grace})
	if took := time.Since(<-cancelled); took > grace+700*time.Millisecond {
		t.Errorf("Run returned %s after the cancel, with a grace of %s", took.Round(time.Millisecond), grace)
	}
	if !errors.As(err, new(*GateError)) || !strings.Contains(err.Error(), "the 500ms allowed after the cancel passed") {
		t.Errorf("err = %v", err)
	}
}

// A caller that sets no grace still ends within an action's cancel window, with time for its report.
func TestDefaultCancelGrace_FitsTheCancelWindow(t *testing.T) {
	t.Parallel()
	if DefaultCancelGrace >= actionkit.CancelWindow {
		t.Errorf("DefaultCancelGrace %s leaves nothing of the cancel window (%s) for the report", DefaultCancelGrace, actionkit.CancelWindow)
	}
}

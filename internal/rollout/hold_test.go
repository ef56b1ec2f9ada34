package rollout

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/failure"
)

// clock is a test's time, moved by the test between runs.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func noSettle(context.Context) error { return nil }

// held is a held rollout of 5, 25 and 50% with a 30-minute bake, as run by owner.
func held(c *clock, owner string, gate Gate) Config {
	return Config{Steps: []int{5, 25, 50}, StepWait: 30 * time.Minute, Hold: true, Owner: owner, Clock: c.Now,
		Gate: gate, settleFunc: noSettle}
}

// record is the held rollout's record as Flagsmith has it.
func (w *world) record(t *testing.T) *Record {
	t.Helper()
	rec, err := recordOf(w.segment(rolloutSegment))
	if err != nil || rec == nil {
		t.Fatalf("record = %v, %v; want one in the segment's description", rec, err)
	}
	return rec
}

// gateServer is a gate URL that tells the test each time it is asked (with the segment's rules
// then) and answers only when the test lets it.
type gateServer struct {
	URL     string
	asked   chan string
	answer  chan int
	blocked bool
}

func newGateServer(t *testing.T, w *world, blocked bool) *gateServer {
	g := &gateServer{asked: make(chan string, 10), answer: make(chan int, 10), blocked: blocked}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		g.asked <- ruleText(w.segment(rolloutSegment).Rules)
		status := http.StatusOK
		if g.blocked {
			status = <-g.answer
		}
		rw.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// Step 1, and the run ends; a run during the bake does nothing; a run after it analyses the bake
// that passed and takes step 2, while a third run at the same time is refused.
func TestHold_ASecondRunAnalysesTheBakeAndTakesTheNextStep(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		c := newClock()
		start := c.Now()
		gate := newGateServer(t, w, true)

		res, err := w.run(t, held(c, "run 1", Gate{URL: gate.URL, Timeout: time.Minute}))
		if err != nil {
			t.Fatal(err)
		}
		if len(gate.asked) != 0 {
			t.Errorf("the first run asked the gate: there was no bake yet")
		}
		rec := w.record(t)
		if rec.Step != 0 || !rec.TakenAt.Equal(start) || !rec.DueAt.Equal(start.Add(30*time.Minute)) || rec.Lease != nil || rec.Before.Segment != nil {
			t.Errorf("record = %+v, want step 5%% taken now, due in 30 minutes, no lease, the state before without a segment", rec)
		}
		if res.Rollout == nil || res.Rollout.JSON() != rec.JSON() || !strings.Contains(res.Waiting, "bake ends at 2026-12-06T12:30:00Z") {
			t.Errorf("result rollout = %+v, waiting %q", res.Rollout, res.Waiting)
		}
		if o, ok := w.state().Override(w.segment(rolloutSegment).ID); !ok || !o.Enabled || res.After.Percentage() != 5 {
			t.Errorf("state = %+v, want 5%% on", w.state())
		}

		c.Advance(10 * time.Minute)
		n := len(w.fake.Writes())
		res, err = w.run(t, held(c, "run 2", Gate{URL: gate.URL, Timeout: time.Minute}))
		if err != nil || !strings.Contains(res.Waiting, "baking until 2026-12-06T12:30:00Z (20m0s from now)") {
			t.Errorf("a run during the bake: err %v, waiting %q", err, res.Waiting)
		}
		if got := writes(w.fake)[n:]; len(got) != 0 || len(gate.asked) != 0 {
			t.Errorf("a run during the bake wrote %q or asked the gate", got)
		}

		c.Advance(25 * time.Minute)
		type outcome struct {
			res *Result
			err error
		}
		second := make(chan outcome, 1)
		go func() {
			res, err := w.runCtx(context.Background(), t, held(c, "run 2", Gate{URL: gate.URL, Timeout: time.Minute}))
			second <- outcome{res, err}
		}()
		if rules := <-gate.asked; !strings.Contains(rules, `PERCENTAGE_SPLIT "5"`) {
			t.Errorf("the gate judged %s, want the 5%% step", rules)
		}
		// Run 2 holds the lease while its gate judges the bake: run 3 is refused and writes nothing.
		n = len(w.fake.Writes())
		_, err = w.run(t, held(c, "run 3", Gate{URL: gate.URL, Timeout: time.Minute}))
		var busy *BusyError
		if !errors.As(err, &busy) || busy.Owner != "run 2" || failure.Of(err) != failure.Infrastructure ||
			!strings.Contains(err.Error(), "another run holds this rollout: run 2, until 2026-12-06T12:41:00Z") {
			t.Errorf("third run: err = %v, want refused as busy (infrastructure) naming run 2", err)
		}
		if got := writes(w.fake)[n:]; len(got) != 0 {
			t.Errorf("the refused run wrote %q", got)
		}
		gate.answer <- http.StatusOK
		out := <-second
		if out.err != nil {
			t.Fatal(out.err)
		}
		rec = w.record(t)
		if rec.Step != 1 || rec.Lease != nil || !rec.TakenAt.Equal(start.Add(35*time.Minute)) || rec.Before.Segment != nil {
			t.Errorf("record = %+v, want step 25%% taken at the second run, the lease given back, the state before the rollout kept", rec)
		}
		if got := w.segment(rolloutSegment); ruleText(got.Rules) != `ALL(ANY(PERCENTAGE_SPLIT "25"))` {
			t.Errorf("rules = %s, want 25%%", ruleText(got.Rules))
		}
		if st := out.res.Steps; len(st) != 2 || st[0].Window == nil || !st[0].Window.From.Equal(start) ||
			!st[0].Window.To.Equal(start.Add(35*time.Minute)) || st[0].Gate == nil || !st[0].Gate.OK || *st[1].Percentage != 25 {
			t.Errorf("steps = %+v, want the 5%% bake from the start to now judged, then 25%%", st)
		}
	})
}

// A bake the gate fails restores the state before the rollout, not only before the run.
func TestHold_AFailedBakeRestoresTheStateBeforeTheRollout(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	c := newClock()
	gate := newGateServer(t, w, false)
	if _, err := w.run(t, held(c, "run 1", Gate{URL: gate.URL, Timeout: time.Minute})); err != nil {
		t.Fatal(err)
	}
	c.Advance(31 * time.Minute)
	if _, err := w.run(t, held(c, "run 2", Gate{URL: gate.URL, Timeout: time.Minute})); err != nil {
		t.Fatal(err)
	}
	c.Advance(31 * time.Minute)
	failing := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(http.StatusServiceUnavailable) }))
	defer failing.Close()
	res, err := w.run(t, held(c, "run 3", Gate{URL: failing.URL}))
	var ge *GateError
	if !errors.As(err, &ge) || failure.Of(err) != failure.Checked || !res.RolledBack || !strings.Contains(err.Error(), "restored to its state before the rollout") {
		t.Fatalf("err = %v, want the gate's failure, restored", err)
	}
	if segs := w.fake.Segments(w.project); len(segs) != 0 {
		t.Errorf("segments = %+v, want the rollout's segment (and its record) gone", segs)
	}
	if st := w.state(); len(st.Overrides) != 0 || st.Default.Enabled {
		t.Errorf("state = %+v, want the state before the rollout", st)
	}
}

// Two runs that both saw the rollout free both write their lease; the one whose lease was
// overwritten reads that back and stops before any change, taking away the segment it made.
func TestHold_ALeaseOverwrittenBeforeTheReadBackIsLost(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	c := newClock()
	cfg := held(c, "run 1", Gate{})
	cfg.settleFunc = func(ctx context.Context) error {
		seg := w.segment(rolloutSegment)
		rec, err := recordOf(seg)
		if err != nil || rec == nil || rec.Lease == nil {
			t.Fatalf("no lease written before the settle: %v", err)
		}
		rec.Lease = &Lease{Owner: "run 2", Token: "theirs", Expires: c.Now().Add(time.Hour)}
		seg.Description = description(rec.Before, rec)
		_, err = w.client.UpdateSegment(ctx, *seg)
		return err
	}
	n := len(w.fake.Writes())
	_, err := w.run(t, cfg)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Owner != "run 2" {
		t.Fatalf("err = %v, want the lease lost to run 2", err)
	}
	// The lease's create, the other run's write, and the delete of the segment this run made.
	got := writes(w.fake)[n:]
	if len(got) != 3 || !strings.HasPrefix(got[0], "POST ") || !strings.HasPrefix(got[1], "PUT ") || !strings.HasPrefix(got[2], "DELETE ") {
		t.Errorf("writes = %q, want the lease, theirs, and the delete only", got)
	}
	if st := w.state(); len(st.Overrides) != 0 {
		t.Errorf("state = %+v, want nothing served", st)
	}
}

// A run that is not held waits for a held rollout's lease too; a rollback never does.
func TestHold_OtherRunsRespectTheLeaseButARollbackDoesNot(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	c := newClock()
	if _, err := w.run(t, held(c, "run 1", Gate{})); err != nil {
		t.Fatal(err)
	}
	seg := w.segment(rolloutSegment)
	rec := w.record(t)
	rec.Lease = &Lease{Owner: "run 2", Token: "t", Expires: time.Now().Add(time.Hour)}
	seg.Description = description(rec.Before, rec)
	if _, err := w.client.UpdateSegment(context.Background(), *seg); err != nil {
		t.Fatal(err)
	}
	var busy *BusyError
	if _, err := w.run(t, Config{Percentage: pct(50)}); !errors.As(err, &busy) {
		t.Errorf("a percentage run: err = %v, want busy", err)
	}
	if _, err := w.run(t, held(c, "run 3", Gate{})); !errors.As(err, &busy) {
		t.Errorf("a held run: err = %v, want busy", err)
	}
	if _, err := w.run(t, Config{Rollback: true}); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if segs := w.fake.Segments(w.project); len(segs) != 0 {
		t.Errorf("segments = %+v, want the rollout gone", segs)
	}
}

// Steps other than the record's are refused before anything is written.
func TestHold_OtherStepsThanTheRecordsAreBadInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	c := newClock()
	if _, err := w.run(t, held(c, "run 1", Gate{})); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	n := len(w.fake.Writes())
	cfg := held(c, "run 2", Gate{})
	cfg.Steps = []int{5, 50}
	if _, err := w.run(t, cfg); !isInput(err) || !strings.Contains(err.Error(), "was started with steps [5 25 50], not [5 50]") {
		t.Errorf("err = %v", err)
	}
	if got := writes(w.fake)[n:]; len(got) != 0 {
		t.Errorf("wrote %q", got)
	}
}

// After the last step's bake passes the rollout is done; a run after that starts nothing new
// until its steps are given again, and leaves the flag where it is.
func TestHold_TheLastBakeMarksTheRolloutDone(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	c := newClock()
	for i := range 4 {
		if _, err := w.run(t, held(c, "run "+string(rune('1'+i)), Gate{})); err != nil {
			t.Fatal(err)
		}
		c.Advance(31 * time.Minute)
	}
	rec := w.record(t)
	if !rec.Done || rec.Step != 2 || rec.Lease != nil {
		t.Errorf("record = %+v, want done at 50%%", rec)
	}
	if st, _ := w.state().Override(w.segment(rolloutSegment).ID); !st.Enabled {
		t.Errorf("override = %+v, want still on", st)
	}
	if p := (State{Segment: w.segment(rolloutSegment)}).Percentage(); p != 50 {
		t.Errorf("percentage = %v", p)
	}
	n := len(w.fake.Writes())
	res, err := w.run(t, held(c, "run 5", Gate{}))
	if err != nil || !strings.Contains(res.Waiting, "done at 50%") {
		t.Errorf("a run after the end: err %v, waiting %q", err, res.Waiting)
	}
	if got := writes(w.fake)[n:]; len(got) != 0 {
		t.Errorf("a run after the end wrote %q", got)
	}
}

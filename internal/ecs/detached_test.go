package ecs

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when the test advances it, and whose timers fire when the
// test says: it hands each timer set to the test on timers.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers chan fakeTimer
}

type fakeTimer struct {
	d    time.Duration
	fire func()
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) { c.timers <- fakeTimer{d, f} }

// The window after a cancel is one deadline, counted from the moment of the cancel: a context made
// before the cancel and one made later end together, one with a reserve that much earlier, each
// reading as a cancel. The clock is the test's: the cancel happens at its now, and the timers the
// window sets are checked and fired by the test, so nothing depends on how fast the machine is.
func TestCancelWindow_OneDeadlineFromTheCancel(t *testing.T) {
	t.Parallel()
	const grace, reserve, limit = time.Hour, 10 * time.Minute, 24 * time.Hour
	// The cancel is stamped a grace ago in real time: a context made after it is due at once.
	clk := &fakeClock{now: time.Now().Add(-grace), timers: make(chan fakeTimer, 4)}
	cancelledAt := clk.Now()
	parent, cancel := context.WithCancel(context.Background())
	w, stop := openCancelWindowOn(parent, grace, clk)
	defer stop()
	early, stopEarly := w.detached(limit, 0)
	defer stopEarly()
	reserved, stopReserved := w.detached(limit, reserve)
	defer stopReserved()
	cancel()
	if early.Err() != nil {
		t.Fatal("ended with its parent: a rollback would not start")
	}
	// The contexts made before the cancel get one timer each, due at the window's end less their
	// reserve; each is set once the cancel is stamped.
	timers := map[time.Duration]func(){}
	for range 2 {
		tm := <-clk.timers
		timers[tm.d] = tm.fire
	}
	clk.advance(5 * time.Minute)
	late, stopLate := w.detached(limit, 0) // made after the cancel: what is left of the grace, a deadline diagnostics see
	defer stopLate()
	if d, ok := late.Deadline(); !ok || !d.Equal(cancelledAt.Add(grace)) {
		t.Errorf("deadline %v after the cancel, want the grace %s counted from it", d.Sub(cancelledAt), grace)
	}
	<-late.Done()
	if !wasCancelled(late) {
		t.Errorf("made after: ended with %v (cause %v), want a cancel", late.Err(), context.Cause(late))
	}
	for _, c := range []struct {
		name string
		ctx  context.Context
		ends time.Duration
	}{{"with a reserve", reserved, grace - reserve}, {"made before", early, grace}} {
		fire, ok := timers[c.ends]
		if !ok {
			t.Errorf("%s: no timer due %s after the cancel (timers: %v)", c.name, c.ends, timers)
			continue
		}
		if c.ctx.Err() != nil {
			t.Errorf("%s: ended before its timer", c.name)
		}
		fire() // the cancel reaches the context within the call
		if !wasCancelled(c.ctx) {
			t.Errorf("%s: ended with %v, want a cancel", c.name, c.ctx.Err())
		}
	}
	// Its own bound, without a cancel, is a timeout.
	w2, stop2 := openCancelWindowOn(context.Background(), time.Hour, clk)
	defer stop2()
	bounded, stop3 := w2.detached(time.Millisecond, 0)
	defer stop3()
	<-bounded.Done()
	if wasCancelled(bounded) {
		t.Error("a bound that passed reads as a cancel")
	}
}

package ecs

import (
	"context"
	"testing"
	"time"
)

// The window after a cancel is one deadline, counted from the moment of the cancel: a context made
// before the cancel and one made later end together, one with a reserve that much earlier, each
// reading as a cancel.
func TestCancelWindow_OneDeadlineFromTheCancel(t *testing.T) {
	t.Parallel()
	const grace, reserve = 300 * time.Millisecond, 100 * time.Millisecond
	parent, cancel := context.WithCancel(context.Background())
	w, stop := openCancelWindow(parent, grace)
	defer stop()
	early, stopEarly := w.detached(time.Hour, 0)
	defer stopEarly()
	reserved, stopReserved := w.detached(time.Hour, reserve)
	defer stopReserved()
	cancelled := time.Now()
	cancel()
	if early.Err() != nil {
		t.Fatal("ended with its parent: a rollback would not start")
	}
	time.Sleep(100 * time.Millisecond)
	late, stopLate := w.detached(time.Hour, 0) // made after the cancel: what is left of the grace, a deadline diagnostics see
	defer stopLate()
	if d, ok := late.Deadline(); !ok || d.Sub(cancelled) > grace+20*time.Millisecond || d.Sub(cancelled) < grace-20*time.Millisecond {
		t.Errorf("deadline %v after the cancel, want the grace %s counted from it", d.Sub(cancelled), grace)
	}
	for _, c := range []struct {
		name string
		ctx  context.Context
		ends time.Duration
	}{{"with a reserve", reserved, grace - reserve}, {"made before", early, grace}, {"made after", late, grace}} {
		<-c.ctx.Done()
		if took := time.Since(cancelled); took < c.ends-20*time.Millisecond || took > c.ends+200*time.Millisecond || !wasCancelled(c.ctx) {
			t.Errorf("%s: ended %s after the cancel (cancelled: %v), want %s", c.name, took, wasCancelled(c.ctx), c.ends)
		}
	}
	// Its own bound, without a cancel, is a timeout.
	w2, stop2 := openCancelWindow(context.Background(), time.Hour)
	defer stop2()
	bounded, stop3 := w2.detached(20*time.Millisecond, 0)
	defer stop3()
	<-bounded.Done()
	if wasCancelled(bounded) {
		t.Error("a bound that passed reads as a cancel")
	}
}

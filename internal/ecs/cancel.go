package ecs

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultCancelGrace is how long a cancelled Deploy or RollBack may still work, counted from the
// cancel, when the caller sets no Waiting.CancelGrace: to roll back, to stop its migration, to
// deregister what it registered. The caller's own reporting (outputs, a summary, a GitHub
// Deployment's status) comes after it; an action gives the part of its cancel window
// (actionkit.CancelWindow) that its reporting leaves, and this default fits inside that window.
const DefaultCancelGrace = 5 * time.Second

// diagnosticsTime is the least time that must be left to read why tasks stopped: after a cancel,
// diagnostics never hold up the rollback nor the report.
const diagnosticsTime = 2 * time.Second

// deregisterReserve is the part of the grace after a cancel that waiting for a stopped migration
// to reach STOPPED leaves to deregistering the revisions the run registered.
const deregisterReserve = time.Second

// errCancelled ends the work that goes on after a cancel when its grace has passed.
var errCancelled = errors.New("the run was cancelled")

// cancelWindow is the time a cancelled run may still work: one deadline, the grace after the
// moment the run's context was cancelled, that everything going on after the cancel shares (a
// rollback, the stop of a migration and the wait for it, deregistering). Each piece of work gets
// what is left of it, never a grace of its own.
type cancelWindow struct {
	run   context.Context
	grace time.Duration
	clock clock
	once  sync.Once
	end   time.Time
}

// clock is the time a cancel window reads and the timers it sets: the real ones, or a test's.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func())
}

type realClock struct{}

func (realClock) Now() time.Time                      { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) { time.AfterFunc(d, f) }

// openCancelWindow starts watching the run's context for its cancel; stop ends the watch.
func openCancelWindow(run context.Context, grace time.Duration) (w *cancelWindow, stop func() bool) {
	return openCancelWindowOn(run, grace, realClock{})
}

// openCancelWindowOn is openCancelWindow on the given clock.
func openCancelWindowOn(run context.Context, grace time.Duration, c clock) (w *cancelWindow, stop func() bool) {
	w = &cancelWindow{run: run, grace: grace, clock: c}
	return w, context.AfterFunc(run, func() { w.deadline() })
}

// deadline is the end of the window, once the run is cancelled: the grace after the moment of
// the cancel.
func (w *cancelWindow) deadline() (time.Time, bool) {
	if w.run.Err() == nil {
		return time.Time{}, false
	}
	w.once.Do(func() { w.end = w.clock.Now().Add(w.grace) })
	return w.end, true
}

// detached returns a context for work that must go on when the run is cancelled. It has its own
// bound, limit; once the run is cancelled, at once if it already is, it ends at the latest reserve
// before the end of the window (the time kept for what comes after this work), with errCancelled
// as cause. Made after the cancel, its deadline shows that end.
func (w *cancelWindow) detached(limit, reserve time.Duration) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(w.run)
	if end, ok := w.deadline(); ok {
		if end = end.Add(-reserve); end.Before(w.clock.Now().Add(limit)) {
			return context.WithDeadlineCause(base, end, errCancelled)
		}
		return context.WithTimeout(base, limit)
	}
	c, cancelCause := context.WithCancelCause(base)
	c, cancelTimeout := context.WithTimeout(c, limit)
	stop := context.AfterFunc(w.run, func() {
		end, _ := w.deadline()
		w.clock.AfterFunc(end.Add(-reserve).Sub(w.clock.Now()), func() { cancelCause(errCancelled) })
	})
	return c, func() {
		stop()
		cancelTimeout()
		cancelCause(context.Canceled)
	}
}

// wasCancelled reports whether ctx ended because the run was cancelled, not because a bound passed.
func wasCancelled(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled) || errors.Is(context.Cause(ctx), errCancelled)
}

// hasTime reports whether ctx is live with at least d left before its deadline.
func hasTime(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) >= d
}

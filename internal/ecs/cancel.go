package ecs

import (
	"context"
	"errors"
	"time"
)

// DefaultCancelGrace is how long a cancelled run may still work to roll back or to stop its
// migration. The runner sends SIGINT, SIGTERM 7.5 s later and kills the step 2.5 s after that; 6 s
// leaves the action time to write its outputs, its summary and the GitHub Deployment's status.
const DefaultCancelGrace = 6 * time.Second

// diagnosticsTime is the least time that must be left to read why tasks stopped: after a cancel,
// diagnostics never hold up the rollback nor the report.
const diagnosticsTime = 2 * time.Second

// errCancelled ends the work that goes on after a cancel when its grace has passed.
var errCancelled = errors.New("the run was cancelled")

// detached returns a context for work that must go on when ctx is cancelled (a rollback, the stop of
// a migration, deregistering what this run registered). It has its own bound, limit; once ctx is
// cancelled, at once if it already is, it ends grace later at the latest, with errCancelled as cause.
func detached(ctx context.Context, limit, grace time.Duration) (context.Context, context.CancelFunc) {
	base := context.WithoutCancel(ctx)
	if ctx.Err() != nil {
		return context.WithTimeoutCause(base, min(grace, limit), errCancelled)
	}
	c, cancelCause := context.WithCancelCause(base)
	c, cancelTimeout := context.WithTimeout(c, limit)
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, func() { cancelCause(errCancelled) }) })
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

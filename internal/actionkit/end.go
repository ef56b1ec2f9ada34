package actionkit

import (
	"context"
	"errors"

	"github.com/slipway-actions/slipway/internal/failure"
)

// Outcome is how a run ended, as the end-of-run hooks see it: the exit code Run returns, every
// annotation the run made (redacted, in order, those past GitHub's per-step cap too) and the step
// summary as it stands before Finish writes it.
type Outcome struct {
	Code        int           // what Run returns: 0 passed
	Class       failure.Class // the class of the run's error, when Code is not 0
	Cancelled   bool          // the run was cancelled (SIGINT/SIGTERM from the runner)
	Annotations []Annotation
	Summary     string
}

// AtEnd registers f to run once the work is done and its failure reported, before the summary is
// written: a check run publishes the outcome there. f may log and add to the summary; it cannot
// change the exit code (a report that could not be published is said, not a failure of the step).
// ctx is not cancelled when the run was: f bounds its own wait.
func (k *Kit) AtEnd(f func(ctx context.Context, o Outcome)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.atEnd = append(k.atEnd, f)
}

// runAtEnd calls the hooks with the outcome of err.
func (k *Kit) runAtEnd(ctx context.Context, err error, code int) {
	k.mu.Lock()
	hooks := k.atEnd
	k.atEnd = nil
	o := Outcome{Code: code, Class: failure.Of(err), Annotations: append([]Annotation(nil), k.annotations.all...)}
	k.mu.Unlock()
	if len(hooks) == 0 {
		return
	}
	o.Cancelled = ctx.Err() != nil || errors.Is(err, context.Canceled)
	o.Summary = k.summary.String()
	ctx = context.WithoutCancel(ctx)
	for _, f := range hooks {
		f(ctx, o)
	}
}

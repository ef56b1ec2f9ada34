package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/slipway-actions/slipway/internal/failure"
)

// Window is the stretch of a bake that an analysis judges.
type Window struct {
	From, To time.Time
}

// hold takes a held rollout one step further and ends, holding no runner through the bake: a run
// with no record starts the rollout; a run before the step's bake ends does nothing; a run after it
// takes the lease, analyses the bake that passed, then takes the next step (or marks the rollout
// done after the last) and gives the lease back. A failed analysis or write restores the state
// before the rollout, which the record keeps.
func (r *runner) hold(ctx context.Context, before State, steps []int) error {
	rec, err := recordOf(before.Segment)
	if err != nil {
		return err
	}
	if rec != nil && rec.Done {
		if slices.Equal(rec.Steps, steps) {
			r.res.Rollout = rec
			r.res.Waiting = fmt.Sprintf("the rollout is done at %d%%; nothing to do (finalize turns the flag on for everyone)", rec.current())
			r.progress("%s", r.res.Waiting)
			return nil
		}
		rec = nil // other steps: a new rollout, from what is there
	}
	switch {
	case rec == nil:
		rec = &Record{Steps: steps, Step: -1, Before: before}
	case !slices.Equal(rec.Steps, steps):
		return failure.BadInput(fmt.Errorf("the rollout in segment %q was started with steps %v, not %v; nothing was changed — "+
			"give the same steps to go on with it, or roll it back first", r.segName, rec.Steps, steps))
	}
	r.res.Rollout = rec
	if err := r.checkLease(rec); err != nil {
		return err
	}
	if now := r.now(); rec.Step >= 0 && now.Before(rec.DueAt) {
		r.res.Waiting = fmt.Sprintf("step %d%% is baking until %s (%s from now); nothing to do yet",
			rec.current(), rec.DueAt.Format(time.RFC3339), rec.DueAt.Sub(now).Round(time.Second))
		r.progress("%s", r.res.Waiting)
		return nil
	}
	if r.cfg.DryRun {
		return r.holdDry(ctx, rec)
	}
	first := r.stepTarget(before, &steps[0]) // the rules a new segment is made with
	cur, err := r.takeLease(ctx, before, rec, first.Segment.Rules)
	if err != nil {
		return err
	}
	r.res.After, r.origin, r.wrote = cur, rec.Before, true
	if rec.ChangeRequest != nil { // the bake before it was judged when it was made
		r.pendingCR, rec.ChangeRequest = rec.ChangeRequest, nil
	} else if rec.Step >= 0 {
		if err := r.analyseBake(ctx, rec); err != nil {
			return err
		}
	}
	if next := rec.Step + 1; next < len(steps) {
		err := r.step(ctx, strconv.Itoa(steps[next])+"%", &steps[next], r.stepTarget(r.res.After, &steps[next]), false)
		var pending *ApprovalPendingError
		if errors.As(err, &pending) {
			rec.ChangeRequest = &ChangeRequest{ID: pending.CR.ID, Title: pending.CR.Title, URL: pending.CR.URL, Step: next}
			r.res.Waiting = fmt.Sprintf("step %d%% waits for the approval of change request %d (%s); the first run after it is approved commits it and goes on",
				steps[next], pending.CR.ID, pending.CR.URL)
			r.progress("%s", r.res.Waiting)
			return r.release(ctx, rec)
		}
		if err != nil {
			return err
		}
		now := r.now()
		rec.Step, rec.TakenAt, rec.DueAt = next, now, now.Add(r.cfg.StepWait)
		r.res.Waiting = fmt.Sprintf("step %d%% is in place; its bake ends at %s, and the first run after that analyses it", steps[next], rec.DueAt.Format(time.RFC3339))
	} else {
		rec.Done = true
		r.res.Waiting = ""
		r.progress("the last step's bake passed: the rollout is done at %d%% (finalize turns the flag on for everyone)", steps[len(steps)-1])
	}
	return r.release(ctx, rec)
}

// analyseBake judges the bake of the step in place, from when it was taken to now, with the gate.
func (r *runner) analyseBake(ctx context.Context, rec *Record) error {
	win := Window{From: rec.TakenAt, To: r.now()}
	sr := StepResult{Percentage: &rec.Steps[rec.Step], Window: &win}
	defer func() { r.res.Steps = append(r.res.Steps, sr); r.observe(sr) }()
	name := fmt.Sprintf("%d%% (bake %s to %s)", rec.current(), win.From.Format(time.RFC3339), win.To.Format(time.RFC3339))
	if !r.cfg.Gate.Configured() {
		r.progress("step %s: no gate; the bake passed", name)
		return nil
	}
	g := r.cfg.Gate.Check(ctx, r.res.After)
	sr.Gate = &g
	r.progress("step %s: gate %s", name, g.Detail)
	if ctx.Err() != nil {
		return fmt.Errorf("step %s: the run was cancelled while the gate ran: %w", name, context.Cause(ctx))
	}
	if !g.OK {
		return &GateError{Step: "step " + name, Result: g}
	}
	return nil
}

// release writes the record as it now stands, without the lease.
func (r *runner) release(ctx context.Context, rec *Record) error {
	rec.Lease = nil
	cur := r.res.After
	if cur.Segment == nil {
		return nil
	}
	seg := *cur.Segment
	seg.Description = description(cur, rec)
	updated, err := r.client.UpdateSegment(ctx, seg)
	if err != nil {
		return fmt.Errorf("recording the rollout's progress in segment %q: %w", seg.Name, err)
	}
	cur.Segment = &updated
	r.res.After = cur
	return nil
}

// holdDry says what a held run would do now, writing nothing.
func (r *runner) holdDry(ctx context.Context, rec *Record) error {
	if rec.Step >= 0 && r.cfg.Gate.Configured() {
		r.progress("would run the gate on the bake of step %d%% since %s", rec.current(), rec.TakenAt.Format(time.RFC3339))
	}
	next := rec.Step + 1
	if next >= len(rec.Steps) {
		r.progress("would mark the rollout done")
		return nil
	}
	return r.step(ctx, strconv.Itoa(rec.Steps[next])+"%", &rec.Steps[next], r.stepTarget(r.res.After, &rec.Steps[next]), false)
}

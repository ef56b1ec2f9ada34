package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// ChangeRequest is a Flagsmith change request that carries a step where the environment requires
// approvals, as a held rollout's record keeps it while reviewers have not approved it yet.
type ChangeRequest struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Step  int    `json:"step"` // index in the record's steps
}

// ApprovalPendingError is a step whose change request reviewers have not approved within
// Config.ApprovalWait: nothing of the step was applied. A held rollout ends its run with the link
// and goes on once it is committed; any other run fails (exit 1).
type ApprovalPendingError struct {
	Step string
	CR   flagsmith.ChangeRequest
}

// FailureClass: the step did not happen in this run.
func (e *ApprovalPendingError) FailureClass() failure.Class { return failure.Checked }

func (e *ApprovalPendingError) Error() string {
	return fmt.Sprintf("waits for the approval of change request %d %q (%s); nothing of it was applied — "+
		"with hold: true the next run goes on once reviewers approve it", e.CR.ID, e.CR.Title, e.CR.URL)
}

// RejectedError is a step whose change request was deleted (Flagsmith's way to decline one):
// nothing of it was applied.
type RejectedError struct {
	Step string
	CR   flagsmith.ChangeRequest
}

// FailureClass: reviewers said no to the step.
func (e *RejectedError) FailureClass() failure.Class { return failure.Checked }

func (e *RejectedError) Error() string {
	return fmt.Sprintf("change request %d %q (%s) was deleted without being committed: the reviewers declined %s",
		e.CR.ID, e.CR.Title, e.CR.URL, e.Step)
}

// approvalPoll is how often a run reads a change request while it waits for its approval.
const approvalPoll = 15 * time.Second

// convergeApproved is converge where the environment requires change requests: what changes the
// flag goes through one change request, which the run commits only once reviewers have approved
// it; it never approves one. A new segment serves nobody until its override exists, so it is made
// directly first; the rules of a segment that is served change only after the step's change
// request is committed: when the step changes no feature state (a percentage step), the change
// request carries the override as it is, so that reviewers approve the step before anyone gets it.
func (r *runner) convergeApproved(ctx context.Context, cur, want State, step string) (State, error) {
	var err error
	if want.Segment != nil && cur.Segment == nil {
		if cur, err = r.convergeSegment(ctx, cur, *want.Segment, false); err != nil {
			return cur, err
		}
	}
	rulesChange := want.Segment != nil && ruleText(cur.Segment.Rules) != ruleText(want.Segment.Rules)
	change, next := r.featureChange(cur, want, false)
	if change.Empty() && rulesChange && cur.Override != nil {
		o := *cur.Override
		change.Set = []flagsmith.SegmentOverride{{SegmentID: cur.Segment.ID, Priority: o.Priority, FlagValue: flagsmith.FlagValue{Enabled: o.Enabled, Value: o.Value}}}
	}
	if !change.Empty() {
		r.wrote = true
		if err := r.throughChangeRequest(ctx, cur, change, step); err != nil {
			return cur, err
		}
	}
	cur = next
	if want.Segment != nil {
		return r.convergeSegment(ctx, cur, *want.Segment, false)
	}
	if cur.Segment != nil { // its override went with the change request: it serves nobody now
		r.say(false, "delete segment %q", cur.Segment.Name)
		if err := r.client.DeleteSegment(ctx, cur.Project, cur.Segment.ID); err != nil {
			return cur, err
		}
		cur.Segment = nil
	}
	return cur, nil
}

// throughChangeRequest makes change as a change request (or follows a held rollout's from an
// earlier run), waits up to ApprovalWait for its approval, and commits it.
func (r *runner) throughChangeRequest(ctx context.Context, cur State, change flagsmith.FeatureChange, step string) error {
	var cr flagsmith.ChangeRequest
	var err error
	if p := r.pendingCR; p != nil {
		r.pendingCR = nil
		cr, err = r.client.ChangeRequest(ctx, r.env, p.ID)
	} else {
		title := fmt.Sprintf("slipway flag-rollout: %s in %s, %s", cur.Feature, cur.Environment, step)
		cr, err = r.client.CreateChangeRequest(ctx, r.env, cur.FeatureID, change, title,
			"Made by slipway flag-rollout"+ownerSuffix(r.cfg.Owner)+". The run commits it once it is approved; delete it to decline the step.")
	}
	if err != nil {
		return fmt.Errorf("change request for %s: %w", step, err)
	}
	r.res.ChangeRequests = append(r.res.ChangeRequests, ChangeRequest{ID: cr.ID, Title: cr.Title, URL: cr.URL})
	r.progress("%s: change request %d %q, %s: %s", step, cr.ID, cr.Title, cr.State(), cr.URL)
	if cr.State() == flagsmith.ChangeRequestPending && r.cfg.ApprovalWait > 0 {
		wctx, cancel := context.WithTimeout(ctx, r.cfg.ApprovalWait)
		last := cr
		cr, err = r.client.AwaitChangeRequest(wctx, r.env, cr.ID, r.cfg.poll(), func(c flagsmith.ChangeRequest) {
			r.progress("%s: change request %d has %d of %d approvals", step, c.ID, len(c.ApprovedBy()), c.Required)
		})
		cancel()
		switch {
		case ctx.Err() != nil: // cancelled, or a restore's time is up: say where the change request is
			return fmt.Errorf("%w (%v)", &ApprovalPendingError{Step: step, CR: last}, context.Cause(ctx))
		case errors.Is(err, context.DeadlineExceeded):
			cr = last
		case err != nil:
			return fmt.Errorf("change request %d: %w", last.ID, err)
		}
	}
	switch cr.State() {
	case flagsmith.ChangeRequestPending:
		return &ApprovalPendingError{Step: step, CR: cr}
	case flagsmith.ChangeRequestDeleted:
		return &RejectedError{Step: step, CR: cr}
	}
	if _, err := r.client.CommitChangeRequest(ctx, r.env, cr.ID); err != nil {
		return fmt.Errorf("committing change request %d (%s): %w", cr.ID, cr.URL, err)
	}
	r.progress("%s: change request %d committed", step, cr.ID)
	return nil
}

func ownerSuffix(owner string) string {
	if owner == "" {
		return ""
	}
	return " (" + owner + ")"
}

func (c Config) poll() time.Duration {
	if c.pollEvery > 0 {
		return c.pollEvery
	}
	return approvalPoll
}

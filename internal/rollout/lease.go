package rollout

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/flagsmith"
	"github.com/slipway-actions/slipway/internal/wait"
)

// Record is a held rollout's progress (Config.Hold): the steps, the one in place and when its bake
// ends, the state before the rollout (what a failure restores) and who holds the rollout now. It
// lives in Flagsmith, in the rollout segment's description after recordMarker, so the next run
// finds it wherever it runs; the run's `rollout` output carries it too.
type Record struct {
	Steps         []int          `json:"steps"`
	Step          int            `json:"step"` // index in Steps of the step in place; -1 before the first
	TakenAt       time.Time      `json:"taken_at,omitzero"`
	DueAt         time.Time      `json:"due_at,omitzero"` // the end of the step's bake: a run after it analyses the bake
	Done          bool           `json:"done,omitempty"`  // the last step's bake passed
	Before        State          `json:"before"`
	Lease         *Lease         `json:"lease,omitempty"`
	ChangeRequest *ChangeRequest `json:"change_request,omitempty"` // the next step, waiting for approval
}

// Lease says which run acts on a rollout, until when.
type Lease struct {
	Owner   string    `json:"owner"`
	Token   string    `json:"token"` // this taking of the lease: an owner re-run is told apart
	Expires time.Time `json:"expires"`
}

// recordMarker starts the record in the segment's description; what precedes it is for people.
const recordMarker = "\n\nslipway-rollout-record/v1 "

// JSON is the record as the `rollout` output carries it.
func (rec Record) JSON() string {
	b, _ := json.Marshal(rec)
	return string(b)
}

// current is the percentage in place, or -1 before the first step.
func (rec Record) current() int {
	if rec.Step < 0 || rec.Step >= len(rec.Steps) {
		return -1
	}
	return rec.Steps[rec.Step]
}

// recordOf reads the record from a rollout segment's description; nil when it holds none.
func recordOf(seg *flagsmith.Segment) (*Record, error) {
	if seg == nil {
		return nil, nil
	}
	_, text, ok := strings.Cut(seg.Description, recordMarker)
	if !ok {
		return nil, nil
	}
	var rec Record
	if err := json.Unmarshal([]byte(text), &rec); err != nil {
		return nil, failure.BadInput(fmt.Errorf("the rollout record in the description of segment %q is not readable (%v); "+
			"nothing was changed — run flag-rollout with rollback: true, or remove the record from the description", seg.Name, err))
	}
	return &rec, nil
}

// description is a rollout segment's description: who manages it, and the record when there is one.
func description(st State, rec *Record) string {
	d := "Managed by slipway flag-rollout for " + st.Feature + " in " + st.Environment + "; changes here are overwritten by the next step."
	if rec != nil {
		d += recordMarker + rec.JSON()
	}
	return d
}

// BusyError is a run refused because another run holds the rollout's lease. Nothing was changed,
// and nothing is wrong with the release or the inputs: the class is infrastructure (exit 3), the
// "try again later" class, so a scheduled run that finds the rollout busy is not read as a failed
// gate.
type BusyError struct {
	Segment, Owner string
	Until          time.Time
}

// FailureClass: another run is acting; this one could not, which says nothing of the release.
func (e *BusyError) FailureClass() failure.Class { return failure.Infrastructure }

func (e *BusyError) Error() string {
	return fmt.Sprintf("another run holds this rollout: %s, until %s (the lease in segment %q); nothing was changed — "+
		"this run ends, and the next scheduled or dispatched run resumes once that run is done or its lease has expired",
		e.Owner, e.Until.UTC().Format(time.RFC3339), e.Segment)
}

// DefaultSettle is how long a run waits after writing its lease before it reads it back.
const DefaultSettle = 5 * time.Second

// leaseFor is how long a lease holds: the longest a run should take while holding it (its gate,
// its wait for an approval) and some minutes for the writes.
func (r *runner) leaseFor() time.Duration {
	t := r.cfg.Gate.Timeout
	if t == 0 {
		t = 5 * time.Minute
	}
	return t + r.cfg.ApprovalWait + 5*time.Minute
}

// checkLease refuses a run while a lease of another run holds.
func (r *runner) checkLease(rec *Record) error {
	if rec == nil || rec.Lease == nil {
		return nil
	}
	l := rec.Lease
	if l.Owner != r.cfg.Owner && r.now().Before(l.Expires) {
		return &BusyError{Segment: r.segName, Owner: l.Owner, Until: l.Expires}
	}
	return nil
}

// takeLease makes this run the rollout's only actor before it changes anything. Flagsmith has no
// conditional write (no ETag or version check on any object its Admin API writes: a segment's PUT
// is last-writer-wins, and its updated_at is read-only and compared by nobody), so the lease is
// taken as Fischer's mutual exclusion does without one: check that no live lease is there, write
// ours with a token of this taking, wait Settle, read it back and go on only if our token is still
// there. Two runs that both saw the rollout free both write; the later write wins, and the run
// whose token was overwritten sees it on the read-back and stops. This holds while every run's
// gap between its check and its write is shorter than Settle; the reusable workflow also puts runs
// of one rollout in one concurrency group, so within a repository they never overlap. A rollout
// with no segment yet gets one for the lease, with the first step's rules and no override: it
// serves nothing until the step.
func (r *runner) takeLease(ctx context.Context, cur State, rec *Record, rules []flagsmith.Rule) (State, error) {
	if err := r.checkLease(rec); err != nil {
		return cur, err
	}
	token := make([]byte, 8)
	_, _ = rand.Read(token)
	rec.Lease = &Lease{Owner: r.cfg.Owner, Token: hex.EncodeToString(token), Expires: r.now().Add(r.leaseFor())}
	r.record = rec
	seg := flagsmith.Segment{Name: r.segName, Description: description(cur, rec), Project: cur.Project, Rules: rules}
	created := cur.Segment == nil
	var err error
	if created {
		seg, err = r.client.CreateSegment(ctx, seg)
	} else {
		seg.ID, seg.Rules = cur.Segment.ID, cur.Segment.Rules
		seg, err = r.client.UpdateSegment(ctx, seg)
	}
	if err != nil {
		return cur, fmt.Errorf("taking the rollout's lease in segment %q: %w", r.segName, err)
	}
	if err := r.cfg.settle(ctx); err != nil {
		return cur, err
	}
	back, err := r.client.Segment(ctx, cur.Project, r.segName)
	var got *Record
	if err == nil {
		got, err = recordOf(back)
	}
	if err == nil && got != nil && got.Lease != nil && got.Lease.Token == rec.Lease.Token {
		cur.Segment = back
		r.progress("took the rollout's lease until %s", rec.Lease.Expires.Format(time.RFC3339))
		return cur, nil
	}
	if created { // ours alone (another run made its own): it serves nothing, so it goes
		_ = r.client.DeleteSegment(ctx, cur.Project, seg.ID)
	}
	busy := &BusyError{Segment: r.segName, Owner: "another run", Until: rec.Lease.Expires}
	if got != nil && got.Lease != nil {
		busy.Owner, busy.Until = got.Lease.Owner, got.Lease.Expires
	}
	if err != nil {
		return cur, errors.Join(busy, err)
	}
	return cur, busy
}

func (c Config) settle(ctx context.Context) error {
	if c.settleFunc != nil {
		return c.settleFunc(ctx)
	}
	return wait.For(ctx, DefaultSettle)
}

func (r *runner) now() time.Time {
	if r.cfg.Clock != nil {
		return r.cfg.Clock().UTC()
	}
	return time.Now().UTC()
}

package rollout

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// Config is one run: which flag, and what to do with it. Users or percentage left empty keep what
// the rollout segment already has, so runs compose: users first, then 10%, then 50%.
type Config struct {
	Project, Environment, Feature string
	SegmentName                   string // default SegmentName(feature, environment)
	Users                         []string
	Percentage                    *int
	Steps                         []int
	StepWait                      time.Duration
	Gate                          Gate
	Value                         string
	Finalize, Rollback, DryRun    bool
	PreviousState                 *State // for Rollback; nil: remove the rollout's override and segment
	Preview                       []string
	CancelGrace                   time.Duration // how long a cancelled run may still restore, from the cancel; 0 is DefaultCancelGrace

	// Hold ends the run after a step's change instead of waiting StepWait: the rollout's record
	// stays in Flagsmith (see Record), and the next run with the same steps analyses the bake
	// that passed and takes the next step, or restores the state before the rollout.
	Hold         bool
	Owner        string                      // who this run is (repository, run id, attempt): the holder of the rollout's lease
	Clock        func() time.Time            // nil: time.Now
	ApprovalWait time.Duration               // how long a run waits for a change request's approval before it ends with the link
	OnStep       func(StepResult)            // called as each step ends (a GitHub Deployment status, say); it must not block
	settleFunc   func(context.Context) error // tests: the wait between writing a lease and reading it back
	pollEvery    time.Duration               // tests: how often a change request is read while the run waits for it
}

// DefaultCancelGrace is how long a cancelled run may still work to restore the state before it,
// counted from the cancel, when the caller sets no CancelGrace. An action gives the part of its
// cancel window (actionkit.CancelWindow) that its own reporting leaves; this default fits inside
// that window.
const DefaultCancelGrace = 6 * time.Second

// restoreTime bounds a restore that no cancel hurries.
const restoreTime = 2 * time.Minute

func (c Config) grace() time.Duration {
	if c.CancelGrace > 0 {
		return c.CancelGrace
	}
	return DefaultCancelGrace
}

// changes reports whether the run asks for changes (a preview alone does not); a dry run that
// asks for them is checked as the run itself would be.
func (c Config) changes() bool {
	return c.Finalize || c.Rollback || c.Percentage != nil || len(c.Steps) > 0 || len(c.Users) > 0
}

// SegmentName is the rollout segment's default name. A segment belongs to the project and serves
// every environment with an override of it, so each environment gets its own.
func SegmentName(feature, environment string) string {
	return "slipway-rollout-" + feature + " (" + environment + ")"
}

// Result is what a run did.
type Result struct {
	Before, After  State
	Steps          []StepResult
	Changes        []string // every change made (in a dry run: that would be made)
	RolledBack     bool     // the state before the run was restored after a failure (re-read from Flagsmith)
	Left           Left     // where a failed run left the flag
	Endpoints      string   // the Flagsmith endpoints feature states went through
	Preview        []PreviewEntry
	PreviewNote    string
	Rollout        *Record         // a held rollout's record, as this run left it
	ChangeRequests []ChangeRequest // the change requests the run made or followed, for their links
	Waiting        string          // a held rollout: what it waits for now (a bake, an approval)
}

// Left says where a run that failed after writing left the flag, as read back from Flagsmith.
type Left int

// Where a failed run can leave the flag.
const (
	LeftNothingWritten Left = iota // the run failed before its first write
	LeftPrevious                   // the state before the run: restored, and read back
	LeftTarget                     // the state the failed step aimed for: restoring failed after it was reached
	LeftOther                      // neither: restoring failed half-way (see the state output)
	LeftUnknown                    // Flagsmith could not be read
)

func (l Left) String() string {
	return [...]string{"", "the state before the run", "the target of the failed step",
		"neither the state before the run nor the step's target", "unknown (Flagsmith could not be read)"}[l]
}

// StepResult is one step of the rollout.
type StepResult struct {
	Percentage *int
	Skipped    string // why the step was skipped, if it was
	Gate       *GateResult
	Window     *Window // a held rollout's bake that the gate judged
	Took       time.Duration
}

type runner struct {
	client    *flagsmith.Client
	cfg       Config
	progress  func(format string, args ...any)
	res       *Result
	segName   string
	env       flagsmith.Environment
	others    []flagsmith.SegmentOverride // every override of the feature, for priorities
	wrote     bool                        // a write was sent (its answer may not have arrived)
	target    *State                      // what the current step aims for
	origin    State                       // what a failure restores: the state before the run, or a held rollout's
	record    *Record                     // a held rollout's record, written into its segment with each step
	pendingCR *ChangeRequest              // a held rollout's change request from an earlier run, to follow rather than make
	stepName  string                      // the step under way, for change requests' titles
	cancel    cancelTime                  // when the run was cancelled
}

// cancelTime is the moment the run was cancelled, recorded once: the grace after a cancel counts
// from then, however long the step takes to notice (a gate being stopped, a write in flight).
type cancelTime struct {
	once sync.Once
	at   time.Time
}

func (c *cancelTime) mark() { c.once.Do(func() { c.at = time.Now() }) }

// when is the moment of the cancel; call it once the run is cancelled.
func (c *cancelTime) when() time.Time { c.mark(); return c.at }

// Run carries out cfg against Flagsmith. Lookups and checks come first: nothing is written until
// every name resolves, the environment takes direct changes and the rollout segment serves no
// other environment; a problem there is bad input (failure.BadInput). Any failure after the first write
// (a gate, an error, a cancelled run) re-reads Flagsmith and restores the state before the run.
func Run(ctx context.Context, c *flagsmith.Client, cfg Config, progress func(format string, args ...any)) (*Result, error) {
	r := &runner{client: c, cfg: cfg, progress: progress, res: &Result{}}
	stop := context.AfterFunc(ctx, r.cancel.mark)
	defer stop()
	before, err := r.lookup(ctx)
	if err != nil {
		return r.res, err
	}
	r.res.Before, r.res.After, r.origin = before, before, before
	progress("%s in %s is %s", cfg.Feature, before.Environment, before.Describe())

	err = r.apply(ctx, before)
	if err != nil && r.wrote {
		err = r.restoreAfter(ctx, err, r.origin)
	}
	r.preview()
	return r.res, err
}

// restoreAfter puts back the state before the run after err, even when the run was cancelled,
// and says where the flag was left. Once the run is cancelled, before or during the restore, the
// restore ends at the latest the grace after the cancel.
func (r *runner) restoreAfter(ctx context.Context, err error, before State) error {
	rctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancel(nil)
	rctx, cancelTimeout := context.WithTimeout(rctx, restoreTime)
	defer cancelTimeout()
	stop := context.AfterFunc(ctx, func() {
		grace := r.cfg.grace()
		end := time.AfterFunc(time.Until(r.cancel.when().Add(grace)), func() {
			cancel(fmt.Errorf("the %s allowed after the cancel passed", grace))
		})
		context.AfterFunc(rctx, func() { end.Stop() })
	})
	defer stop()
	r.progress("restoring the state before the run: %s", before.Describe())
	r.stepName = "restore to " + before.Describe()
	after, rerr := r.restore(rctx, before)
	if rerr == nil {
		r.res.After, r.res.RolledBack, r.res.Left = after, true, LeftPrevious
		what := "the run"
		if r.record != nil {
			what = "the rollout"
		}
		return fmt.Errorf("%w; the flag was restored to its state before %s (read back from Flagsmith)", err, what)
	}
	r.res.Left = LeftUnknown
	if now, ok := r.readBack(rctx); ok {
		r.res.After, r.res.Left = now, LeftOther
		switch {
		case same(now, before):
			r.res.Left = LeftPrevious
		case r.target != nil && same(now, *r.target):
			r.res.Left = LeftTarget
		}
	}
	return fmt.Errorf("%w; restoring the state before the run failed: %v — the flag is at %s; "+
		"run flag-rollout again with rollback: true and this run's previous-state output", err, rerr, r.res.Left)
}

func (r *runner) apply(ctx context.Context, before State) error {
	cfg := r.cfg
	switch {
	case !cfg.changes(): // a preview alone
		return nil
	case cfg.Rollback:
		want := before
		want.Override, want.Segment = nil, nil
		if ps := cfg.PreviousState; ps != nil {
			want = *ps
		}
		return r.step(ctx, "rollback", nil, want, false)
	case cfg.Finalize:
		want := before
		want.Default = flagsmith.FlagValue{Enabled: true, Value: r.value(before)}
		want.Override, want.Segment = nil, nil
		return r.step(ctx, "finalize", nil, want, false)
	}
	steps := cfg.Steps
	if cfg.Percentage != nil {
		steps = []int{*cfg.Percentage}
	}
	if cfg.Hold && len(steps) > 0 {
		return r.hold(ctx, before, steps)
	}
	if len(steps) == 0 { // users only, or keep what there is
		return r.step(ctx, "users", nil, r.stepTarget(before, nil), true)
	}
	cur := before.Percentage()
	for i, pct := range steps {
		if float64(pct) < cur && len(steps) > 1 {
			r.res.Steps = append(r.res.Steps, StepResult{Percentage: &steps[i], Skipped: fmt.Sprintf("below the current %s%%", strconv.FormatFloat(cur, 'f', -1, 64))})
			r.progress("step %d%%: skipped, the rollout is already at %s%%", pct, strconv.FormatFloat(cur, 'f', -1, 64))
			continue
		}
		if i > 0 && !cfg.DryRun {
			// Someone may have changed the flag during the wait; start from what is there.
			fresh, err := r.reread(ctx, r.res.After)
			if err != nil {
				return err
			}
			r.res.After = fresh
		}
		if err := r.step(ctx, strconv.Itoa(pct)+"%", &steps[i], r.stepTarget(r.res.After, &steps[i]), true); err != nil {
			return err
		}
	}
	return nil
}

// stepTarget is the state a percentage step aims for: the segment with the users and percentage
// (those not given are kept from the segment), its override on, the default untouched.
func (r *runner) stepTarget(cur State, pct *int) State {
	users := r.cfg.Users
	if len(users) == 0 {
		users = cur.Users()
	}
	if pct == nil {
		if p := cur.Percentage(); p >= 0 {
			n := int(p)
			pct = &n
		}
	}
	want := cur
	seg := flagsmith.Segment{Name: r.segName, Description: description(cur, r.record), Rules: segmentRules(users, pct)}
	if cur.Segment != nil {
		seg.ID = cur.Segment.ID
	}
	want.Segment = &seg
	o := Override{Enabled: true, Value: r.value(cur), Priority: r.lowestPriority()}
	want.Override = &o
	return want
}

// value is the remote-config value to serve: the input, else the override's, else the default's.
func (r *runner) value(cur State) *flagsmith.Value {
	if v := ParseValue(r.cfg.Value); v != nil {
		return v
	}
	if cur.Override != nil && cur.Override.Value != nil {
		return cur.Override.Value
	}
	return cur.Default.Value
}

// lowestPriority puts a new rollout override after every other override of the feature, so an
// existing targeting rule (a blocked region, say) keeps winning.
func (r *runner) lowestPriority() int {
	p := 0
	for _, o := range r.others {
		p = max(p, o.Priority+1)
	}
	return p
}

// reread reads the feature state again between steps (the segment is the run's own).
func (r *runner) reread(ctx context.Context, cur State) (State, error) {
	fs, err := r.client.ReadFeature(ctx, r.env, cur.FeatureID)
	if err != nil {
		return cur, err
	}
	r.others = fs.Overrides
	cur.Default, cur.Override = fs.Default, overrideOf(fs, cur.Segment)
	return cur, nil
}

// step converges to want, then waits and runs the gate when one is configured.
func (r *runner) step(ctx context.Context, name string, pct *int, want State, gated bool) (err error) {
	start := time.Now()
	sr := StepResult{Percentage: pct}
	defer func() {
		sr.Took = time.Since(start)
		r.res.Steps = append(r.res.Steps, sr)
		if err == nil || sr.Gate != nil { // a step that did not happen is the run's failure to report, not a step
			r.observe(sr)
		}
	}()
	r.target = &want
	r.stepName = "step " + name
	after, err := r.converge(ctx, r.res.After, want, r.cfg.DryRun)
	r.res.After = after
	if err != nil {
		return fmt.Errorf("step %s: %w", name, err)
	}
	if !gated || !r.cfg.Gate.Configured() {
		return nil
	}
	if r.cfg.DryRun {
		r.progress("would wait %s, then run the gate", r.cfg.StepWait)
		return nil
	}
	g := r.cfg.Gate.Bake(ctx, "step "+name, r.cfg.StepWait, r.res.After, r.progress)
	sr.Gate = &g
	r.progress("step %s: gate %s", name, g.Detail)
	if ctx.Err() != nil { // a cancel is never the gate's verdict
		return fmt.Errorf("step %s: the run was cancelled while the gate ran: %w", name, context.Cause(ctx))
	}
	if !g.OK {
		return &GateError{Step: "step " + name, Result: g}
	}
	return nil
}

// observe reports a step that ended to Config.OnStep.
func (r *runner) observe(sr StepResult) {
	if r.cfg.OnStep != nil && !r.cfg.DryRun {
		r.cfg.OnStep(sr)
	}
}

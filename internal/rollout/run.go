package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// Config is one run: which flag, and what to do with it. Users or percentage left empty keep what
// the rollout segment already has, so runs compose: users first, then 10%, then 50%.
type Config struct {
	Project, Environment, Feature string
	SegmentName                   string // default "slipway-rollout-<feature>"
	Users                         []string
	Percentage                    *int
	Steps                         []int
	StepWait                      time.Duration
	Gate                          Gate
	Value                         string
	Finalize, Rollback, DryRun    bool
	PreviousState                 *State // for Rollback; nil: remove the rollout's override and segment
	Preview                       []string
}

// Result is what a run did.
type Result struct {
	Before, After State
	Steps         []StepResult
	Changes       []string // every change made (in a dry run: that would be made)
	RolledBack    bool     // the state before the run was restored after a failure
	Preview       []PreviewEntry
	PreviewNote   string
}

// StepResult is one step of the rollout.
type StepResult struct {
	Percentage *int
	Skipped    string // why the step was skipped, if it was
	Gate       *GateResult
	Took       time.Duration
}

// GateError is a gate that said no; the run restored the state before it.
type GateError struct {
	Step   string
	Result GateResult
}

func (e *GateError) Error() string {
	return fmt.Sprintf("gate failed after %s: %s; the flag was restored to its state before the run", e.Step, e.Result.Detail)
}

type runner struct {
	client   *flagsmith.Client
	cfg      Config
	progress func(format string, args ...any)
	res      *Result
	segName  string
	env      flagsmith.Environment
	others   []flagsmith.SegmentOverride // every override of the feature, for priorities
}

// Run carries out cfg against Flagsmith. Lookups come first; nothing is written until every name
// is resolved, and a name that resolves to nothing (or a key Flagsmith refuses) is bad input. Any failure after the first write restores the state before the run.
func Run(ctx context.Context, c *flagsmith.Client, cfg Config, progress func(format string, args ...any)) (*Result, error) {
	r := &runner{client: c, cfg: cfg, progress: progress, res: &Result{}, segName: cfg.SegmentName}
	if r.segName == "" {
		r.segName = "slipway-rollout-" + cfg.Feature
	}
	before, err := r.lookup(ctx)
	if err != nil {
		return r.res, err
	}
	r.res.Before, r.res.After = before, before
	progress("%s in %s is %s", cfg.Feature, before.Environment, before.Describe())

	err = r.apply(ctx, before)
	if err != nil && !r.cfg.DryRun && r.res.After.JSON() != before.JSON() {
		// Put back what the run changed, even when it was cancelled.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		progress("restoring the state before the run: %s", before.Describe())
		after, rerr := r.converge(rctx, r.res.After, before, false)
		r.res.After = after
		if rerr != nil {
			return r.res, fmt.Errorf("%w; restoring the state before the run failed too: %v — previous-state holds it for a rollback run", err, rerr)
		}
		r.res.RolledBack = true
		var ge *GateError
		if !errors.As(err, &ge) {
			err = fmt.Errorf("%w; the flag was restored to its state before the run", err)
		}
	}
	r.preview()
	return r.res, err
}

// lookup resolves the names and reads the flag's state.
func (r *runner) lookup(ctx context.Context) (State, error) {
	c, cfg := r.client, r.cfg
	input := func(err error) error {
		var nf *flagsmith.NotFoundError
		var ae *flagsmith.APIError
		if errors.As(err, &nf) || (errors.As(err, &ae) && (ae.Status == 401 || ae.Status == 403)) {
			return actionkit.BadInput(err)
		}
		return err
	}
	p, err := c.Project(ctx, cfg.Project)
	if err != nil {
		return State{}, input(err)
	}
	env, err := c.Environment(ctx, p.ID, cfg.Environment)
	r.env = env
	if err != nil {
		return State{}, input(fmt.Errorf("project %q: %w", p.Name, err))
	}
	f, err := c.Feature(ctx, p.ID, cfg.Feature)
	if err != nil {
		return State{}, input(fmt.Errorf("project %q: %w", p.Name, err))
	}
	seg, err := c.Segment(ctx, p.ID, r.segName)
	if err != nil {
		return State{}, input(err)
	}
	fs, err := c.ReadFeature(ctx, env, f.ID)
	if err != nil {
		return State{}, input(err)
	}
	r.progress("feature states through %s", c.Endpoints(env))
	st := State{Project: p.ID, Environment: env.Name, EnvironmentKey: env.APIKey, Feature: f.Name, FeatureID: f.ID,
		Default: fs.Default, Segment: seg}
	st.Override = overrideOf(fs, seg)
	if ps := cfg.PreviousState; ps != nil && (ps.FeatureID != f.ID || ps.EnvironmentKey != env.APIKey) {
		return st, actionkit.BadInput(fmt.Errorf("previous-state is of feature %q in environment %q, not of %q in %q", ps.Feature, ps.Environment, f.Name, env.Name))
	}
	r.others = fs.Overrides
	return st, nil
}

// overrideOf is the override of the rollout segment among the feature's, if there is one.
func overrideOf(fs flagsmith.FeatureState, seg *flagsmith.Segment) *Override {
	if seg == nil {
		return nil
	}
	o, ok := fs.Override(seg.ID)
	if !ok {
		return nil
	}
	return &Override{Priority: o.Priority, Enabled: o.Enabled, Value: o.Value}
}

func (r *runner) apply(ctx context.Context, before State) error {
	cfg := r.cfg
	switch {
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
	if len(steps) == 0 { // users only, or keep what there is
		return r.step(ctx, "users", nil, r.target(before, nil), true)
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
		if err := r.step(ctx, strconv.Itoa(pct)+"%", &steps[i], r.target(r.res.After, &steps[i]), true); err != nil {
			return err
		}
	}
	return nil
}

// target is the state a percentage step aims for: the segment with the users and percentage
// (those not given are kept from the segment), its override on, the default untouched.
func (r *runner) target(cur State, pct *int) State {
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
	seg := flagsmith.Segment{Name: r.segName, Description: "Managed by slipway flag-rollout for " + cur.Feature + "; changes here are overwritten by the next step.", Rules: segmentRules(users, pct)}
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
func (r *runner) step(ctx context.Context, name string, pct *int, want State, gated bool) error {
	start := time.Now()
	sr := StepResult{Percentage: pct}
	defer func() { sr.Took = time.Since(start); r.res.Steps = append(r.res.Steps, sr) }()
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
	if r.cfg.StepWait > 0 {
		r.progress("step %s: waiting %s before the gate", name, r.cfg.StepWait)
		if err := wait(ctx, r.cfg.StepWait); err != nil {
			return err
		}
	}
	g := r.cfg.Gate.Check(ctx, r.res.After)
	sr.Gate = &g
	r.progress("step %s: gate %s", name, g.Detail)
	if !g.OK {
		return &GateError{Step: "step " + name, Result: g}
	}
	return nil
}

func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// PreviewEntry says whether a sample identifier gets the feature from the rollout segment.
type PreviewEntry struct {
	Identifier string  `json:"identifier"`
	Inside     bool    `json:"inside"`
	Named      bool    `json:"named"`      // listed in users
	Hash       float64 `json:"percentile"` // the identity's hashed percentage for this segment
}

// preview computes, for the sample identifiers, what the flag engine would decide for edge and
// local evaluation: identity key "<environment key>_<identifier>" hashed with the segment id.
func (r *runner) preview() {
	if len(r.cfg.Preview) == 0 {
		return
	}
	st := r.res.After
	if st.Segment == nil || st.Segment.ID == 0 {
		r.res.PreviewNote = "the rollout segment does not exist yet; its id is part of the hash, so the preview is known once it is created"
		return
	}
	pct, users := st.Percentage(), st.Users()
	for _, id := range r.cfg.Preview {
		h := flagsmith.HashedPercentage(strconv.Itoa(st.Segment.ID), flagsmith.IdentityKey(st.EnvironmentKey, id))
		named := slices.Contains(users, id)
		r.res.Preview = append(r.res.Preview, PreviewEntry{Identifier: id, Named: named, Hash: h, Inside: named || (pct >= 0 && h <= pct)})
	}
	r.res.PreviewNote = "computed as edge and local evaluation do (identity key <environment key>_<identifier>); identities evaluated by Flagsmith's core API are hashed by their numeric id instead"
}

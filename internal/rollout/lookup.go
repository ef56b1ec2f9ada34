package rollout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/slipway-actions/slipway/internal/flagsmith"

	"github.com/slipway-actions/slipway/internal/failure"
)

// lookup resolves the names, reads the flag's state and checks that the run may write: the
// environment takes direct changes, and the rollout segment serves no other environment.
func (r *runner) lookup(ctx context.Context) (State, error) {
	c, cfg := r.client, r.cfg
	input := func(err error) error {
		var nf *flagsmith.NotFoundError
		var ae *flagsmith.APIError
		if errors.As(err, &nf) || (errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden)) {
			return failure.BadInput(err)
		}
		return err
	}
	p, err := c.Project(ctx, cfg.Project)
	if err != nil {
		return State{}, input(err)
	}
	envs, err := c.Environments(ctx, p.ID)
	if err != nil {
		return State{}, input(err)
	}
	env, err := flagsmith.FindEnvironment(envs, cfg.Environment)
	if err != nil {
		return State{}, input(fmt.Errorf("project %q: %w", p.Name, err))
	}
	r.env = env
	f, err := c.Feature(ctx, p.ID, cfg.Feature)
	if err != nil {
		return State{}, input(fmt.Errorf("project %q: %w", p.Name, err))
	}
	if ps := cfg.PreviousState; ps != nil && (ps.FeatureID != f.ID || ps.EnvironmentKey != env.APIKey) {
		return State{}, failure.BadInput(fmt.Errorf("previous-state is of feature %q in environment %q, not of %q in %q", ps.Feature, ps.Environment, f.Name, env.Name))
	}
	r.segName = cfg.SegmentName
	switch {
	case cfg.Rollback && cfg.PreviousState != nil && cfg.PreviousState.Segment != nil:
		r.segName = cfg.PreviousState.Segment.Name // the segment the state was recorded with
	case r.segName == "":
		r.segName = SegmentName(f.Name, env.Name)
	}
	if n := env.ChangeRequestApprovals; n != nil && cfg.changes() && !env.Versioned {
		return State{}, failure.BadInput(fmt.Errorf("environment %q requires change requests (its minimum_change_request_approvals setting is %d) "+
			"and has no feature versioning v2: Flagsmith's change requests there carry feature states only, so a rollout's override can be "+
			"neither created nor removed through one; nothing was changed — turn on feature versioning v2 in the environment's settings, "+
			"and each step goes through a change request", env.Name, *n))
	}
	seg, err := c.Segment(ctx, p.ID, r.segName)
	if err != nil {
		return State{}, input(err)
	}
	fs, err := c.ReadFeature(ctx, env, f.ID)
	if err != nil {
		return State{}, input(err)
	}
	if cfg.changes() && !cfg.Hold && !cfg.Rollback && !cfg.DryRun {
		// A held rollout's run may be under way: a run of another kind waits for its lease too.
		// A rollback never waits: it is what ends a rollout that went wrong.
		if rec, _ := recordOf(seg); rec != nil {
			if err := r.checkLease(rec); err != nil {
				return State{}, err
			}
		}
	}
	r.res.Endpoints = c.Endpoints(env)
	r.progress("feature states through %s", r.res.Endpoints)
	if seg != nil && cfg.changes() {
		if err := r.checkShared(ctx, envs, *seg, f); err != nil {
			return State{}, err
		}
	}
	r.others = fs.Overrides
	return State{Project: p.ID, Environment: env.Name, EnvironmentKey: env.APIKey, Feature: f.Name, FeatureID: f.ID,
		Default: fs.Default, Segment: seg, Override: overrideOf(fs, seg)}, nil
}

// checkShared refuses a segment that also has overrides of the feature in other environments:
// a segment belongs to the project, so changing or deleting it for this environment would change
// what the others serve.
func (r *runner) checkShared(ctx context.Context, envs []flagsmith.Environment, seg flagsmith.Segment, f flagsmith.Feature) error {
	var others []string
	for _, e := range envs {
		if e.ID == r.env.ID {
			continue
		}
		fs, err := r.client.ReadFeature(ctx, e, f.ID)
		if err != nil {
			return fmt.Errorf("reading %q in environment %q to check that segment %q is this environment's alone: %w", f.Name, e.Name, seg.Name, err)
		}
		if _, ok := fs.Override(seg.ID); ok {
			others = append(others, strconv.Quote(e.Name))
		}
	}
	if len(others) == 0 {
		return nil
	}
	return failure.BadInput(fmt.Errorf("segment %q also serves %q in environment %s; a segment belongs to the project, so changing or deleting it "+
		"for %q would change %s too — nothing was changed; leave segment-name empty to use this environment's own segment (%q), "+
		"or remove the segment's override there first",
		seg.Name, f.Name, strings.Join(others, ", "), r.env.Name, strings.Join(others, ", "), SegmentName(f.Name, r.env.Name)))
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

// Package flagrollout is the flag-rollout action: it releases a feature through Flagsmith: named
// users first, then a growing percentage of identities, with gates between steps and rollback on
// failure. The one slipway program (cmd/slipway) runs it as `slipway flag-rollout`, in the image
// and as a local CLI whose flags mirror the inputs.
package flagrollout

import (
	"context"
	_ "embed"
	"strconv"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/rollout"
)

//go:embed action.yml
var actionYML []byte

func Main(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "flag-rollout", actionYML, opts, parseConfig, release)
}

// flag-rollout ends within actionkit.CancelWindow of a cancel's first signal: restoring the flag
// within cancelGrace of it, then the outputs and the summary (local writes) in the rest.
const cancelGrace = actionkit.CancelWindow - time.Second

// config is every input of the action, typed and validated.
type config struct {
	APIURL  string
	APIKey  string
	Rollout rollout.Config
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		APIURL: in.URL("api-url"),
		APIKey: in.Secret("api-key"),
		Rollout: rollout.Config{
			Project:     in.String("project"),
			Environment: in.String("environment"),
			Feature:     in.String("feature"),
			SegmentName: in.String("segment-name"),
			Users:       in.List("users"),
			StepWait:    in.Duration("step-wait"),
			Gate: rollout.Gate{
				URL:     in.URL("gate-url"),
				Command: in.String("gate-command"),
				Timeout: in.Duration("gate-timeout"),
				Dir:     k.Workspace(),
				Env:     k.Getenv,
			},
			Value:       in.String("value"),
			Finalize:    in.Bool("finalize"),
			Rollback:    in.Bool("rollback"),
			Preview:     in.List("preview"),
			DryRun:      in.Bool("dry-run"),
			CancelGrace: cancelGrace,
		},
	}
	r := &cfg.Rollout
	if p := in.String("percentage"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 100 {
			in.Invalid("percentage", "%q is not a whole number from 0 to 100", p)
		} else {
			r.Percentage = &n
		}
	}
	prev := -1
	for _, s := range in.List("steps") {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil || n < 0 || n > 100:
			in.Invalid("steps", "%q is not a whole number from 0 to 100", s)
		case n <= prev:
			in.Invalid("steps", "must increase (%d comes after %d)", n, prev)
		default:
			r.Steps = append(r.Steps, n)
			prev = n
		}
	}
	if r.Percentage != nil && len(r.Steps) > 0 {
		in.Invalid("steps", "give percentage or steps, not both")
	}
	if r.Finalize && r.Rollback {
		in.Invalid("rollback", "finalize and rollback cannot both be true")
	}
	if (r.Finalize || r.Rollback) && (r.Percentage != nil || len(r.Steps) > 0 || len(r.Users) > 0) {
		in.Invalid("finalize", "finalize and rollback stand alone; leave users, percentage and steps empty")
	}
	if !r.Finalize && !r.Rollback && r.Percentage == nil && len(r.Steps) == 0 && len(r.Users) == 0 && len(r.Preview) == 0 {
		in.Invalid("percentage", "nothing to do: give users, percentage or steps (or finalize, rollback or preview)")
	}
	parseAnalysis(in, r)
	if s := in.String("previous-state"); s != "" {
		if !r.Rollback {
			in.Invalid("previous-state", "is only read by rollback: true")
		}
		st, err := rollout.ParseState(s)
		if err != nil {
			in.Invalid("previous-state", "%v", err)
		}
		r.PreviousState = st
	}
	return cfg, in.Err()
}

// parseAnalysis reads the analysis input into the gate, every problem named at once.
func parseAnalysis(in *actionkit.Inputs, r *rollout.Config) {
	specs, errs := analysis.Parse(in.String("analysis"))
	for _, err := range errs {
		in.Invalid("analysis", "%v", err)
	}
	for _, s := range specs {
		if s.Interval > 0 && s.Count == 0 && r.StepWait == 0 {
			in.Invalid("analysis", "metric %s samples every %s through step-wait, which is 0: set step-wait or count", s.Name, s.Interval)
		}
	}
	r.Gate.Analysis = specs
}

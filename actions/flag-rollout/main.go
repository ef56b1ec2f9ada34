// Command flag-rollout releases a feature through Flagsmith: named users first, then a growing
// percentage of identities, with gates between steps and rollback on failure. It is the flag-rollout
// action's entrypoint and a local CLI with the same flags.
package main

import (
	"context"
	_ "embed"
	"os"
	"strconv"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
)

//go:embed action.yml
var actionYML []byte

func main() { os.Exit(realMain(context.Background())) }

func realMain(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "flag-rollout", actionYML, opts, parseConfig, rollout)
}

// rollout is where the engine of issue #8 plugs in; until then the action
// validates its inputs and exits 3, never 0.
func rollout(context.Context, *actionkit.Kit, config) error { return actionkit.ErrNotBuilt }

// config is every input of the action, typed and validated.
type config struct {
	APIURL        string
	APIKey        string
	Project       string
	Environment   string
	Feature       string
	SegmentName   string
	Users         []string
	Percentage    *int
	Steps         []int
	StepWait      time.Duration
	GateURL       string
	GateCommand   string
	Value         string
	Finalize      bool
	Rollback      bool
	PreviousState string
	Preview       []string
	DryRun        bool
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		APIURL:        in.URL("api-url"),
		APIKey:        in.Secret("api-key"),
		Project:       in.String("project"),
		Environment:   in.String("environment"),
		Feature:       in.String("feature"),
		SegmentName:   in.String("segment-name"),
		Users:         in.List("users"),
		StepWait:      in.Duration("step-wait"),
		GateURL:       in.String("gate-url"),
		GateCommand:   in.String("gate-command"),
		Value:         in.String("value"),
		Finalize:      in.Bool("finalize"),
		Rollback:      in.Bool("rollback"),
		PreviousState: in.String("previous-state"),
		Preview:       in.List("preview"),
		DryRun:        in.Bool("dry-run"),
	}
	if p := in.String("percentage"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 100 {
			in.Invalid("percentage", "%q is not a whole number from 0 to 100", p)
		} else {
			cfg.Percentage = &n
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
			cfg.Steps = append(cfg.Steps, n)
			prev = n
		}
	}
	if cfg.Percentage != nil && len(cfg.Steps) > 0 {
		in.Invalid("steps", "give percentage or steps, not both")
	}
	if cfg.Finalize && cfg.Rollback {
		in.Invalid("rollback", "finalize and rollback cannot both be true")
	}
	return cfg, in.Err()
}

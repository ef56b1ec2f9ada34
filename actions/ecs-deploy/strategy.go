package ecsdeploy

import (
	"strconv"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/ecs"
)

// readStrategy reads the strategy, its settings and the deployment alarms, and records every
// problem with them, each naming its input, alongside the other inputs' (exit 2, nothing touched).
func readStrategy(in *actionkit.Inputs) ecs.Strategy {
	s := ecs.Strategy{Kind: in.Enum("strategy", ecs.StrategyRolling, ecs.StrategyBlueGreen, ecs.StrategyCanary, ecs.StrategyLinear),
		Bake: optionalDuration(in, "bake-time"), CanaryPercent: optionalPercent(in, "canary-percent"),
		CanaryBake: optionalDuration(in, "canary-bake-time"), StepPercent: optionalPercent(in, "linear-step-percent"),
		StepBake: optionalDuration(in, "linear-step-bake-time"), Alarms: in.Multiline("alarms")}
	role := in.String("lifecycle-hook-role-arn")
	for _, line := range in.Multiline("lifecycle-hooks") {
		fields := strings.Fields(line)
		h := ecs.LifecycleHook{Lambda: fields[0], Role: role}
		if len(fields) > 2 {
			in.Invalid("lifecycle-hooks", "%q: want \"function-ARN STAGE[,STAGE]\"", line)
			continue
		}
		if len(fields) == 2 {
			h.Stages = strings.Split(fields[1], ",")
		}
		s.Hooks = append(s.Hooks, h)
	}
	if role != "" && len(s.Hooks) == 0 {
		in.Invalid("lifecycle-hook-role-arn", "is for lifecycle-hooks, and none is given")
	}
	if s.Kind == "" { // Enum refused it
		return ecs.Strategy{Kind: ecs.StrategyRolling}
	}
	for _, p := range s.Check() {
		in.Invalid(p.Input, "%s", p.Problem)
	}
	return s
}

func optionalDuration(in *actionkit.Inputs, name string) *time.Duration {
	v := in.String(name)
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		in.Invalid(name, "%q is not a duration (e.g. 10m)", v)
		return nil
	}
	return &d
}

func optionalPercent(in *actionkit.Inputs, name string) *float64 {
	v := strings.TrimSuffix(in.String(name), "%")
	if v == "" {
		return nil
	}
	p, err := strconv.ParseFloat(v, 64)
	if err != nil {
		in.Invalid(name, "%q is not a percentage (e.g. 10)", v)
		return nil
	}
	return &p
}

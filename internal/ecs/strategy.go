package ecs

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Strategies ECS deploys a service with (deploymentConfiguration.strategy, API_DeploymentConfiguration.html).
const (
	StrategyRolling   = "rolling"
	StrategyBlueGreen = "blue-green"
	StrategyCanary    = "canary"
	StrategyLinear    = "linear"
)

// Strategy is how ECS moves a service to its new revision, and the CloudWatch alarms that stop it.
// The zero value is a rolling deployment with the service's own deployment configuration untouched.
// Bounds and defaults are the Amazon ECS API Reference's: API_DeploymentConfiguration.html
// (bakeTimeInMinutes 0 to 1440), API_CanaryConfiguration.html (canaryPercent 0.1 to 100 in steps of
// 0.1, canaryBakeTimeInMinutes 0 to 1440), API_LinearConfiguration.html (stepPercent 3 to 100,
// stepBakeTimeInMinutes 0 to 1440), API_DeploymentLifecycleHook.html and API_DeploymentAlarms.html.
type Strategy struct {
	Kind          string         // rolling (""), blue-green, canary or linear
	Bake          *time.Duration // how long the new revision serves all traffic before the old one goes; nil: ECS's default
	CanaryPercent *float64       // canary: the production traffic the first step moves
	CanaryBake    *time.Duration // canary: how long the canary step lasts
	StepPercent   *float64       // linear: the production traffic each step moves
	StepBake      *time.Duration // linear: how long each step lasts
	Hooks         []LifecycleHook
	Alarms        []string // CloudWatch alarms whose ALARM state makes ECS roll the deployment back
}

// LifecycleHook is a Lambda function ECS invokes at lifecycle stages of a deployment, assuming Role.
type LifecycleHook struct {
	Lambda string
	Role   string
	Stages []string
}

// native reports whether ECS runs the deployment as a service deployment with traffic shifting
// (BLUE_GREEN, CANARY, LINEAR), not a rolling replacement of tasks.
func (s Strategy) native() bool { return s.Kind != "" && s.Kind != StrategyRolling }

// followed reports whether the deployment is followed by its service deployment
// (DescribeServiceDeployments) rather than by DescribeServices: a native strategy's outcome, and an
// alarm's rollback, are only there.
func (s Strategy) followed() bool { return s.native() || len(s.Alarms) > 0 }

// hookStages are the stages a lifecycle hook may run at (API_DeploymentLifecycleHook.html).
var hookStages = []string{"RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
	"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"}

// InputProblem is what is wrong with one of the action's inputs.
type InputProblem struct{ Input, Problem string }

func (p InputProblem) String() string { return fmt.Sprintf("input %q: %s", p.Input, p.Problem) }

// Check lists every problem with s, each naming the action's input.
func (s Strategy) Check() []InputProblem {
	var errs []InputProblem
	bad := func(input, format string, args ...any) {
		errs = append(errs, InputProblem{input, fmt.Sprintf(format, args...)})
	}
	kinds := []string{"", StrategyRolling, StrategyBlueGreen, StrategyCanary, StrategyLinear}
	if !slices.Contains(kinds, s.Kind) {
		bad("strategy", "%q is not one of rolling, blue-green, canary, linear", s.Kind)
	}
	minutes := func(name string, d *time.Duration) {
		if d != nil && (*d < 0 || *d > 24*time.Hour || *d%time.Minute != 0) {
			bad(name, "%s is not whole minutes from 0 to 1440 (24h)", *d)
		}
	}
	percent := func(name string, p *float64, least float64) {
		if p != nil && (*p < least || *p > 100 || math.Abs(*p*10-math.Round(*p*10)) > 1e-9) {
			bad(name, "%g is not a percentage from %g to 100 in steps of 0.1", *p, least)
		}
	}
	minutes("bake-time", s.Bake)
	minutes("canary-bake-time", s.CanaryBake)
	minutes("linear-step-bake-time", s.StepBake)
	percent("canary-percent", s.CanaryPercent, 0.1)
	percent("linear-step-percent", s.StepPercent, 3)
	if !s.native() {
		if s.Bake != nil {
			bad("bake-time", "needs strategy blue-green, canary or linear (a rolling deployment has no bake)")
		}
		if len(s.Hooks) > 0 {
			bad("lifecycle-hooks", "needs strategy blue-green, canary or linear")
		}
	}
	for name, set := range map[string]bool{"canary-percent": s.CanaryPercent != nil, "canary-bake-time": s.CanaryBake != nil} {
		if set && s.Kind != StrategyCanary {
			bad(name, "needs strategy canary, not %s", s.name())
		}
	}
	for name, set := range map[string]bool{"linear-step-percent": s.StepPercent != nil, "linear-step-bake-time": s.StepBake != nil} {
		if set && s.Kind != StrategyLinear {
			bad(name, "needs strategy linear, not %s", s.name())
		}
	}
	for _, h := range s.Hooks {
		if !strings.HasPrefix(h.Lambda, "arn:") || !strings.Contains(h.Lambda, ":lambda:") {
			bad("lifecycle-hooks", "%q is not a Lambda function ARN", h.Lambda)
		}
		if h.Role == "" {
			bad("lifecycle-hook-role-arn", "needed by the hook %s: ECS assumes it to invoke the function", h.Lambda)
		}
		if len(h.Stages) == 0 {
			bad("lifecycle-hooks", "%s names no stage (one or more of %s)", h.Lambda, strings.Join(hookStages, ", "))
		}
		for _, st := range h.Stages {
			if !slices.Contains(hookStages, st) {
				bad("lifecycle-hooks", "%s: stage %q is not one of %s", h.Lambda, st, strings.Join(hookStages, ", "))
			}
		}
	}
	for _, a := range s.Alarms {
		if a == "" || len(a) > 255 {
			bad("alarms", "%q is not a CloudWatch alarm name (1 to 255 characters)", a)
		}
	}
	slices.SortStableFunc(errs, func(a, b InputProblem) int { return strings.Compare(a.String(), b.String()) })
	return errs
}

func (s Strategy) name() string {
	if s.Kind == "" {
		return StrategyRolling
	}
	return s.Kind
}

// config is the deploymentConfiguration UpdateService sends: nil for a rolling deployment without
// alarms, so the service keeps its own. ECS replaces the fields it is given.
func (s Strategy) config() *types.DeploymentConfiguration {
	if !s.followed() {
		return nil
	}
	c := &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyRolling}
	if len(s.Alarms) > 0 {
		c.Alarms = &types.DeploymentAlarms{AlarmNames: s.Alarms, Enable: true, Rollback: true}
	}
	if !s.native() {
		return c
	}
	c.Strategy = map[string]types.DeploymentStrategy{StrategyBlueGreen: types.DeploymentStrategyBlueGreen,
		StrategyCanary: types.DeploymentStrategyCanary, StrategyLinear: types.DeploymentStrategyLinear}[s.Kind]
	c.BakeTimeInMinutes = toMinutes(s.Bake)
	switch s.Kind {
	case StrategyCanary:
		c.CanaryConfiguration = &types.CanaryConfiguration{CanaryPercent: s.CanaryPercent, CanaryBakeTimeInMinutes: toMinutes(s.CanaryBake)}
	case StrategyLinear:
		c.LinearConfiguration = &types.LinearConfiguration{StepPercent: s.StepPercent, StepBakeTimeInMinutes: toMinutes(s.StepBake)}
	}
	for _, h := range s.Hooks {
		var stages []types.DeploymentLifecycleHookStage
		for _, st := range h.Stages {
			stages = append(stages, types.DeploymentLifecycleHookStage(st))
		}
		c.LifecycleHooks = append(c.LifecycleHooks, types.DeploymentLifecycleHook{HookTargetArn: aws.String(h.Lambda),
			RoleArn: aws.String(h.Role), LifecycleStages: stages, TargetType: types.DeploymentLifecycleHookTargetTypeAwsLambda})
	}
	return c
}

func toMinutes(d *time.Duration) *int32 {
	if d == nil {
		return nil
	}
	return aws.Int32(int32(*d / time.Minute))
}

// Describe says in a line what the strategy does, for the plan.
func (s Strategy) Describe() string {
	var b strings.Builder
	b.WriteString("strategy " + s.name())
	switch s.Kind {
	case StrategyCanary:
		fmt.Fprintf(&b, " (canary %s%% for %s)", orDefault(s.CanaryPercent, "5"), orDefaultMinutes(s.CanaryBake, "10m"))
	case StrategyLinear:
		fmt.Fprintf(&b, " (steps of %s%%, %s each)", orDefault(s.StepPercent, "10"), orDefaultMinutes(s.StepBake, "6m"))
	}
	if s.native() {
		fmt.Fprintf(&b, ", bake %s", orDefaultMinutes(s.Bake, "ECS's default"))
	}
	for _, h := range s.Hooks {
		fmt.Fprintf(&b, ", hook %s at %s", lastColon(h.Lambda), strings.Join(h.Stages, "+"))
	}
	if len(s.Alarms) > 0 {
		fmt.Fprintf(&b, ", rolled back by ECS when alarm %s is in ALARM", strings.Join(s.Alarms, " or "))
	}
	return b.String()
}

func orDefault(p *float64, def string) string {
	if p == nil {
		return def
	}
	return fmt.Sprintf("%g", *p)
}

func orDefaultMinutes(d *time.Duration, def string) string {
	if d == nil {
		return def
	}
	return d.String()
}

func lastColon(arn string) string { return arn[strings.LastIndex(arn, ":")+1:] }

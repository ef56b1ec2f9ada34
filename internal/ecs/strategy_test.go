package ecs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
	"github.com/slipway-actions/slipway/internal/failure"
)

func minutes(n int) *time.Duration { d := time.Duration(n) * time.Minute; return &d }
func percent(p float64) *float64   { return &p }

// stages is the lifecycle stages the service's polls showed, each once, in order.
func stages(polls []ecstest.Poll) []string {
	var out []string
	for _, p := range polls {
		if p.Stage != "" && (len(out) == 0 || out[len(out)-1] != p.Stage) {
			out = append(out, p.Stage)
		}
	}
	return out
}

func TestDeploy_BlueGreenSucceedsOnlyAfterTheBake(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	o := s.options()
	o.Strategy = ecs.Strategy{Kind: ecs.StrategyBlueGreen, Bake: minutes(3)}
	rep, err := s.deploy(t, o)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Services[0]
	if r.Status != ecs.StatusCompleted || r.ServiceDeploymentARN == "" || s.fake.ServiceTaskDefinition("api") != r.TaskDefinitionARN {
		t.Fatalf("result = %+v", r)
	}
	polls := s.fake.Polls("api")
	last := polls[len(polls)-1]
	if last.Status != "SUCCESSFUL" {
		t.Fatalf("the deploy ended on a poll that said %+v, want SUCCESSFUL", last)
	}
	baked := 0
	for _, p := range polls[:len(polls)-1] {
		if p.Status != "IN_PROGRESS" && p.Status != "PENDING" {
			t.Errorf("a poll before the end said %+v", p)
		}
		if p.Stage == "BAKE_TIME" {
			baked++
			if p.Production != 100 {
				t.Errorf("baking with %g%% of production traffic", p.Production)
			}
		}
	}
	if baked != 3 {
		t.Errorf("%d polls in BAKE_TIME before the end, want the 3 minutes of the bake (one poll each)", baked)
	}
	want := "PRE_SCALE_UP SCALE_UP POST_SCALE_UP TEST_TRAFFIC_SHIFT POST_TEST_TRAFFIC_SHIFT PRODUCTION_TRAFFIC_SHIFT POST_PRODUCTION_TRAFFIC_SHIFT BAKE_TIME CLEAN_UP"
	if got := strings.Join(stages(polls), " "); got != want {
		t.Errorf("stages = %s\nwant     %s", got, want)
	}
	upd := s.fake.Requests("UpdateService")[0].Input["deploymentConfiguration"].(map[string]any)
	if upd["strategy"] != "BLUE_GREEN" || upd["bakeTimeInMinutes"] != 3.0 {
		t.Errorf("UpdateService's deploymentConfiguration = %v", upd)
	}
	if n := len(s.fake.Requests("DescribeServices")); n != 1 {
		t.Errorf("%d DescribeServices, want only Prepare's: the deployment is followed by DescribeServiceDeployments", n)
	}
}

func TestDeploy_BlueGreenWhoseGreenNeverBecomesHealthyRollsBackAndFails(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.NeverHealthy, Ticks: 3})
	o := s.options()
	o.Strategy = ecs.Strategy{Kind: ecs.StrategyBlueGreen, Bake: minutes(5)}
	rep, err := s.deploy(t, o)
	if failure.Of(err) != failure.Checked {
		t.Fatalf("err = %v (%v), want a failed deploy (exit 1)", err, failure.Of(err))
	}
	r := rep.Services[0]
	if r.Status != ecs.StatusRolledBack || !strings.Contains(r.Reason, "circuit breaker") {
		t.Errorf("result = %+v", r)
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != s.previous["api"] {
		t.Errorf("the service runs %s, want the previous %s", got, s.previous["api"])
	}
	if n := s.fake.Updates(); n != 1 {
		t.Errorf("%d UpdateService calls: ECS rolls a blue/green deployment back itself, slipway issues none", n)
	}
	polls := s.fake.Polls("api")
	if last := polls[len(polls)-1]; last.Status != "ROLLBACK_SUCCESSFUL" {
		t.Errorf("last poll %+v, want the rollback followed to ROLLBACK_SUCCESSFUL", last)
	}
	for _, p := range polls {
		if p.Production > 0 {
			t.Errorf("production traffic moved to a green that never was healthy: %+v", p)
		}
	}
}

func TestDeploy_CanaryAndLinearSucceedThroughTheirSteps(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		strategy ecs.Strategy
		weights  []float64
	}{
		{ecs.Strategy{Kind: ecs.StrategyCanary, CanaryPercent: percent(10), CanaryBake: minutes(2)}, []float64{10, 100}},
		{ecs.Strategy{Kind: ecs.StrategyLinear, StepPercent: percent(25), StepBake: minutes(1)}, []float64{25, 50, 75, 100}},
	} {
		t.Run(tc.strategy.Kind, func(t *testing.T) {
			t.Parallel()
			s := newSetup(t)
			o := s.options()
			o.Strategy = tc.strategy
			rep, err := s.deploy(t, o)
			if err != nil || rep.Services[0].Status != ecs.StatusCompleted {
				t.Fatalf("err = %v, result = %+v", err, rep.Services[0])
			}
			var weights []float64
			canaryPolls := 0
			for _, p := range s.fake.Polls("api") {
				if p.Stage == "PRODUCTION_TRAFFIC_SHIFT" && (len(weights) == 0 || weights[len(weights)-1] != p.Production) {
					weights = append(weights, p.Production)
				}
				if p.Stage == "PRODUCTION_TRAFFIC_SHIFT" && p.Production == 10 {
					canaryPolls++
				}
			}
			if fmt.Sprint(weights) != fmt.Sprint(tc.weights) {
				t.Errorf("production traffic went %v, want %v", weights, tc.weights)
			}
			if tc.strategy.Kind == ecs.StrategyCanary && canaryPolls != 2 {
				t.Errorf("the canary step lasted %d polls, want its 2 minutes", canaryPolls)
			}
		})
	}
}

func TestDeploy_CancelMidBakeRollsBackWithinTheWindow(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	o := s.options()
	o.Strategy = ecs.Strategy{Kind: ecs.StrategyBlueGreen, Bake: minutes(1000)}
	o.PollInterval, o.CancelGrace = 5*time.Millisecond, 2*time.Second
	rep, err := s.dep.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	// 8 polls reach the bake: 7 stages before it, one poll each.
	cancelled, err := s.cancelOnCall("DescribeServiceDeployments", 10, func(ctx context.Context) error { return s.dep.Deploy(ctx, o, rep) })
	if err == nil || failure.Of(err) == failure.Checked {
		t.Fatalf("err = %v, want a cancelled run", err)
	}
	stops := s.fake.Requests("StopServiceDeployment")
	if len(stops) != 1 || stops[0].Input["stopType"] != "ROLLBACK" || stops[0].Input["serviceDeploymentArn"] != rep.Services[0].ServiceDeploymentARN {
		t.Fatalf("StopServiceDeployment calls = %+v, want one with stopType ROLLBACK", stops)
	}
	if took := stops[0].At.Sub(cancelled); took > o.CancelGrace { // bench/ecs measures it
		t.Errorf("the stop was issued %s after the cancel, past the grace %s", took, o.CancelGrace)
	}
	polls := s.fake.Polls("api")
	sawBake := false
	for _, p := range polls {
		sawBake = sawBake || p.Stage == "BAKE_TIME"
	}
	if !sawBake || polls[len(polls)-1].Status != "ROLLBACK_SUCCESSFUL" {
		t.Errorf("polls = %+v, want the bake, then the rollback followed to its end", polls)
	}
	r := rep.Services[0]
	if r.Status != ecs.StatusRolledBack || s.fake.ServiceTaskDefinition("api") != s.previous["api"] || s.fake.Updates() != 1 {
		t.Errorf("result = %+v, service on %s, %d updates", r, s.fake.ServiceTaskDefinition("api"), s.fake.Updates())
	}
}

func TestDeploy_AlarmInAlarmFailsTheDeploy(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{ecs.StrategyRolling, ecs.StrategyBlueGreen} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			s := newSetup(t)
			s.fake.Script("api", ecstest.Scenario{Kind: ecstest.Healthy, Ticks: 1000})
			o := s.options()
			o.Strategy = ecs.Strategy{Kind: kind, Alarms: []string{"api-5xx", "api-latency"}}
			if kind == ecs.StrategyBlueGreen {
				o.Strategy.Bake = minutes(1000)
			}
			go func() {
				<-s.fake.Reached("DescribeServiceDeployments", 3)
				s.fake.SetAlarm("api-latency")
			}()
			rep, err := s.deploy(t, o)
			if failure.Of(err) != failure.Checked || !strings.Contains(err.Error(), "alarm api-latency in ALARM") {
				t.Fatalf("err = %v, want a failed deploy naming the alarm", err)
			}
			if r := rep.Services[0]; r.Status != ecs.StatusRolledBack {
				t.Errorf("result = %+v", r)
			}
			dc := s.fake.Requests("UpdateService")[0].Input["deploymentConfiguration"].(map[string]any)
			alarms := dc["alarms"].(map[string]any)
			if alarms["enable"] != true || alarms["rollback"] != true || len(alarms["alarmNames"].([]any)) != 2 {
				t.Errorf("deployment alarms sent = %v", alarms)
			}
			if got := s.fake.ServiceTaskDefinition("api"); got != s.previous["api"] || s.fake.Updates() != 1 {
				t.Errorf("service on %s after %d updates, want ECS's rollback to %s", got, s.fake.Updates(), s.previous["api"])
			}
		})
	}
}

// An alarm the deploy did not attach does not stop it.
func TestDeploy_AnAlarmNotAttachedDoesNotStopIt(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.SetAlarm("other")
	o := s.options()
	o.Strategy = ecs.Strategy{Alarms: []string{"api-5xx"}}
	if rep, err := s.deploy(t, o); err != nil || rep.Services[0].Status != ecs.StatusCompleted {
		t.Fatalf("err = %v, result = %+v", err, rep.Services[0])
	}
}

func TestStrategy_BadCombinationsAreAllListed(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	o := s.options()
	o.Strategy = ecs.Strategy{Kind: ecs.StrategyLinear, CanaryPercent: percent(5), StepPercent: percent(2), Bake: minutes(2000),
		Hooks: []ecs.LifecycleHook{{Lambda: "arn:aws:lambda:eu-west-2:123456789012:function:check", Stages: []string{"BAKE"}}}}
	_, err := s.deploy(t, o)
	if failure.Of(err) != failure.Input {
		t.Fatalf("err = %v, want bad input", err)
	}
	for _, want := range []string{`"canary-percent"`, `"linear-step-percent": 2`, `"bake-time"`, `"lifecycle-hook-role-arn"`, `stage "BAKE"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s:\n%v", want, err)
		}
	}
	if n := s.fake.Updates(); n != 0 {
		t.Errorf("%d UpdateService calls after bad input", n)
	}
	if problems := (ecs.Strategy{Kind: ecs.StrategyRolling, Bake: minutes(1)}).Check(); len(problems) != 1 {
		t.Errorf("a rolling bake: %v", problems)
	}
}

func TestDeploy_DryRunShowsTheStrategy(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	var lines []string
	s.dep.Infof = func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	o := s.options()
	o.DryRun = true
	o.Strategy = ecs.Strategy{Kind: ecs.StrategyCanary, CanaryPercent: percent(10), CanaryBake: minutes(5), Bake: minutes(15), Alarms: []string{"api-5xx"}}
	if _, err := s.deploy(t, o); err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "strategy canary (canary 10% for 5m0s), bake 15m0s, rolled back by ECS when alarm api-5xx is in ALARM") {
		t.Errorf("plan:\n%s", plan)
	}
	if n := s.fake.Updates(); n != 0 {
		t.Errorf("a dry run updated %d services", n)
	}
}

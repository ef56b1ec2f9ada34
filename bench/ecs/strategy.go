package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

func minutes(n int) *time.Duration { d := time.Duration(n) * time.Minute; return &d }
func percent(p float64) *float64   { return &p }

// strategies measures, for each strategy, the API calls of one successful deploy (the fake's
// bake and step minutes are one poll each), and how long after a failure — a green that never
// becomes healthy, an alarm going into ALARM — the deploy returns (goal: within one poll interval).
func strategies(ctx context.Context, dir string) error {
	kinds := []struct {
		name string
		s    ecs.Strategy
	}{
		{"rolling + alarms", ecs.Strategy{Alarms: []string{"api-5xx"}}},
		{"blue-green, bake 3m", ecs.Strategy{Kind: ecs.StrategyBlueGreen, Bake: minutes(3)}},
		{"canary 10% for 2m, bake 3m", ecs.Strategy{Kind: ecs.StrategyCanary, CanaryPercent: percent(10), CanaryBake: minutes(2), Bake: minutes(3)}},
		{"linear 25% every 1m, bake 3m", ecs.Strategy{Kind: ecs.StrategyLinear, StepPercent: percent(25), StepBake: minutes(1), Bake: minutes(3)}},
	}
	fmt.Println("  strategies (the fake's bake and step minutes: one poll each):")
	for _, k := range kinds {
		f, d, o := setup(dir)
		o.PollInterval, o.Strategy = 10*time.Millisecond, k.s
		rep, err := d.Prepare(ctx, o)
		if err == nil {
			err = d.Deploy(ctx, o, rep)
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		calls, total := f.Calls()
		var parts []string
		for op, n := range calls {
			parts = append(parts, fmt.Sprintf("%s %d", op, n))
		}
		sort.Strings(parts)
		fmt.Printf("    %-30s %2d calls (%s)\n", k.name, total, strings.Join(parts, ", "))
	}

	const poll = 500 * time.Millisecond
	var worstOfAll time.Duration
	for _, failure := range []string{"green never healthy", "alarm in ALARM"} {
		var worst time.Duration
		for _, at := range []time.Duration{1100 * time.Millisecond, 1300 * time.Millisecond, 1450 * time.Millisecond, 1600 * time.Millisecond, 2000 * time.Millisecond} {
			f, d, o := setup(dir)
			o.PollInterval = poll
			o.Strategy = ecs.Strategy{Kind: ecs.StrategyBlueGreen, Bake: minutes(1000), Alarms: []string{"api-5xx"}}
			if failure == "green never healthy" {
				f.Script("api", ecstest.Scenario{Kind: ecstest.NeverHealthy, After: at})
			}
			rep, err := d.Prepare(ctx, o)
			if err != nil {
				f.Close()
				return err
			}
			start := time.Now()
			if failure == "alarm in ALARM" {
				time.AfterFunc(at, func() { f.SetAlarm("api-5xx") })
			}
			err = d.Deploy(ctx, o, rep)
			took := time.Since(start)
			f.Close()
			if err == nil || rep.Services[0].Status != ecs.StatusFailed {
				return fmt.Errorf("blue-green, %s at %s: not reported: %v %+v", failure, at, err, rep.Services[0])
			}
			worst = max(worst, took-at)
		}
		fmt.Printf("    blue-green, %s at five moments, polled every %s: noticed at worst %s later (%.2f poll intervals, goal ≤ 1)\n",
			failure, poll, worst.Round(time.Millisecond), float64(worst)/float64(poll))
		worstOfAll = max(worstOfAll, worst)
	}
	if worstOfAll > poll {
		return fmt.Errorf("a rolled-back service deployment was noticed %s late, more than one poll interval", worstOfAll)
	}
	return cancelledMidBake(ctx, dir)
}

// cancelledMidBake cancels blue/green deploys in their bake (poll interval 2 s, the cancel at five
// moments of it) and measures when StopServiceDeployment reaches ECS and when Deploy returns
// (ECS's rollback followed to ROLLBACK_SUCCESSFUL).
func cancelledMidBake(ctx context.Context, dir string) error {
	var worstIssued, worstReturned time.Duration
	for i := range 5 {
		f, d, o := setup(dir)
		o.PollInterval, o.RollBackOnFailure = 2*time.Second, true
		o.Strategy = ecs.Strategy{Kind: ecs.StrategyBlueGreen, Bake: minutes(1000)}
		rep, err := d.Prepare(ctx, o)
		if err != nil {
			f.Close()
			return err
		}
		cctx, cancel := context.WithCancel(ctx)
		var at time.Time
		go func() {
			<-f.Reached("DescribeServiceDeployments", 9) // 8 polls reach the bake
			time.Sleep(time.Duration(300+i*350) * time.Millisecond)
			at = time.Now()
			cancel()
		}()
		err = d.Deploy(cctx, o, rep)
		returned := time.Since(at)
		cancel()
		f.Close()
		stops := f.Requests("StopServiceDeployment")
		if err == nil || len(stops) != 1 || rep.Services[0].Status != ecs.StatusRolledBack {
			return fmt.Errorf("a blue/green deploy cancelled mid-bake was not rolled back: %v, %d stops, %+v", err, len(stops), rep.Services[0])
		}
		worstIssued, worstReturned = max(worstIssued, stops[0].At.Sub(at)), max(worstReturned, returned)
	}
	fmt.Printf("    blue-green cancelled mid-bake (poll interval 2s), worst of 5: StopServiceDeployment(ROLLBACK) issued %s after the cancel, deploy returned after %s (goal ≤ 1s)\n",
		worstIssued.Round(time.Millisecond), worstReturned.Round(time.Millisecond))
	if worstIssued > time.Second {
		return fmt.Errorf("StopServiceDeployment was issued %s after a cancel", worstIssued)
	}
	return nil
}

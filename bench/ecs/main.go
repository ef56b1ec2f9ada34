// Command ecs measures ecs-deploy on the fake ECS: how long after a deployment turns FAILED the
// deploy notices (goal: within one poll interval), how many API calls a successful deploy of one
// service makes, and how long after a cancel the rollback is issued and the deploy returns (goal:
// well inside an action's cancel window, actionkit.CancelWindow).
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

const td = `{"family":"api","containerDefinitions":[{"name":"api","image":"acme/api:1","essential":true,"memory":512}]}`

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/ecs:", err)
		os.Exit(1)
	}
}

// setup starts a fake ECS with one service; the caller closes it.
func setup(dir string) (*ecstest.Fake, *ecs.Deployer, ecs.Options) {
	f := ecstest.New(nil)
	f.AddService("api", td, 2)
	client := awsecs.New(awsecs.Options{Region: "eu-west-2", BaseEndpoint: aws.String(f.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	d := &ecs.Deployer{ECS: client, Infof: func(string, ...any) {}}
	o := ecs.Options{Cluster: "main", Services: []ecs.Service{{Name: "api", File: filepath.Join(dir, "api.json")}},
		Images: map[string]string{"api": "acme/api:2"}, Waiting: ecs.Waiting{Wait: true, Timeout: time.Minute, PollInterval: time.Second}}
	return f, d, o
}

func run() error {
	dir, err := os.MkdirTemp("", "bench-ecs")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "api.json"), []byte(td), 0o644); err != nil {
		return err
	}
	ctx := context.Background()

	const poll = 500 * time.Millisecond
	fmt.Printf("ecs-deploy on the fake ECS, poll interval %s\n", poll)
	var worst time.Duration
	for _, at := range []time.Duration{1100 * time.Millisecond, 1300 * time.Millisecond, 1450 * time.Millisecond, 1600 * time.Millisecond, 2000 * time.Millisecond} {
		f, d, o := setup(dir)
		defer f.Close()
		o.PollInterval = poll
		f.Script("api", ecstest.Scenario{Kind: ecstest.FailAt, After: at})
		rep, err := d.Prepare(ctx, o)
		if err != nil {
			return err
		}
		// The deployment is created by UpdateService inside Deploy; FAILED is due `at` after that.
		start := time.Now()
		err = d.Deploy(ctx, o, rep)
		took := time.Since(start)
		if err == nil || rep.Services[0].Status != ecs.StatusFailed {
			return fmt.Errorf("FAILED at %s was not reported: %v", at, err)
		}
		latency := took - at
		worst = max(worst, latency)
		fmt.Printf("  FAILED at %-6s → deploy returned after %-8s: noticed %s later (%.2f poll intervals)\n", at, took.Round(time.Millisecond), latency.Round(time.Millisecond), float64(latency)/float64(poll))
	}
	fmt.Printf("  worst: %s = %.2f poll intervals (goal ≤ 1)\n", worst.Round(time.Millisecond), float64(worst)/float64(poll))

	f, d, o := setup(dir)
	defer f.Close()
	o.PollInterval = 10 * time.Millisecond
	f.Script("api", ecstest.Scenario{Kind: ecstest.Healthy, Ticks: 5})
	rep, err := d.Prepare(ctx, o)
	if err != nil {
		return err
	}
	if err := d.Deploy(ctx, o, rep); err != nil {
		return err
	}
	calls, total := f.Calls()
	var parts []string
	for op, n := range calls {
		parts = append(parts, fmt.Sprintf("%s %d", op, n))
	}
	sort.Strings(parts)
	fmt.Printf("  API calls for one successful deploy (5 polls until COMPLETED): %d (%s)\n", total, strings.Join(parts, ", "))
	fmt.Printf("  fixed cost beyond the polls: %d calls\n", total-calls["DescribeServices"]+1)
	if worst > poll {
		return fmt.Errorf("a FAILED deployment was noticed %s late, more than one poll interval", worst)
	}
	if err := cancelled(ctx, dir); err != nil {
		return err
	}
	return strategies(ctx, dir)
}

// cancelled cancels deploys whose tasks keep crashing while they are waited on (poll interval 2 s,
// the cancel at a random moment of it) and measures when the rollback's UpdateService reaches ECS
// and when Deploy returns (the rollback followed until it completes, one poll later).
func cancelled(ctx context.Context, dir string) error {
	var worstIssued, worstReturned time.Duration
	for i := range 5 {
		f, d, o := setup(dir)
		defer f.Close()
		o.PollInterval, o.RollBackOnFailure = 2*time.Second, true
		f.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 1000}) // 2 tasks, threshold 3: 3 polls
		rep, err := d.Prepare(ctx, o)
		if err != nil {
			return err
		}
		cctx, cancel := context.WithCancel(ctx)
		var at time.Time
		time.AfterFunc(time.Duration(300+i*350)*time.Millisecond, func() { at = time.Now(); cancel() })
		err = d.Deploy(cctx, o, rep)
		returned := time.Since(at)
		cancel()
		updates := f.Requests("UpdateService")
		if err == nil || len(updates) != 2 || rep.Services[0].Status != ecs.StatusRolledBack {
			return fmt.Errorf("a cancelled deploy was not rolled back: %v, %d updates, %+v", err, len(updates), rep.Services[0])
		}
		issued := updates[1].At.Sub(at)
		worstIssued, worstReturned = max(worstIssued, issued), max(worstReturned, returned)
	}
	fmt.Printf("  cancel while waiting (poll interval 2s), worst of 5: rollback issued %s after the cancel, deploy returned after %s (goal ≤ 1s; an action's cancel window is %s)\n",
		worstIssued.Round(time.Millisecond), worstReturned.Round(time.Millisecond), actionkit.CancelWindow)
	if worstIssued > time.Second {
		return fmt.Errorf("the rollback was issued %s after a cancel", worstIssued)
	}
	return nil
}

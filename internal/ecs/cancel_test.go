package ecs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"

	"github.com/slipway-actions/slipway/internal/failure"
)

// cancelWhile cancels the deploy once the fake has answered n DescribeServices while it waits.
func (s *setup) cancelWhile(t *testing.T, o ecs.Options, n int) (rep *ecs.Report, cancelled time.Time, err error) {
	t.Helper()
	rep, err = s.dep.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	before := len(s.fake.Requests("DescribeServices"))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(s.fake.Requests("DescribeServices")) < before+n {
			time.Sleep(time.Millisecond)
		}
		cancelled = time.Now()
		cancel()
	}()
	err = s.dep.Deploy(ctx, o, rep)
	return rep, cancelled, err
}

func TestDeploy_CancelStartsTheRollbackBeforeAnyDiagnostics(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.AddService("big", apiTD, 40) // a threshold of 20 failed tasks: the deploy fails slowly
	o := s.options()
	o.Services[0].Name = "big"
	s.fake.Script("big", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 1000})
	o.PollInterval = 20 * time.Millisecond
	rep, cancelled, err := s.cancelWhile(t, o, 3)
	if err == nil || failure.Of(err) == failure.Checked {
		t.Fatalf("err = %v, want a cancelled run, not a failed deploy", err)
	}
	calls := s.fake.Requests("UpdateService", "ListTasks", "DescribeTasks")
	if len(calls) < 2 || calls[1].Op != "UpdateService" {
		t.Fatalf("calls after the deploy's update: %+v, want the rollback's UpdateService first", calls)
	}
	if took := calls[1].At.Sub(cancelled); took > time.Second {
		t.Errorf("the rollback was issued %s after the cancel", took)
	}
	r := rep.Services[0]
	if r.Status != ecs.StatusRolledBack || !strings.Contains(r.Reason, "cancelled") || len(r.StoppedTasks) == 0 {
		t.Errorf("result = %+v", r)
	}
}

func TestDeploy_CancelGraceBoundsTheRollback(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.NeverHealthy}, ecstest.Scenario{Kind: ecstest.NeverHealthy})
	o := s.options()
	o.PollInterval, o.CancelGrace = 10*time.Millisecond, 300*time.Millisecond
	start := time.Now()
	rep, cancelled, err := s.cancelWhile(t, o, 2)
	if took := time.Since(cancelled); took > time.Second {
		t.Errorf("the run went on %s after the cancel, with a grace of 300ms", took)
	}
	r := rep.Services[0]
	if err == nil || r.Status != ecs.StatusRollbackStarted || !strings.Contains(r.Reason, "rollback to api:1 started") {
		t.Errorf("err = %v, result = %+v (after %s)", err, r, time.Since(start))
	}
}

// After a cancel, a deploy has one grace, counted from the cancel, for all it still does: stopping
// its migration (StopTask first, at once), waiting for the task to stop, deregistering the revisions
// it registered. A task that never reaches STOPPED (on ECS a stop takes the containers' stopTimeout,
// 30 s by default) and a slow DeregisterTaskDefinition per service do not add up past it.
func TestDeploy_CancelledMigrationEndsWithinOneGraceFromTheCancel(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.ScriptMigration(ecstest.Migration{Forever: true, StopTicks: 1 << 30}) // never STOPPED
	s.fake.Slow("DeregisterTaskDefinition", 1500*time.Millisecond)
	o := s.options("api", "worker")
	o.Migration = &ecs.Migration{Container: "api", Command: []string{"migrate"}, Timeout: time.Hour}
	o.PollInterval, o.CancelGrace = 10*time.Millisecond, 1500*time.Millisecond
	rep, err := s.dep.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan time.Time, 1)
	go func() {
		for len(s.fake.Requests("DescribeTasks")) < 2 {
			time.Sleep(time.Millisecond)
		}
		cancelled <- time.Now()
		cancel()
	}()
	err = s.dep.Deploy(ctx, o, rep)
	at := <-cancelled
	if took := time.Since(at); took > o.CancelGrace+500*time.Millisecond {
		t.Errorf("Deploy returned %s after the cancel, with a grace of %s", took.Round(time.Millisecond), o.CancelGrace)
	}
	if err == nil || failure.Of(err) == failure.Checked || !strings.Contains(err.Error(), "the run was cancelled") {
		t.Errorf("err = %v, want a cancelled run", err)
	}
	calls := s.fake.Requests("StopTask", "DeregisterTaskDefinition")
	if len(calls) == 0 || calls[0].Op != "StopTask" || calls[0].At.Sub(at) > 500*time.Millisecond {
		t.Errorf("calls after the cancel: %+v, want StopTask first, at once", calls)
	}
	if m := rep.Migration; m == nil || !strings.Contains(m.Stopped, "still") {
		t.Errorf("migration = %+v, want it stopped and not yet STOPPED", m)
	}
}

// A caller that sets no grace still ends within an action's cancel window, with time for its report.
func TestDefaultCancelGrace_FitsTheCancelWindow(t *testing.T) {
	t.Parallel()
	if ecs.DefaultCancelGrace >= actionkit.CancelWindow {
		t.Errorf("DefaultCancelGrace %s leaves nothing of the cancel window (%s) for the report", ecs.DefaultCancelGrace, actionkit.CancelWindow)
	}
}

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

// cancelOnCall runs deploy with a context cancelled once the fake has the n-th call of op (counted
// from now), and returns when the cancel came.
func (s *setup) cancelOnCall(op string, n int, deploy func(context.Context) error) (cancelled time.Time, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	at := make(chan time.Time, 1)
	reached := s.fake.Reached(op, len(s.fake.Requests(op))+n)
	go func() {
		<-reached
		at <- time.Now()
		cancel()
	}()
	err = deploy(ctx)
	return <-at, err
}

// cancelWhile cancels the deploy once the fake has the n-th DescribeServices of its wait.
func (s *setup) cancelWhile(t *testing.T, o ecs.Options, n int) (rep *ecs.Report, cancelled time.Time, err error) {
	t.Helper()
	rep, err = s.dep.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, err = s.cancelOnCall("DescribeServices", n, func(ctx context.Context) error { return s.dep.Deploy(ctx, o, rep) })
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
	if took := calls[1].At.Sub(cancelled); took > 2*time.Second { // bench/ecs measures it: milliseconds
		t.Errorf("the rollback was issued %s after the cancel", took)
	}
	r := rep.Services[0]
	if r.Status != ecs.StatusRolledBack || !strings.Contains(r.Reason, "cancelled") || len(r.StoppedTasks) == 0 {
		t.Errorf("result = %+v", r)
	}
}

// A rollback that never completes is followed only for the grace after the cancel, not for its
// timeout: the run ends long before the 10 s timeout would end it, the rollback started, not seen
// through.
func TestDeploy_CancelGraceBoundsTheRollback(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.NeverHealthy}, ecstest.Scenario{Kind: ecstest.NeverHealthy})
	o := s.options()
	o.PollInterval, o.CancelGrace = 10*time.Millisecond, time.Second
	rep, cancelled, err := s.cancelWhile(t, o, 2)
	if took := time.Since(cancelled); took > o.CancelGrace+3*time.Second || took >= o.Timeout {
		t.Errorf("the run went on %s after the cancel, with a grace of %s and a timeout of %s", took, o.CancelGrace, o.Timeout)
	}
	r := rep.Services[0]
	if err == nil || r.Status != ecs.StatusRollbackStarted || !strings.Contains(r.Reason, "rollback to api:1 started") {
		t.Errorf("err = %v, result = %+v", err, r)
	}
	if n := s.fake.Updates(); n != 2 {
		t.Errorf("%d UpdateService calls, want the deploy's and the rollback's", n)
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
	s.fake.Slow("DeregisterTaskDefinition", 4*time.Second)                       // one alone outlasts the grace
	o := s.options("api", "worker")
	o.Migration = &ecs.Migration{Container: "api", Command: []string{"migrate"}, Timeout: time.Hour}
	o.PollInterval, o.CancelGrace = 10*time.Millisecond, 1500*time.Millisecond
	rep, err := s.dep.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	at, err := s.cancelOnCall("DescribeTasks", 2, func(ctx context.Context) error { return s.dep.Deploy(ctx, o, rep) })
	if took := time.Since(at); took > o.CancelGrace+time.Second+500*time.Millisecond {
		t.Errorf("Deploy returned %s after the cancel, with a grace of %s", took.Round(time.Millisecond), o.CancelGrace)
	}
	if err == nil || failure.Of(err) == failure.Checked || !strings.Contains(err.Error(), "the run was cancelled") {
		t.Errorf("err = %v, want a cancelled run", err)
	}
	calls := s.fake.Requests("StopTask", "DeregisterTaskDefinition")
	if len(calls) == 0 || calls[0].Op != "StopTask" || calls[0].At.Sub(at) > time.Second {
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

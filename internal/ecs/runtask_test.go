package ecs_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
	"github.com/slipway-actions/slipway/internal/failure"
)

func runTask(when string, command ...string) *ecs.RunTask {
	return &ecs.RunTask{Container: "api", Command: command, Timeout: time.Minute, When: when}
}

// A run-task after the deploy runs once every service completed, on the new revision, and its
// exit code and log are reported.
func TestDeploy_RunTaskAfterTheDeployExits0(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.ScriptMigration(ecstest.Migration{Ticks: 2, ExitCode: new(0), Log: []string{"cache warmed"}})
	o := s.options()
	o.RunTask = runTask(ecs.RunAfter, "python", "manage.py", "warm_cache")
	rep, err := s.deploy(t, o)
	if err != nil {
		t.Fatal(err)
	}
	rt := rep.RunTask
	if rt == nil || rt.ExitCode == nil || *rt.ExitCode != 0 || !slices.Equal(rt.Log, []string{"cache warmed"}) {
		t.Fatalf("run-task result = %+v", rt)
	}
	calls := s.fake.Requests("UpdateService", "RunTask")
	if len(calls) != 2 || calls[0].Op != "UpdateService" || calls[1].Op != "RunTask" {
		t.Errorf("calls = %+v, want the update before the task", calls)
	}
	run := s.fake.RunTasks()[0]
	if run.TaskDefinition != rep.Services[0].TaskDefinitionARN || run.StartedBy != "slipway-run-task" || !slices.Equal(run.Commands["api"], o.RunTask.Command) {
		t.Errorf("RunTask = %+v", run)
	}
	if !strings.Contains(s.events.String(), "run-task: cache warmed") {
		t.Errorf("log not printed: %s", s.events)
	}
}

// A run-task after the deploy that exits non-zero fails the deploy (exit 1), and the services are
// rolled back with rollback-on-failure.
func TestDeploy_RunTaskAfterThatExitsNonZeroFailsAndRollsBack(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.ScriptMigration(ecstest.Migration{Ticks: 1, ExitCode: new(3)})
	o := s.options()
	o.RunTask = runTask(ecs.RunAfter, "smoke-test")
	rep, err := s.deploy(t, o)
	if failure.Of(err) != failure.Checked || !strings.Contains(err.Error(), "run-task container api exited 3") {
		t.Fatalf("err = %v, want a failed deploy naming the exit code", err)
	}
	if r := rep.Services[0]; r.Status != ecs.StatusRolledBack {
		t.Errorf("service = %+v, want rolled back", r)
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != s.previous["api"] {
		t.Errorf("service runs %s, want %s", got, s.previous["api"])
	}
}

// A run-task before the deploy that exits non-zero updates no service, as the migration does.
func TestDeploy_RunTaskBeforeThatExitsNonZeroUpdatesNothing(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.ScriptMigration(ecstest.Migration{Ticks: 1, ExitCode: new(1)})
	o := s.options()
	o.RunTask = runTask(ecs.RunBefore, "check")
	rep, err := s.deploy(t, o)
	if failure.Of(err) != failure.Checked || !strings.Contains(err.Error(), "run-task failed, no service was updated: container api exited 1") {
		t.Fatalf("err = %v", err)
	}
	if n := s.fake.Updates(); n != 0 || *rep.RunTask.ExitCode != 1 {
		t.Errorf("%d updates, run-task %+v", n, rep.RunTask)
	}
	if revs := s.fake.ActiveRevisions("api"); len(revs) != 1 {
		t.Errorf("active api revisions = %v, want the new one deregistered", revs)
	}
}

// A run-task that outlives its timeout is stopped and followed until STOPPED.
func TestDeploy_RunTaskThatOutlivesItsTimeoutIsStopped(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.ScriptMigration(ecstest.Migration{Forever: true})
	o := s.options()
	o.RunTask = runTask(ecs.RunAlone, "loop")
	o.RunTask.Timeout = 50 * time.Millisecond
	o.PollInterval = 5 * time.Millisecond
	rep, err := s.deploy(t, o)
	if failure.Of(err) != failure.Checked || !strings.Contains(err.Error(), "did not finish within run-task-timeout 50ms; stopped, container api exited 143") {
		t.Fatalf("err = %v", err)
	}
	if stops := s.fake.Requests("StopTask"); len(stops) != 1 || !strings.Contains(stops[0].Input["reason"].(string), "run-task-timeout") {
		t.Errorf("StopTask = %+v", stops)
	}
	if rep.RunTask.Status != "STOPPED" {
		t.Errorf("run-task = %+v", rep.RunTask)
	}
}

// run-task-when: alone is a one-off task of the service's new revision: no service is updated.
func TestDeploy_RunTaskAloneUpdatesNoService(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	o := s.options()
	o.RunTask = runTask(ecs.RunAlone, "python", "manage.py", "createsuperuser", "--noinput")
	rep, err := s.deploy(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.fake.Updates(); n != 0 || len(s.fake.RunTasks()) != 1 || *rep.RunTask.ExitCode != 0 {
		t.Errorf("%d updates, run tasks %+v", n, s.fake.RunTasks())
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != s.previous["api"] {
		t.Errorf("service moved to %s", got)
	}
}

func TestPrepare_RunTaskBadCombinationsAreBadInputAllAtOnce(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	o := s.options("api", "worker")
	o.RunTask = &ecs.RunTask{Container: "nope", Command: []string{"x"}, When: ecs.RunAlone}
	o.Migration = &ecs.Migration{Container: "api", Command: []string{"migrate"}, Timeout: time.Minute}
	_, err := s.dep.Prepare(context.Background(), o)
	if failure.Of(err) != failure.Input {
		t.Fatalf("err = %v, want bad input", err)
	}
	for _, want := range []string{"run-task timeout must be more than 0", "give one service", "no deploy for the migration", `run-task-container "nope"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
	o = s.options()
	o.Wait = false
	o.RunTask = runTask(ecs.RunAfter, "x")
	if _, err := s.dep.Prepare(context.Background(), o); failure.Of(err) != failure.Input || !strings.Contains(err.Error(), "wait: true") {
		t.Errorf("after without wait: err = %v", err)
	}
	if len(s.fake.Requests("RegisterTaskDefinition")) != 0 {
		t.Errorf("something was registered")
	}
}

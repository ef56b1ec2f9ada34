package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/slipway-actions/slipway/internal/failure"
)

// stopWait bounds the wait for a stopped migration task to reach STOPPED: ECS gives its containers
// their stopTimeout after SIGTERM (30 s by default, at most 120 s on Fargate), then deprovisions it.
const stopWait = 3 * time.Minute

// MigrationResult is what the migration task did.
type MigrationResult struct {
	TaskARN  string
	ExitCode *int   // the migration container's; nil when it has none (never started, or not stopped yet)
	Status   string // the task's last status as last read
	Stopped  string // why slipway stopped it ("" when it ended by itself)
	Reason   string
	Log      []string
	Took     time.Duration

	failure fault
}

// errNotStopped is a task that did not reach STOPPED within the time it was given.
var errNotStopped = errors.New("not STOPPED")

// migrate runs the migration as a one-off task of the first service's new task definition, on
// that service's network and capacity, waits for it to stop (the SDK's TasksStopped waiter) and
// checks the container's exit code. A task that outlives Migration.Timeout, or a run cancelled
// meanwhile, is stopped with StopTask and a reason, and followed until it is STOPPED (bounded):
// nothing of a failed migration is left running. On failure no service is updated and the new
// revisions are deregistered again.
func (d *Deployer) migrate(ctx context.Context, o Options, rep *Report) (*MigrationResult, error) {
	start := time.Now()
	first := rep.Services[0]
	svc := rep.described[first.Service]
	mig := o.Migration
	in := &ecs.RunTaskInput{
		Cluster:              aws.String(o.Cluster),
		TaskDefinition:       aws.String(first.TaskDefinitionARN),
		StartedBy:            aws.String("slipway-migration"),
		NetworkConfiguration: svc.NetworkConfiguration,
		PlatformVersion:      svc.PlatformVersion,
		Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{
			{Name: aws.String(mig.Container), Command: mig.Command},
		}},
	}
	if len(svc.CapacityProviderStrategy) > 0 {
		in.CapacityProviderStrategy = svc.CapacityProviderStrategy
	} else {
		in.LaunchType = svc.LaunchType
	}
	m := &MigrationResult{}
	fail := func(f fault, format string, args ...any) (*MigrationResult, error) {
		m.failure, m.Reason, m.Took = f, fmt.Sprintf(format, args...), time.Since(start)
		d.deregisterNew(o, rep)
		err := fmt.Errorf("migration failed, no service was updated: %s", m.Reason)
		if f == judged {
			return m, failure.Failed(err)
		}
		return m, err
	}
	d.Infof("running the migration: %s in %s (migration-timeout %s)", strings.Join(mig.Command, " "), mig.Container, mig.Timeout)
	out, err := d.ECS.RunTask(ctx, in)
	if err != nil {
		return fail(unreadable, "run task: %v", err)
	}
	if len(out.Tasks) == 0 {
		var why []string
		for _, f := range out.Failures {
			why = append(why, aws.ToString(f.Reason)+" "+aws.ToString(f.Detail))
		}
		return fail(unreadable, "ECS started no task: %s", strings.Join(why, "; "))
	}
	m.TaskARN = aws.ToString(out.Tasks[0].TaskArn)
	task, err := d.waitStopped(ctx, o.Cluster, m.TaskARN, o.PollInterval, mig.Timeout)
	if err != nil {
		why, f := fmt.Sprintf("it did not finish within migration-timeout %s", mig.Timeout), judged
		switch {
		case wasCancelled(ctx):
			why, f = "the run was cancelled", interrupted
		case !errors.Is(err, errNotStopped):
			why, f = "its status could not be read: "+err.Error(), unreadable
		}
		d.stopMigration(o, m, why)
		if hasTime(ctx, diagnosticsTime) {
			m.Log = d.migrationLog(ctx, first, mig.Container, m.TaskARN)
		}
		return fail(f, "task %s: %s; %s", lastPart(m.TaskARN), why, m.outcome(mig.Container))
	}
	m.record(*task, mig.Container)
	m.Log = d.migrationLog(ctx, first, mig.Container, m.TaskARN)
	switch {
	case m.ExitCode == nil:
		return fail(judged, "container %s has no exit code: %s", mig.Container, aws.ToString(task.StoppedReason)+reasonSuffix(exits(*task)))
	case *m.ExitCode != 0:
		return fail(judged, "container %s exited %d (%s)", mig.Container, *m.ExitCode, aws.ToString(task.StoppedReason))
	}
	m.Took = time.Since(start)
	d.Infof("migration exited 0 in %s", m.Took.Round(time.Second))
	return m, nil
}

// waitStopped follows a task with the SDK's TasksStopped waiter until it is STOPPED, for at most
// limit. It returns errNotStopped when limit passes, ctx's error when ctx ends, and the error of
// DescribeTasks when ECS cannot be read.
func (d *Deployer) waitStopped(ctx context.Context, cluster, taskARN string, poll, limit time.Duration) (*types.Task, error) {
	var readErr error
	waiter := ecs.NewTasksStoppedWaiter(d.ECS, func(w *ecs.TasksStoppedWaiterOptions) {
		w.MinDelay, w.MaxDelay = poll, poll
		stopped := w.Retryable
		w.Retryable = func(ctx context.Context, in *ecs.DescribeTasksInput, out *ecs.DescribeTasksOutput, err error) (bool, error) {
			readErr = err
			return stopped(ctx, in, out, err)
		}
	})
	out, err := waiter.WaitForOutput(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{taskARN}}, limit)
	switch {
	case err == nil:
		return &out.Tasks[0], nil
	case ctx.Err() != nil:
		return nil, context.Cause(ctx)
	case readErr != nil && !errors.Is(readErr, context.DeadlineExceeded):
		return nil, readErr
	}
	return nil, fmt.Errorf("task %s: %w after %s", lastPart(taskARN), errNotStopped, limit)
}

// stopMigration stops the migration task with StopTask and a reason, on its own context (it must
// happen after a cancel too, within the run's cancel window), and waits, bounded, until it is
// STOPPED. After a cancel the wait leaves deregisterReserve of the window to deregistering.
func (d *Deployer) stopMigration(o Options, m *MigrationResult, why string) {
	ctx, cancel := o.window.detached(stopWait, 0)
	defer cancel()
	m.Stopped = "slipway ecs-deploy stopped the migration: " + why
	d.Infof("stopping the migration task %s: %s", lastPart(m.TaskARN), why)
	out, err := d.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(o.Cluster), Task: aws.String(m.TaskARN), Reason: aws.String(truncate(m.Stopped, 255))})
	if err != nil {
		m.Stopped += fmt.Sprintf("; StopTask failed (%v): stop task %s by hand", err, m.TaskARN)
		return
	}
	m.Status = aws.ToString(out.Task.LastStatus)
	wctx, cancelWait := o.window.detached(stopWait, deregisterReserve)
	defer cancelWait()
	task, err := d.waitStopped(wctx, o.Cluster, m.TaskARN, o.PollInterval, stopWait)
	if err != nil {
		m.Stopped += fmt.Sprintf("; still %s when slipway stopped waiting (%v)", m.Status, err)
		return
	}
	m.record(*task, o.Migration.Container)
	d.Infof("the migration task %s is STOPPED (%s)", lastPart(m.TaskARN), m.outcome(o.Migration.Container))
}

// record keeps what a task read from ECS says: its status and the container's exit code.
func (m *MigrationResult) record(t types.Task, container string) {
	m.Status = aws.ToString(t.LastStatus)
	for _, c := range t.Containers {
		if aws.ToString(c.Name) == container && c.ExitCode != nil {
			m.ExitCode = aws.Int(int(*c.ExitCode))
		}
	}
}

// outcome says how the migration task ended, as far as it is known.
func (m *MigrationResult) outcome(container string) string {
	switch {
	case m.ExitCode != nil:
		return fmt.Sprintf("stopped, container %s exited %d", container, *m.ExitCode)
	case m.Status != "":
		return "task " + m.Status + ", no exit code yet"
	}
	return "no exit code"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// migrationLog reads the last lines of the migration container's log when it logs to CloudWatch
// (awslogs driver with a stream prefix: the stream is prefix/container/task-id).
func (d *Deployer) migrationLog(ctx context.Context, r *ServiceResult, container, taskARN string) []string {
	if d.Logs == nil {
		return nil
	}
	for _, c := range r.next.ContainerDefinitions {
		lc := c.LogConfiguration
		if aws.ToString(c.Name) != container || lc == nil || lc.LogDriver != types.LogDriverAwslogs {
			continue
		}
		group, prefix := lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"]
		if group == "" || prefix == "" {
			return nil
		}
		out, err := d.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  aws.String(group),
			LogStreamName: aws.String(prefix + "/" + container + "/" + lastPart(taskARN)),
			Limit:         aws.Int32(50),
			StartFromHead: aws.Bool(false),
		})
		if err != nil {
			d.Infof("could not read the migration log from %s: %v", group, err)
			return nil
		}
		var lines []string
		for _, e := range out.Events {
			lines = append(lines, aws.ToString(e.Message))
			d.untrusted("migration: %s", aws.ToString(e.Message))
		}
		return lines
	}
	return nil
}

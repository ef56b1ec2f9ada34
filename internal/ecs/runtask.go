package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/slipway-actions/slipway/internal/failure"
)

// stopWait bounds the wait for a stopped one-off task to reach STOPPED: ECS gives its containers
// their stopTimeout after SIGTERM (30 s by default, at most 120 s on Fargate), then deprovisions it.
const stopWait = 3 * time.Minute

// When a one-off task (Options.RunTask) runs.
const (
	RunBefore = "before" // after registering, before any service is updated; a failure updates none
	RunAfter  = "after"  // once every service's deployment completed; a failure is a failed deploy
	RunAlone  = "alone"  // instead of a deploy: the service's new revision is registered, no service is updated
)

// RunTask is a one-off task of a service's new revision, on that service's network and capacity:
// a management command, a smoke test, a data fix. The migration is one (RunBefore).
type RunTask struct {
	Service   string // whose revision and network; "" is the first service
	Container string
	Command   []string
	Timeout   time.Duration // how long the task may run; then it is stopped and the run fails
	When      string        // RunBefore, RunAfter or RunAlone
}

// TaskResult is what a one-off task did.
type TaskResult struct {
	TaskARN  string
	ExitCode *int   // the container's; nil when it has none (never started, or not stopped yet)
	Status   string // the task's last status as last read
	Stopped  string // why slipway stopped it ("" when it ended by itself)
	Reason   string
	Log      []string
	Took     time.Duration

	failure fault
}

// MigrationResult is what the migration task did.
type MigrationResult = TaskResult

// errNotStopped is a task that did not reach STOPPED within the time it was given.
var errNotStopped = errors.New("not STOPPED")

// oneOff is one one-off task to run and how to speak of it.
type oneOff struct {
	name      string // "migration", "run-task": in messages and the log's prefix
	timeout   string // the input that bounds it, for messages
	startedBy string
	service   *ServiceResult
	container string
	command   []string
	limit     time.Duration
}

func (t oneOff) label() string {
	if t.name == "migration" {
		return "the migration"
	}
	return "the one-off task (" + t.name + ")"
}

// runOneOff runs t as a one-off task of its service's new task definition, on that service's
// network and capacity, waits for it to stop (the SDK's TasksStopped waiter) and checks the
// container's exit code. A task that outlives its limit, or a run cancelled meanwhile, is stopped
// with StopTask and a reason, and followed until it is STOPPED (bounded): nothing of a failed
// task is left running. The error says why it failed; the caller decides what that undoes.
func (d *Deployer) runOneOff(ctx context.Context, o Options, rep *Report, t oneOff) (*TaskResult, error) {
	start := time.Now()
	svc := rep.described[t.service.Service]
	in := &ecs.RunTaskInput{
		Cluster:              aws.String(o.Cluster),
		TaskDefinition:       aws.String(t.service.TaskDefinitionARN),
		StartedBy:            aws.String(t.startedBy),
		NetworkConfiguration: svc.NetworkConfiguration,
		PlatformVersion:      svc.PlatformVersion,
		Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{
			{Name: aws.String(t.container), Command: t.command},
		}},
	}
	if len(svc.CapacityProviderStrategy) > 0 {
		in.CapacityProviderStrategy = svc.CapacityProviderStrategy
	} else {
		in.LaunchType = svc.LaunchType
	}
	m := &TaskResult{}
	fail := func(f fault, format string, args ...any) (*TaskResult, error) {
		m.failure, m.Reason, m.Took = f, fmt.Sprintf(format, args...), time.Since(start)
		return m, errors.New(m.Reason)
	}
	d.Infof("running %s: %s in %s (%s %s)", t.label(), strings.Join(t.command, " "), t.container, t.timeout, t.limit)
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
	task, err := d.waitStopped(ctx, o.Cluster, m.TaskARN, o.PollInterval, t.limit)
	if err != nil {
		why, f := fmt.Sprintf("it did not finish within %s %s", t.timeout, t.limit), judged
		switch {
		case wasCancelled(ctx):
			why, f = "the run was cancelled", interrupted
		case !errors.Is(err, errNotStopped):
			why, f = "its status could not be read: "+err.Error(), unreadable
		}
		d.stopOneOff(o, t, m, why)
		if hasTime(ctx, diagnosticsTime) {
			m.Log = d.taskLog(ctx, t, m.TaskARN)
		}
		return fail(f, "task %s: %s; %s", lastPart(m.TaskARN), why, m.outcome(t.container))
	}
	m.record(*task, t.container)
	m.Log = d.taskLog(ctx, t, m.TaskARN)
	switch {
	case m.ExitCode == nil:
		return fail(judged, "container %s has no exit code: %s", t.container, aws.ToString(task.StoppedReason)+reasonSuffix(exits(*task)))
	case *m.ExitCode != 0:
		return fail(judged, "container %s exited %d (%s)", t.container, *m.ExitCode, aws.ToString(task.StoppedReason))
	}
	m.Took = time.Since(start)
	d.Infof("%s exited 0 in %s", t.name, m.Took.Round(time.Second))
	return m, nil
}

// runTask runs o.RunTask and says what its failure means for the run: before a deploy nothing is
// updated and the new revisions are deregistered again; after it, the deploy failed.
func (d *Deployer) runTask(ctx context.Context, o Options, rep *Report) error {
	rt := o.RunTask
	t := oneOff{name: "run-task", timeout: "run-task-timeout", startedBy: "slipway-run-task", service: rep.service(rt.Service),
		container: rt.Container, command: rt.Command, limit: rt.Timeout}
	res, err := d.runOneOff(ctx, o, rep, t)
	rep.RunTask = res
	if err == nil {
		return nil
	}
	if rt.When == RunBefore {
		d.deregisterNew(o, rep)
		err = fmt.Errorf("run-task failed, no service was updated: %w", err)
	} else {
		err = fmt.Errorf("run-task (%s) failed: %w", rt.When, err)
	}
	if res.failure == judged {
		return failure.Failed(err)
	}
	return err
}

// service is the result of the named service, the first one when name is "".
func (r *Report) service(name string) *ServiceResult {
	if i := slices.IndexFunc(r.Services, func(s *ServiceResult) bool { return s.Service == name }); i >= 0 {
		return r.Services[i]
	}
	return r.Services[0]
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

// stopOneOff stops the task with StopTask and a reason, on its own context (it must happen after
// a cancel too, within the run's cancel window), and waits, bounded, until it is STOPPED. After a
// cancel the wait leaves deregisterReserve of the window to deregistering.
func (d *Deployer) stopOneOff(o Options, t oneOff, m *TaskResult, why string) {
	ctx, cancel := o.window.detached(stopWait, 0)
	defer cancel()
	m.Stopped = "slipway ecs-deploy stopped " + t.label() + ": " + why
	d.Infof("stopping the %s task %s: %s", t.name, lastPart(m.TaskARN), why)
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
	m.record(*task, t.container)
	d.Infof("the %s task %s is STOPPED (%s)", t.name, lastPart(m.TaskARN), m.outcome(t.container))
}

// record keeps what a task read from ECS says: its status and the container's exit code.
func (m *TaskResult) record(t types.Task, container string) {
	m.Status = aws.ToString(t.LastStatus)
	for _, c := range t.Containers {
		if aws.ToString(c.Name) == container && c.ExitCode != nil {
			m.ExitCode = aws.Int(int(*c.ExitCode))
		}
	}
}

// outcome says how the task ended, as far as it is known.
func (m *TaskResult) outcome(container string) string {
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

// taskLog reads the last lines of the task container's log when it logs to CloudWatch (awslogs
// driver with a stream prefix: the stream is prefix/container/task-id).
func (d *Deployer) taskLog(ctx context.Context, t oneOff, taskARN string) []string {
	if d.Logs == nil {
		return nil
	}
	for _, c := range t.service.next.ContainerDefinitions {
		lc := c.LogConfiguration
		if aws.ToString(c.Name) != t.container || lc == nil || lc.LogDriver != types.LogDriverAwslogs {
			continue
		}
		group, prefix := lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"]
		if group == "" || prefix == "" {
			return nil
		}
		out, err := d.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName:  aws.String(group),
			LogStreamName: aws.String(prefix + "/" + t.container + "/" + lastPart(taskARN)),
			Limit:         aws.Int32(50),
			StartFromHead: aws.Bool(false),
		})
		if err != nil {
			d.Infof("could not read the %s log from %s: %v", t.name, group, err)
			return nil
		}
		var lines []string
		for _, e := range out.Events {
			lines = append(lines, aws.ToString(e.Message))
			d.untrusted("%s: %s", t.name, aws.ToString(e.Message))
		}
		return lines
	}
	return nil
}

// checkRunTask checks o.RunTask against the services: when it runs, whose revision, which container.
func (o Options) checkRunTask(rep *Report) []error {
	rt := o.RunTask
	if rt == nil {
		return nil
	}
	var errs []error
	if rt.Timeout <= 0 {
		errs = append(errs, errors.New("the run-task timeout must be more than 0"))
	}
	switch rt.When {
	case RunBefore:
	case RunAfter:
		if !o.Wait {
			errs = append(errs, errors.New("run-task-when: after runs once the deploy is known to work, which needs wait: true"))
		}
	case RunAlone:
		if len(o.Services) > 1 {
			errs = append(errs, errors.New("run-task-when: alone runs one task of one service's revision and updates no service: give one service"))
		}
		if o.Migration != nil {
			errs = append(errs, errors.New("run-task-when: alone updates no service, so there is no deploy for the migration to go before"))
		}
	default:
		errs = append(errs, fmt.Errorf("run-task-when %q is not one of before, after, alone", rt.When))
	}
	if len(rep.Services) == 0 {
		return errs
	}
	if rt.Service != "" && !slices.ContainsFunc(rep.Services, func(s *ServiceResult) bool { return s.Service == rt.Service }) {
		return append(errs, fmt.Errorf("run-task-service %q is not one of the services", rt.Service))
	}
	if r := rep.service(rt.Service); r.next != nil && !slices.Contains(Containers(r.next), rt.Container) {
		errs = append(errs, fmt.Errorf("run-task-container %q is not a container of service %s's task definition", rt.Container, r.Service))
	}
	return errs
}

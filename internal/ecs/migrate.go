package ecs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// MigrationResult is what the migration task did.
type MigrationResult struct {
	TaskARN  string
	ExitCode int
	Reason   string
	Log      []string
	Took     time.Duration
}

// migrate runs the migration as a one-off task of the first service's new task definition, on
// that service's network and capacity, waits for it to stop (the SDK's TasksStopped waiter) and
// checks the container's exit code. On failure no service is updated and the new revisions are
// deregistered again.
func (d *Deployer) migrate(ctx context.Context, o Options, rep *Report) (*MigrationResult, error) {
	start := time.Now()
	first := rep.Services[0]
	svc := rep.described[first.Service]
	in := &ecs.RunTaskInput{
		Cluster:              aws.String(o.Cluster),
		TaskDefinition:       aws.String(first.TaskDefinitionARN),
		StartedBy:            aws.String("slipway-migration"),
		NetworkConfiguration: svc.NetworkConfiguration,
		PlatformVersion:      svc.PlatformVersion,
		Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{
			{Name: aws.String(o.Migration.Container), Command: o.Migration.Command},
		}},
	}
	if len(svc.CapacityProviderStrategy) > 0 {
		in.CapacityProviderStrategy = svc.CapacityProviderStrategy
	} else {
		in.LaunchType = svc.LaunchType
	}
	m := &MigrationResult{ExitCode: -1}
	fail := func(format string, args ...any) (*MigrationResult, error) {
		m.Reason = fmt.Sprintf(format, args...)
		m.Took = time.Since(start)
		d.deregisterNew(ctx, rep)
		return m, fmt.Errorf("migration failed, no service was updated: %s", m.Reason)
	}
	d.Infof("running the migration: %s in %s", strings.Join(o.Migration.Command, " "), o.Migration.Container)
	out, err := d.ECS.RunTask(ctx, in)
	if err != nil {
		return fail("run task: %v", err)
	}
	if len(out.Tasks) == 0 {
		var why []string
		for _, f := range out.Failures {
			why = append(why, aws.ToString(f.Reason)+" "+aws.ToString(f.Detail))
		}
		return fail("ECS started no task: %s", strings.Join(why, "; "))
	}
	m.TaskARN = aws.ToString(out.Tasks[0].TaskArn)
	waiter := ecs.NewTasksStoppedWaiter(d.ECS, func(w *ecs.TasksStoppedWaiterOptions) {
		w.MinDelay, w.MaxDelay = o.PollInterval, o.PollInterval
	})
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = time.Hour
	}
	desc, err := waiter.WaitForOutput(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(o.Cluster), Tasks: []string{m.TaskARN}}, timeout)
	if err != nil {
		return fail("task %s did not stop: %v", lastPart(m.TaskARN), err)
	}
	task := desc.Tasks[0]
	m.Log = d.migrationLog(ctx, first, o.Migration.Container, m.TaskARN)
	for _, c := range task.Containers {
		if aws.ToString(c.Name) != o.Migration.Container {
			continue
		}
		if c.ExitCode == nil {
			return fail("container %s has no exit code: %s %s", o.Migration.Container, aws.ToString(task.StoppedReason), aws.ToString(c.Reason))
		}
		m.ExitCode = int(*c.ExitCode)
	}
	if m.ExitCode != 0 {
		return fail("container %s exited %d (%s)", o.Migration.Container, m.ExitCode, aws.ToString(task.StoppedReason))
	}
	m.Took = time.Since(start)
	d.Infof("migration exited 0 in %s", m.Took.Round(time.Second))
	return m, nil
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

// deregisterNew deregisters the revisions this run registered when no service uses them.
func (d *Deployer) deregisterNew(ctx context.Context, rep *Report) {
	ctx = context.WithoutCancel(ctx)
	for _, r := range rep.Services {
		if r.TaskDefinitionARN == "" {
			continue
		}
		if _, err := d.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(r.TaskDefinitionARN)}); err == nil {
			d.Infof("deregistered %s again", r.TaskDefinitionARN)
		}
	}
}

package ecs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// diagnosticsBound bounds reading one service's stopped tasks.
const diagnosticsBound = 30 * time.Second

// diagnose says why the tasks of each failed deployment of ws stopped, while time remains: after a
// cancel it runs only when the rollback is under way and at least diagnosticsTime is left.
func (d *Deployer) diagnose(ctx context.Context, cluster string, ws []*watch) {
	for _, w := range ws {
		if !w.done || w.ok || w.failure == unreadable {
			continue
		}
		if !hasTime(ctx, diagnosticsTime) {
			d.Infof("not reading why %s's tasks stopped: no time left", w.r.Service)
			return
		}
		w.r.StoppedTasks = d.stoppedTasks(ctx, cluster, w.r.Service, w.arn)
	}
}

// stoppedTasks says why the deployment's tasks stopped: the stop reason and each container's exit
// code, for the most recent few.
func (d *Deployer) stoppedTasks(ctx context.Context, cluster, service, arn string) []string {
	ctx, cancel := context.WithTimeout(ctx, diagnosticsBound)
	defer cancel()
	list, err := d.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: types.DesiredStatusStopped})
	if err != nil || len(list.TaskArns) == 0 {
		return nil
	}
	out, err := d.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns[:min(len(list.TaskArns), 100)]})
	if err != nil {
		return nil
	}
	var lines []string
	for _, t := range out.Tasks {
		if arn != "" && aws.ToString(t.TaskDefinitionArn) != arn {
			continue
		}
		line := fmt.Sprintf("task %s: %s", lastPart(aws.ToString(t.TaskArn)), aws.ToString(t.StoppedReason))
		if cs := exits(t); cs != "" {
			line += "; " + cs
		}
		lines = append(lines, line)
		if len(lines) == 5 {
			break
		}
	}
	for _, l := range lines {
		d.untrusted("%s: stopped %s", service, l)
	}
	return lines
}

// exits lists each container of a stopped task with its exit code and reason.
func exits(t types.Task) string {
	var cs []string
	for _, c := range t.Containers {
		s := aws.ToString(c.Name)
		if c.ExitCode != nil {
			s += fmt.Sprintf(" exited %d", *c.ExitCode)
		}
		if c.Reason != nil {
			s += " (" + aws.ToString(c.Reason) + ")"
		}
		cs = append(cs, s)
	}
	return strings.Join(cs, ", ")
}

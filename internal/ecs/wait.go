package ecs

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// watch is one deployment being followed: the new one, or a rollback's.
type watch struct {
	r        *ServiceResult
	id       string // deployment id
	arn      string // its task definition
	rollback bool
	done     bool
	ok       bool
	reason   string
	progress string
	shown    string // the progress last printed
}

// FailureThreshold is how many failed tasks fail a deployment, as ECS's circuit breaker counts
// them: half the desired count, at least 3 and at most 200.
func FailureThreshold(desired int32) int32 {
	return min(max(int32(math.Ceil(float64(desired)/2)), 3), 200)
}

// wait polls the services of ws (one DescribeServices call per poll for all of them) until each
// deployment is known to have completed or failed, or the timeout passes. The SDK's
// ServicesStable waiter does not fit: it does not know which deployment is ours, cannot tell a
// superseded deployment from a finished one, and shows no events.
func (d *Deployer) wait(ctx context.Context, o Options, ws []*watch) {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	start := time.Now()
	seen := map[string]bool{}
	ticker := time.NewTicker(o.PollInterval)
	defer ticker.Stop()
	failures := 0
	for {
		var names []string
		byName := map[string]*watch{}
		for _, w := range ws {
			if !w.done {
				names = append(names, w.r.Service)
				byName[w.r.Service] = w
			}
		}
		if len(names) == 0 {
			return
		}
		for i := 0; i < len(names); i += 10 {
			out, err := d.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(o.Cluster), Services: names[i:min(i+10, len(names))]})
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				// The SDK's retryer has retried already; three polls in a row failing ends the wait.
				if failures++; failures >= 3 {
					for _, w := range byName {
						w.done, w.reason = true, "cannot read the service: "+err.Error()
					}
				}
				continue
			}
			failures = 0
			for _, svc := range out.Services {
				w := byName[aws.ToString(svc.ServiceName)]
				if w == nil {
					continue
				}
				d.events(svc, start, seen)
				judge(w, svc)
				if w.progress != w.shown && !w.done {
					w.shown = w.progress
					what := "deployment"
					if w.rollback {
						what = "rollback"
					}
					d.Infof("waiting for %s %s: %s (%s)", w.r.Service, what, w.progress, time.Since(start).Round(time.Second))
				}
				if w.done && !w.ok {
					w.r.StoppedTasks = d.stoppedTasks(context.WithoutCancel(ctx), o.Cluster, w.r.Service, w.arn)
				}
			}
		}
		if allDone(ws) {
			return
		}
		select {
		case <-ctx.Done():
			for _, w := range ws {
				if !w.done {
					w.done = true
					w.reason = fmt.Sprintf("not complete after %s (%s)", o.Timeout, w.progress)
					if ctx.Err() == context.Canceled {
						w.reason = "the run was cancelled while waiting (" + w.progress + ")"
					}
					w.r.StoppedTasks = d.stoppedTasks(context.WithoutCancel(ctx), o.Cluster, w.r.Service, w.arn)
				}
			}
			return
		case <-ticker.C:
		}
	}
}

func allDone(ws []*watch) bool {
	for _, w := range ws {
		if !w.done {
			return false
		}
	}
	return true
}

// judge decides, from one DescribeServices answer, whether w's deployment is done and how.
func judge(w *watch, svc types.Service) {
	if w.id == "" {
		// UpdateService's answer did not show the new deployment yet (moto never does): find it.
		for _, d := range svc.Deployments {
			if aws.ToString(d.Status) == "PRIMARY" && aws.ToString(d.TaskDefinition) == w.arn {
				w.id = aws.ToString(d.Id)
				if !w.rollback {
					w.r.DeploymentID = w.id
				}
			}
		}
		if w.id == "" {
			w.progress = "no deployment of " + lastPart(w.arn) + " has started"
			return
		}
	}
	var dep *types.Deployment
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Id) == w.id {
			dep = &svc.Deployments[i]
		}
	}
	fail := func(reason string) { w.done, w.ok, w.reason = true, false, reason }
	if dep == nil {
		fail(fmt.Sprintf("deployment %s is gone from the service (replaced or rolled back by ECS)", w.id))
		return
	}
	if s := aws.ToString(dep.Status); s != "PRIMARY" {
		by := ""
		for _, other := range svc.Deployments {
			if aws.ToString(other.Status) == "PRIMARY" {
				by = fmt.Sprintf(" by deployment %s (%s)", aws.ToString(other.Id), aws.ToString(other.TaskDefinition))
			}
		}
		fail("superseded" + by + ": another deploy started")
		w.r.superseded = true
		return
	}
	w.progress = fmt.Sprintf("%d/%d tasks running, %d pending, %d failed", dep.RunningCount, dep.DesiredCount, dep.PendingCount, dep.FailedTasks)
	if dep.RolloutState != "" {
		w.progress += ", rollout " + string(dep.RolloutState)
	}
	switch {
	case dep.RolloutState == types.DeploymentRolloutStateCompleted:
		w.done, w.ok = true, true
	case dep.RolloutState == types.DeploymentRolloutStateFailed:
		fail("rollout FAILED: " + aws.ToString(dep.RolloutStateReason))
	case dep.FailedTasks >= FailureThreshold(dep.DesiredCount):
		fail(fmt.Sprintf("%d tasks failed to start (threshold %d)", dep.FailedTasks, FailureThreshold(dep.DesiredCount)))
	case dep.RolloutState == "" && len(svc.Deployments) == 1 && dep.RunningCount == dep.DesiredCount:
		w.done, w.ok = true, true // no rollout state (e.g. behind a Classic Load Balancer): the only deployment, all running
	}
}

// events prints the service's events since the wait started, oldest first, once each.
func (d *Deployer) events(svc types.Service, since time.Time, seen map[string]bool) {
	for i := len(svc.Events) - 1; i >= 0; i-- {
		e := svc.Events[i]
		id := aws.ToString(e.Id)
		if seen[id] || (e.CreatedAt != nil && e.CreatedAt.Before(since.Add(-time.Second))) {
			continue
		}
		seen[id] = true
		d.untrusted("%s: %s", aws.ToString(svc.ServiceName), aws.ToString(e.Message))
	}
}

// stoppedTasks says why the deployment's tasks stopped: the stop reason and each container's exit
// code, for the most recent few.
func (d *Deployer) stoppedTasks(ctx context.Context, cluster, service, arn string) []string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
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
		line := fmt.Sprintf("task %s: %s", lastPart(aws.ToString(t.TaskArn)), aws.ToString(t.StoppedReason))
		if len(cs) > 0 {
			line += "; " + strings.Join(cs, ", ")
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

func lastPart(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

package ecs

import (
	"context"
	"fmt"
	"math"
	"slices"
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
	failure  fault
	reason   string
	progress string
	shown    string // the progress last printed

	// A service deployment followed by its ARN (servicedeployment.go).
	sd          string
	ecsRollback bool // ECS is rolling it back, or has
}

// FailureThreshold is how many failed tasks fail a deployment, as ECS's circuit breaker counts
// them: half the desired count, at least 3 and at most 200.
func FailureThreshold(desired int32) int32 {
	return min(max(int32(math.Ceil(float64(desired)/2)), 3), 200)
}

// wait polls the services of ws (one DescribeServices call per poll for all of them) until each
// deployment is known to have completed or failed, the timeout passes or ctx ends. It reads no
// diagnostics: after a failure the rollback comes first. The SDK's ServicesStable waiter does not
// fit: it does not know which deployment is ours, cannot tell a superseded deployment from a
// finished one, and shows no events.
func (d *Deployer) wait(ctx context.Context, cluster string, o Waiting, ws []*watch) {
	if len(ws) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	start := time.Now()
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	ticker := time.NewTicker(o.PollInterval)
	defer ticker.Stop()
	failures := 0
	for {
		byName := map[string]*watch{}
		for _, w := range ws {
			if !w.done {
				byName[w.r.Service] = w
			}
		}
		for batch := range slices.Chunk(keys(byName), 10) {
			out, err := d.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch})
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				failures = unread(failures, batch, byName, "the service", err)
				continue
			}
			failures = 0
			for _, svc := range out.Services {
				w := byName[aws.ToString(svc.ServiceName)]
				if w == nil {
					continue
				}
				d.events(svc, start)
				judge(w, svc)
				d.showProgress(w, start)
			}
		}
		if allDone(ws) || !nextPoll(ctx, ticker, ws, o.Timeout) {
			return
		}
	}
}

// showProgress says where a watched deployment is, once each time that changes.
func (d *Deployer) showProgress(w *watch, start time.Time) {
	if w.progress == w.shown || w.done {
		return
	}
	w.shown = w.progress
	what := "deployment"
	if w.rollback {
		what = "rollback"
	}
	d.Infof("waiting for %s %s: %s (%s)", w.r.Service, what, w.progress, time.Since(start).Round(time.Second))
}

// nextPoll waits for the next poll and says whether to make it: at the timeout or a cancel, every
// deployment not done yet is judged failed (interrupted, for a cancel), and there is none.
func nextPoll(ctx context.Context, ticker *time.Ticker, ws []*watch, timeout time.Duration) bool {
	select {
	case <-ctx.Done():
		for _, w := range ws {
			if w.done {
				continue
			}
			w.done, w.failure = true, judged
			w.reason = fmt.Sprintf("not complete after %s (%s)", timeout, w.progress)
			if wasCancelled(ctx) {
				w.failure, w.reason = interrupted, "the run was cancelled while waiting ("+w.progress+")"
			}
		}
		return false
	case <-ticker.C:
		return true
	}
}

// unread counts a poll that could not read what it watches (the SDK's retryer has retried already):
// the third in a row ends the watches of batch as unreadable. It returns the new count.
func unread(failures int, batch []string, watches map[string]*watch, what string, err error) int {
	if failures++; failures >= 3 {
		for _, key := range batch {
			w := watches[key]
			w.done, w.failure, w.reason = true, unreadable, "cannot read "+what+": "+err.Error()
		}
	}
	return failures
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
		w.id = deploymentOf(&svc, w.arn)
		if w.id == "" {
			w.progress = "no deployment of " + lastPart(w.arn) + " has started"
			return
		}
		if !w.rollback {
			w.r.DeploymentID = w.id
		}
	}
	var dep *types.Deployment
	for i := range svc.Deployments {
		if aws.ToString(svc.Deployments[i].Id) == w.id {
			dep = &svc.Deployments[i]
		}
	}
	fail := func(reason string) { w.done, w.ok, w.failure, w.reason = true, false, judged, reason }
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
func (d *Deployer) events(svc types.Service, since time.Time) {
	for i := len(svc.Events) - 1; i >= 0; i-- {
		e := svc.Events[i]
		id := aws.ToString(e.Id)
		if d.seen[id] || (e.CreatedAt != nil && e.CreatedAt.Before(since.Add(-time.Second))) {
			continue
		}
		d.seen[id] = true
		d.untrusted("%s: %s", aws.ToString(svc.ServiceName), aws.ToString(e.Message))
	}
}

func lastPart(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

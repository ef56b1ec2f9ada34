package ecs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// A deployment with a native strategy (blue/green, canary, linear) or deployment alarms is
// followed by its service deployment, the record of ECS's own verdict (API_ServiceDeployment.html,
// and "View service history using Amazon ECS service deployments" in the Developer Guide):
// PENDING, then IN_PROGRESS through its lifecycle stages (green tasks scaled up, test traffic,
// production traffic shifted, BAKE_TIME, CLEAN_UP) to SUCCESSFUL; or ROLLBACK_REQUESTED,
// ROLLBACK_IN_PROGRESS and ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED when ECS rolls it back (an alarm
// in ALARM, the circuit breaker, a hook that failed, StopServiceDeployment with stopType ROLLBACK);
// STOPPED when stopped without rollback. SUCCESSFUL comes only after the bake: the new revision
// then serves all production traffic and the old one is gone.

// maxServiceDeployments is DescribeServiceDeployments' limit on ARNs per call
// (API_DescribeServiceDeployments.html).
const maxServiceDeployments = 20

// await follows ws to their end: by their service deployments when every one has one, else by
// DescribeServices.
func (d *Deployer) await(ctx context.Context, cluster string, o Waiting, ws []*watch) {
	if len(ws) > 0 && !slices.ContainsFunc(ws, func(w *watch) bool { return w.sd == "" }) {
		d.waitServiceDeployments(ctx, o, ws)
		return
	}
	d.wait(ctx, cluster, o, ws)
}

// waitServiceDeployments polls the service deployments of ws (one DescribeServiceDeployments call
// per poll for up to 20 of them) until each is known to have ended, the timeout passes or ctx ends.
func (d *Deployer) waitServiceDeployments(ctx context.Context, o Waiting, ws []*watch) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	start := time.Now()
	ticker := time.NewTicker(o.PollInterval)
	defer ticker.Stop()
	failures := 0
	for {
		byARN := map[string]*watch{}
		for _, w := range ws {
			if !w.done {
				byARN[w.sd] = w
			}
		}
		for batch := range slices.Chunk(keys(byARN), maxServiceDeployments) {
			out, err := d.ECS.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: batch})
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				failures = unread(failures, batch, byARN, "the service deployment", err)
				continue
			}
			failures = 0
			for _, f := range out.Failures {
				if w := byARN[aws.ToString(f.Arn)]; w != nil {
					w.done, w.failure, w.reason = true, judged, fmt.Sprintf("service deployment %s: %s %s", w.sd, aws.ToString(f.Reason), aws.ToString(f.Detail))
				}
			}
			for _, sd := range out.ServiceDeployments {
				w := byARN[aws.ToString(sd.ServiceDeploymentArn)]
				if w == nil {
					continue
				}
				judgeServiceDeployment(w, sd)
				d.showProgress(w, start)
			}
		}
		if allDone(ws) || !nextPoll(ctx, ticker, ws, o.Timeout) {
			return
		}
	}
}

// judgeServiceDeployment decides, from one DescribeServiceDeployments answer, whether w is done
// and how. A deploy has failed as soon as ECS starts rolling it back: w.ecsRollback says so, and a
// rollback then follows the same service deployment to ROLLBACK_SUCCESSFUL.
func judgeServiceDeployment(w *watch, sd types.ServiceDeployment) {
	status := sd.Status
	w.progress = "status " + string(status)
	if sd.LifecycleStage != "" {
		w.progress += ", stage " + string(sd.LifecycleStage)
	}
	if t := sd.TargetServiceRevision; t != nil {
		w.progress += fmt.Sprintf(", %d/%d new tasks running", t.RunningTaskCount, t.RequestedTaskCount)
		if t.RequestedProductionTrafficWeight != nil {
			w.progress += fmt.Sprintf(", %g%% of production traffic", *t.RequestedProductionTrafficWeight)
		}
	}
	fail := func(reason string) { w.done, w.ok, w.failure, w.reason = true, false, judged, reason }
	if w.rollback {
		switch status {
		case types.ServiceDeploymentStatusRollbackSuccessful:
			w.done, w.ok = true, true
		case types.ServiceDeploymentStatusRollbackFailed:
			fail("ECS's rollback failed" + why(sd))
		case types.ServiceDeploymentStatusSuccessful:
			fail("the deployment completed before the rollback took effect: the new revision runs")
		case types.ServiceDeploymentStatusStopped:
			fail("the deployment stopped without rolling back" + why(sd))
		}
		return
	}
	switch status {
	case types.ServiceDeploymentStatusSuccessful:
		w.done, w.ok = true, true
	case types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress,
		types.ServiceDeploymentStatusRollbackSuccessful, types.ServiceDeploymentStatusRollbackFailed:
		fail("ECS rolled it back" + why(sd))
		w.ecsRollback = true
	case types.ServiceDeploymentStatusStopped, types.ServiceDeploymentStatusStopRequested:
		fail("the deployment was stopped" + why(sd))
	}
}

// why is what a service deployment says of its end: the alarms in ALARM first.
func why(sd types.ServiceDeployment) string {
	var parts []string
	if a := sd.Alarms; a != nil && len(a.TriggeredAlarmNames) > 0 {
		parts = append(parts, "alarm "+strings.Join(a.TriggeredAlarmNames, ", ")+" in ALARM")
	}
	if cb := sd.DeploymentCircuitBreaker; cb != nil && cb.Status == types.ServiceDeploymentRollbackMonitorsStatusTriggered {
		parts = append(parts, fmt.Sprintf("circuit breaker: %d tasks failed (threshold %d)", cb.FailureCount, cb.Threshold))
	}
	if r := aws.ToString(sd.StatusReason); r != "" {
		parts = append(parts, r)
	}
	if rb := sd.Rollback; rb != nil && aws.ToString(rb.Reason) != "" && aws.ToString(rb.Reason) != aws.ToString(sd.StatusReason) {
		parts = append(parts, aws.ToString(rb.Reason))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

// stopAndRollBack asks ECS to roll back a service deployment still under way (the run was
// cancelled or timed out mid-deployment) with StopServiceDeployment, stopType ROLLBACK
// (API_StopServiceDeployment.html), and returns the watch that follows the rollback. A deployment
// ECS rolls back already is only followed.
func (d *Deployer) stopAndRollBack(ctx context.Context, w *watch) (*watch, error) {
	if !w.ecsRollback {
		_, err := d.ECS.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(w.sd), StopType: types.StopServiceDeploymentStopTypeRollback})
		if err != nil {
			return nil, fmt.Errorf("stop service deployment %s: %w", w.sd, err)
		}
		d.Infof("stopped %s's deployment %s, ECS rolls it back", w.r.Service, lastPart(w.sd))
	} else {
		d.Infof("ECS rolls %s back to %s: following its rollback", w.r.Service, lastPart(w.r.PreviousTaskDefinitionARN))
	}
	return &watch{r: w.r, arn: w.r.PreviousTaskDefinitionARN, id: w.id, sd: w.sd, rollback: true}, nil
}

// revertFailed starts the rollback of r after a failed deploy: a native service deployment still
// under way, or one ECS rolls back already, is rolled back by ECS (stopAndRollBack); any other
// service goes back to its previous revision with UpdateService, followed by its new service
// deployment when the strategy says so.
func (d *Deployer) revertFailed(ctx context.Context, o Options, r *ServiceResult, failed []*watch) (*watch, error) {
	i := slices.IndexFunc(failed, func(w *watch) bool { return w.r == r })
	if i >= 0 && failed[i].sd != "" && (failed[i].ecsRollback || (!failed[i].ok && o.Strategy.native())) {
		return d.stopAndRollBack(ctx, failed[i])
	}
	d.Infof("rolling back %s to %s", r.Service, r.PreviousTaskDefinitionARN)
	w, err := d.revert(ctx, o.Cluster, r, r.PreviousTaskDefinitionARN)
	if err == nil && !o.Strategy.followed() {
		w.sd = ""
	}
	return w, err
}

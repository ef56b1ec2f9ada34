package ecs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/slipway-actions/slipway/internal/failure"
)

// rollBackFailedDeploy puts every updated service back on its previous task definition after a failed deploy.
// It starts first, on its own context: not cancelled with the run, bounded by the timeout, and by
// the run's cancel window once it is cancelled. Then it reads why the failed deployments' tasks
// stopped, while time remains, and follows the rollbacks with the same judgement as a deploy. A superseded service is left alone: another deploy owns it.
func (d *Deployer) rollBackFailedDeploy(o Options, updated []*ServiceResult, failed []*watch) {
	ctx, cancel := o.window.detached(o.Timeout+rollbackSlack, 0)
	defer cancel()
	issued := time.Now()
	var ws []*watch
	for _, r := range updated {
		if r.superseded {
			r.note("not rolled back: another deploy owns the service now")
			continue
		}
		w, err := d.revertFailed(ctx, o, r, failed)
		if err != nil {
			r.Status = StatusRollbackFailed
			r.note("rollback: " + err.Error())
			if r.failure == notFailed {
				r.failure = unreadable
			}
			continue
		}
		ws = append(ws, w)
	}
	d.diagnose(ctx, o.Cluster, failed)
	if o.Wait {
		d.follow(ctx, o.Cluster, o.Waiting, ws, issued)
	}
	for _, w := range ws {
		r := w.r
		if w.ok && w.sd != "" && r.Status == StatusFailed {
			r.Reason = strings.Replace(r.Reason, "ECS rolled it back", "rolled back by ECS", 1)
		}
		switch {
		case w.ok && r.Status == StatusCompleted:
			r.Status, r.Reason = StatusRolledBack, "rolled back because another service failed"
		case w.ok:
			r.Status = StatusRolledBack
		case !w.done || w.failure == interrupted:
			r.Status = StatusRollbackStarted
			r.note("rollback to " + lastPart(w.arn) + " started" + parenthesised("deployment ", w.id) + ", not followed to the end")
		default:
			r.Status = StatusRollbackFailed
			r.note("rollback: " + w.reason)
		}
		if !w.ok && r.failure == notFailed {
			r.failure = w.failure
		}
	}
}

// rollbackSlack is what a rollback's own context allows beyond its deployments' timeout: issuing
// the UpdateServices and reading why the failed tasks stopped.
const rollbackSlack = diagnosticsBound + 30*time.Second

// follow waits for rollback deployments issued at issued: the timeout counts from their
// UpdateService, not from the end of the diagnostics read meanwhile.
func (d *Deployer) follow(ctx context.Context, cluster string, o Waiting, ws []*watch, issued time.Time) {
	ctx, cancel := context.WithDeadline(ctx, issued.Add(o.Timeout))
	defer cancel()
	d.await(ctx, cluster, o, ws)
}

// note adds to the result's reason.
func (r *ServiceResult) note(s string) {
	if r.Reason != "" {
		s = r.Reason + "; " + s
	}
	r.Reason = s
}

func parenthesised(label, v string) string {
	if v == "" {
		return ""
	}
	return " (" + label + v + ")"
}

// revert issues the UpdateService that puts r's service on arn and returns the watch that follows it.
func (d *Deployer) revert(ctx context.Context, cluster string, r *ServiceResult, arn string) (*watch, error) {
	out, err := d.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(cluster), Service: aws.String(r.Service), TaskDefinition: aws.String(arn)})
	if err != nil {
		return nil, err
	}
	w := &watch{r: r, arn: arn, rollback: true, id: deploymentOf(out.Service, arn)}
	if out.Service != nil {
		w.sd = aws.ToString(out.Service.CurrentServiceDeployment)
	}
	return w, nil
}

// Target is one service for RollBack: it goes back to Previous only while it still runs Expected,
// the revision the deploy being undone set.
type Target struct {
	Service  string
	Expected string // task definition ARN or family:revision; "" when the deploy set none (the service is skipped)
	Previous string // where it goes back; "" is the ACTIVE revision of Expected's family just before Expected
}

// RollbackOptions is one rollback run.
type RollbackOptions struct {
	Cluster    string
	Targets    []Target
	DryRun     bool
	CodeDeploy CodeDeploy // for CODE_DEPLOY services, which go back by a CodeDeploy deployment
	Waiting
}

// RollBack undoes a deploy: each target service goes back to its previous task definition, but only
// while it still runs the revision that deploy set. A service a newer deploy moved is skipped, saying
// which revision runs now. Every target is checked before anything moves; then the rollbacks start
// together and are followed with the same judgement as a deploy (and the same cancel grace).
func (d *Deployer) RollBack(ctx context.Context, o RollbackOptions) (*Report, error) {
	rep := &Report{IsRollback: true}
	errs := o.Waiting.check()
	var services []Service
	for _, t := range o.Targets {
		rep.Services = append(rep.Services, &ServiceResult{Service: t.Service, Status: StatusNotStarted})
		services = append(services, Service{Name: t.Service})
	}
	if len(o.Targets) == 0 {
		errs = append(errs, errors.New("no service to roll back"))
	}
	if len(errs) > 0 {
		return rep, failure.BadInput(errors.Join(errs...))
	}
	found, err := d.describe(ctx, o.Cluster, services)
	if err != nil {
		return rep, err
	}
	rep.described = found
	var move []*ServiceResult
	for i, t := range o.Targets {
		r := rep.Services[i]
		s, ok := found[t.Service]
		if !ok || aws.ToString(s.Status) != "ACTIVE" {
			errs = append(errs, fmt.Errorf("service %q is not an active service of cluster %s", t.Service, o.Cluster))
			continue
		}
		now := running(s)
		r.PreviousTaskDefinitionARN, r.TaskDefinitionARN = now, now
		if reason := skipReason(t, now); reason != "" {
			r.Status, r.Reason = StatusSkipped, reason
			continue
		}
		previous, err := d.previous(ctx, t, now)
		if failure.Of(err) == failure.Input {
			errs = append(errs, fmt.Errorf("service %s: %w", t.Service, err))
			continue
		} else if err != nil {
			return rep, fmt.Errorf("service %s: %w", t.Service, err)
		}
		r.TaskDefinitionARN = previous
		cd, problem, err := d.findCodeDeploy(ctx, o.Cluster, o.CodeDeploy, t.Service, s)
		if err != nil {
			return rep, err
		} else if problem != nil {
			errs = append(errs, problem)
			continue
		}
		r.codeDeploy = cd
		move = append(move, r)
	}
	if len(errs) > 0 {
		return rep, failure.BadInput(errors.Join(errs...))
	}
	for _, r := range rep.Services {
		if r.Status == StatusSkipped {
			d.Infof("%s: skipped: %s", r.Service, r.Reason)
		}
	}
	if o.DryRun {
		for _, r := range move {
			r.Status, r.Reason = StatusDryRun, "would go back from "+lastPart(r.PreviousTaskDefinitionARN)+" to "+lastPart(r.TaskDefinitionARN)
		}
		err := d.restoreScheduled(ctx, rep, move, true)
		for _, m := range rep.Scheduled {
			d.Infof("dry run: would move scheduled task %s", m)
		}
		return rep, err
	}
	var closeWindow func() bool
	o.Waiting, closeWindow = o.Waiting.opened(ctx)
	defer closeWindow()
	d.undo(o, move)
	sctx, cancel := o.window.detached(scheduledTime, 0)
	defer cancel()
	scheduled := d.restoreScheduled(sctx, rep, move, false)
	return rep, errors.Join(rep.err("rollback", StatusRolledBack, StatusSkipped, StatusRollbackStarted), scheduled)
}

// skipReason says why a service running now is not moved back, "" when it is: only while it runs the
// revision the deploy set, so a newer release is never rolled back.
func skipReason(t Target, now string) string {
	switch {
	case t.Expected == "":
		return "the deploy set no revision for it; it runs " + lastPart(now)
	case t.Previous != "" && lastPart(now) == lastPart(t.Previous):
		return "it runs " + lastPart(now) + " already, the revision before the deploy"
	case lastPart(now) != lastPart(t.Expected):
		return fmt.Sprintf("it runs %s now, not %s that the deploy set: a newer deploy owns it, left alone", lastPart(now), lastPart(t.Expected))
	}
	return ""
}

// undo starts every rollback of move, then follows them, within the run's cancel window.
func (d *Deployer) undo(o RollbackOptions, move []*ServiceResult) {
	ctx, cancel := o.window.detached(o.Timeout+rollbackSlack, 0)
	defer cancel()
	issued := time.Now()
	var ws []*watch
	var viaCodeDeploy []*ServiceResult
	for _, r := range move {
		d.Infof("rolling back %s from %s to %s", r.Service, lastPart(r.PreviousTaskDefinitionARN), lastPart(r.TaskDefinitionARN))
		if r.codeDeploy != nil {
			r.Status = StatusRollbackFailed
			if d.startCodeDeploy(ctx, nil, o.Wait, r) {
				r.Status = StatusRollbackStarted
				viaCodeDeploy = append(viaCodeDeploy, r)
			}
			continue
		}
		w, err := d.revert(ctx, o.Cluster, r, r.TaskDefinitionARN)
		if err != nil {
			r.Status, r.Reason, r.failure = StatusRollbackFailed, "update service: "+err.Error(), unreadable
			continue
		}
		w.sd = "" // followed by DescribeServices: a rollback run does not know the deploy's strategy
		r.Status, r.DeploymentID = StatusRollbackStarted, w.id
		ws = append(ws, w)
	}
	if !o.Wait {
		return
	}
	d.follow(ctx, o.Cluster, o.Waiting, ws, issued)
	d.waitCodeDeploy(ctx, o.Waiting, viaCodeDeploy)
	for _, r := range viaCodeDeploy {
		switch r.Status {
		case StatusCompleted:
			r.Status = StatusRolledBack
		case StatusFailed:
			r.Status = StatusRollbackFailed
		}
	}
	for _, w := range ws {
		w.r.DeploymentID = w.id
		switch {
		case w.ok:
			w.r.Status = StatusRolledBack
		case w.failure == interrupted:
			w.r.failure, w.r.Reason = interrupted, "started, not followed to the end: "+w.reason
		default:
			w.r.Status, w.r.Reason, w.r.failure = StatusRollbackFailed, w.reason, w.failure
		}
	}
	d.diagnose(ctx, o.Cluster, ws)
}

// previous is the task definition a target goes back to: its Previous, else the ACTIVE revision of
// its family just before the one it runs (as ecspresso's rollback finds it). It must be ACTIVE: ECS
// cannot start a deregistered revision. A revision that is not there is bad input.
func (d *Deployer) previous(ctx context.Context, t Target, now string) (string, error) {
	if t.Previous == "" {
		family, rev, err := familyRevision(now)
		if err != nil {
			return "", err
		}
		p := ecs.NewListTaskDefinitionsPaginator(d.ECS, &ecs.ListTaskDefinitionsInput{
			FamilyPrefix: aws.String(family), Status: types.TaskDefinitionStatusActive, Sort: types.SortOrderDesc,
		})
		for p.HasMorePages() && t.Previous == "" {
			page, err := p.NextPage(ctx)
			if err != nil {
				return "", fmt.Errorf("list the revisions of %s: %w", family, err)
			}
			// The prefix also matches other families ("api" and "api-worker").
			i := slices.IndexFunc(page.TaskDefinitionArns, func(arn string) bool {
				f, n, err := familyRevision(arn)
				return err == nil && f == family && n < rev
			})
			if i >= 0 {
				t.Previous = page.TaskDefinitionArns[i]
			}
		}
		if t.Previous == "" {
			return "", failure.BadInput(fmt.Errorf("no ACTIVE revision of %s before %s to go back to", family, lastPart(now)))
		}
	}
	out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(t.Previous)})
	if errors.As(err, new(*types.ClientException)) {
		return "", failure.BadInput(fmt.Errorf("the revision to go back to, %s, does not exist: %w", t.Previous, err))
	} else if err != nil {
		return "", fmt.Errorf("describe %s: %w", t.Previous, err)
	}
	if out.TaskDefinition.Status != types.TaskDefinitionStatusActive {
		return "", failure.BadInput(fmt.Errorf("the revision to go back to, %s, is %s: ECS cannot start it", lastPart(t.Previous), out.TaskDefinition.Status))
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
}

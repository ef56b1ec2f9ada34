package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// CodeDeployAPI is the part of the CodeDeploy client this package calls; *codedeploy.Client
// satisfies it.
type CodeDeployAPI interface {
	GetDeploymentGroup(context.Context, *codedeploy.GetDeploymentGroupInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentGroupOutput, error)
	CreateDeployment(context.Context, *codedeploy.CreateDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error)
	GetDeployment(context.Context, *codedeploy.GetDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
	StopDeployment(context.Context, *codedeploy.StopDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.StopDeploymentOutput, error)
	ListDeploymentTargets(context.Context, *codedeploy.ListDeploymentTargetsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error)
	BatchGetDeploymentTargets(context.Context, *codedeploy.BatchGetDeploymentTargetsInput, ...func(*codedeploy.Options)) (*codedeploy.BatchGetDeploymentTargetsOutput, error)
}

// CodeDeploy is how services whose deployment controller is CODE_DEPLOY deploy: a CodeDeploy
// blue/green deployment of an AppSpec built from the new revision.
type CodeDeploy struct {
	Application     string // "" is the ECS console's name for the service's: AppECS-<cluster>-<service>
	DeploymentGroup string // "" is DgpECS-<cluster>-<service>
	Hooks           []Hook // the AppSpec's Hooks
}

// Hook is one AppSpec hook: a Lambda function CodeDeploy calls at a lifecycle event.
type Hook struct{ Event, Function string }

// HookEvents are the lifecycle events an ECS AppSpec may hook (the AppSpec file reference's
// "AppSpec 'hooks' section for an Amazon ECS deployment").
var HookEvents = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}

// codeDeployTarget is what Prepare found of a CODE_DEPLOY service: where its deployments go and
// what its AppSpec takes from the service.
type codeDeployTarget struct {
	application, group string
	autoRollback       bool
	svc                types.Service
	container          string
	port               int32
}

// prepareCodeDeploy checks a CODE_DEPLOY service: it needs a load balancer whose container the new
// revision has, and a CodeDeploy deployment group (GetDeploymentGroup) that deploys it. problem is
// bad input; err is CodeDeploy that could not be read. Other services are left alone.
func (d *Deployer) prepareCodeDeploy(ctx context.Context, o Options, r *ServiceResult, svc types.Service) (problem, err error) {
	t, problem, err := d.findCodeDeploy(ctx, o.Cluster, o.CodeDeploy, r.Service, svc)
	if t == nil || problem != nil || err != nil {
		return problem, err
	}
	if !slices.Contains(Containers(r.next), t.container) {
		return fmt.Errorf("service %s: its load balancer sends traffic to container %q, which the new task definition does not have", r.Service, t.container), nil
	}
	r.codeDeploy = t
	return nil, nil
}

// findCodeDeploy finds where a CODE_DEPLOY service's deployments go: nil for another service.
func (d *Deployer) findCodeDeploy(ctx context.Context, clusterRef string, cd CodeDeploy, service string, svc types.Service) (t *codeDeployTarget, problem, err error) {
	if svc.DeploymentController == nil || svc.DeploymentController.Type != types.DeploymentControllerTypeCodeDeploy {
		if svc.DeploymentController != nil && svc.DeploymentController.Type == types.DeploymentControllerTypeExternal {
			return nil, fmt.Errorf("service %s has an EXTERNAL deployment controller: its task sets are deployed by whatever owns them, not by ecs-deploy", service), nil
		}
		return nil, nil, nil
	}
	if d.CodeDeploy == nil {
		return nil, nil, fmt.Errorf("service %s is deployed by CodeDeploy, and no CodeDeploy client was given", service)
	}
	cluster := lastPart(clusterRef)
	t = &codeDeployTarget{application: cd.Application, group: cd.DeploymentGroup, svc: svc}
	if t.application == "" {
		t.application = "AppECS-" + cluster + "-" + service
	}
	if t.group == "" {
		t.group = "DgpECS-" + cluster + "-" + service
	}
	if len(svc.LoadBalancers) == 0 {
		return nil, fmt.Errorf("service %s has a CODE_DEPLOY deployment controller and no load balancer: CodeDeploy shifts a load balancer's traffic", service), nil
	}
	lb := svc.LoadBalancers[0]
	t.container, t.port = aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort)
	out, err := d.CodeDeploy.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String(t.application), DeploymentGroupName: aws.String(t.group)})
	switch {
	case errors.As(err, new(*cdtypes.ApplicationDoesNotExistException)):
		return nil, fmt.Errorf("input \"codedeploy-application\": service %s is deployed by CodeDeploy, and application %q does not exist (%v)", service, t.application, err), nil
	case errors.As(err, new(*cdtypes.DeploymentGroupDoesNotExistException)):
		return nil, fmt.Errorf("input \"codedeploy-deployment-group\": service %s is deployed by CodeDeploy, and deployment group %q of %s does not exist (%v)", service, t.group, t.application, err), nil
	case err != nil:
		return nil, nil, fmt.Errorf("service %s: read CodeDeploy deployment group %s of %s: %w", service, t.group, t.application, err)
	}
	g := out.DeploymentGroupInfo
	if !slices.ContainsFunc(g.EcsServices, func(s cdtypes.ECSService) bool {
		return lastPart(aws.ToString(s.ClusterName)) == cluster && aws.ToString(s.ServiceName) == service
	}) {
		return nil, fmt.Errorf("input \"codedeploy-deployment-group\": deployment group %s of %s does not deploy service %s of cluster %s", t.group, t.application, service, cluster), nil
	}
	t.autoRollback = g.AutoRollbackConfiguration != nil && g.AutoRollbackConfiguration.Enabled
	return t, nil, nil
}

// appSpec is an ECS AppSpec (the CodeDeploy User Guide's AppSpec file reference: "AppSpec
// 'resources' section for Amazon ECS deployments"), written as JSON, which CodeDeploy reads as it
// reads YAML.
type appSpec struct {
	Version   json.RawMessage              `json:"version"`
	Resources []map[string]appSpecResource `json:"Resources"`
	Hooks     []map[string]string          `json:"Hooks,omitempty"`
}

type appSpecResource struct {
	Type       string            `json:"Type"`
	Properties appSpecProperties `json:"Properties"`
}

type appSpecProperties struct {
	TaskDefinition           string                    `json:"TaskDefinition"`
	LoadBalancerInfo         appSpecLoadBalancer       `json:"LoadBalancerInfo"`
	PlatformVersion          string                    `json:"PlatformVersion,omitempty"`
	NetworkConfiguration     *appSpecNetwork           `json:"NetworkConfiguration,omitempty"`
	CapacityProviderStrategy []appSpecCapacityProvider `json:"CapacityProviderStrategy,omitempty"`
}

type appSpecLoadBalancer struct {
	ContainerName string `json:"ContainerName"`
	ContainerPort int32  `json:"ContainerPort"`
}

type appSpecNetwork struct {
	AwsvpcConfiguration struct {
		Subnets        []string `json:"Subnets"`
		SecurityGroups []string `json:"SecurityGroups,omitempty"`
		AssignPublicIp string   `json:"AssignPublicIp,omitempty"`
	} `json:"AwsvpcConfiguration"`
}

type appSpecCapacityProvider struct {
	Base             int32  `json:"Base"`
	CapacityProvider string `json:"CapacityProvider"`
	Weight           int32  `json:"Weight"`
}

// AppSpec is the AppSpec content that deploys taskDefinition to the service: its load balancer's
// container and port, and the service's platform version, network and capacity provider strategy.
func (t *codeDeployTarget) AppSpec(taskDefinition string, hooks []Hook) string {
	p := appSpecProperties{TaskDefinition: taskDefinition, LoadBalancerInfo: appSpecLoadBalancer{t.container, t.port},
		PlatformVersion: aws.ToString(t.svc.PlatformVersion)}
	if nc := t.svc.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		p.NetworkConfiguration = &appSpecNetwork{}
		vpc := &p.NetworkConfiguration.AwsvpcConfiguration
		vpc.Subnets, vpc.SecurityGroups, vpc.AssignPublicIp = nc.AwsvpcConfiguration.Subnets, nc.AwsvpcConfiguration.SecurityGroups, string(nc.AwsvpcConfiguration.AssignPublicIp)
	}
	for _, s := range t.svc.CapacityProviderStrategy {
		p.CapacityProviderStrategy = append(p.CapacityProviderStrategy, appSpecCapacityProvider{s.Base, aws.ToString(s.CapacityProvider), s.Weight})
	}
	spec := appSpec{Version: json.RawMessage("0.0"), Resources: []map[string]appSpecResource{{"TargetService": {Type: "AWS::ECS::Service", Properties: p}}}}
	for _, h := range hooks {
		spec.Hooks = append(spec.Hooks, map[string]string{h.Event: h.Function})
	}
	b, _ := json.MarshalIndent(spec, "", "  ")
	return string(b)
}

// startCodeDeploy creates r's CodeDeploy deployment of its new revision. It reports whether the
// deployment was created; when not, r says why.
func (d *Deployer) startCodeDeploy(ctx context.Context, hooks []Hook, wait bool, r *ServiceResult) bool {
	t := r.codeDeploy
	out, err := d.CodeDeploy.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{
		ApplicationName:     aws.String(t.application),
		DeploymentGroupName: aws.String(t.group),
		Description:         aws.String(truncate("slipway ecs-deploy: "+r.Service+" to "+lastPart(r.TaskDefinitionARN), 100)),
		Revision: &cdtypes.RevisionLocation{RevisionType: cdtypes.RevisionLocationTypeAppSpecContent,
			AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(t.AppSpec(r.TaskDefinitionARN, hooks))}},
	})
	if err != nil {
		r.Status, r.Reason, r.failure = StatusFailed, "CodeDeploy create deployment: "+err.Error(), unreadable
		if ctx.Err() != nil {
			r.failure = interrupted
		}
		return false
	}
	r.Status, r.DeploymentID = StatusInProgress, aws.ToString(out.DeploymentId)
	d.Infof("CodeDeploy deployment %s of %s to %s (application %s, deployment group %s)", r.DeploymentID, r.Service, r.TaskDefinitionARN, t.application, t.group)
	if !wait {
		d.Infof("wait: false: not waiting for %s (CodeDeploy deployment %s): whether it works is not known", r.Service, r.DeploymentID)
	}
	return true
}

// cdWatch is one CodeDeploy deployment being followed, then the rollback CodeDeploy started for it.
type cdWatch struct {
	r        *ServiceResult
	rollback string // the rollback deployment's id, once CodeDeploy started one
	done     bool
	progress string
}

// waitCodeDeploy follows the CodeDeploy deployments of rs (GetDeployment each poll) to their end:
// Succeeded is COMPLETED; Failed or Stopped is a failed deploy, whose lifecycle events are read,
// and whose rollback by CodeDeploy is followed to its own end. A deploy cancelled, or not ended
// within the timeout, is stopped with StopDeployment and autoRollbackEnabled, within the run's
// cancel window.
func (d *Deployer) waitCodeDeploy(ctx context.Context, o Waiting, rs []*ServiceResult) {
	if !o.Wait || len(rs) == 0 {
		return
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	ws := make([]*cdWatch, len(rs))
	for i, r := range rs {
		ws[i] = &cdWatch{r: r}
	}
	ticker := time.NewTicker(o.PollInterval)
	defer ticker.Stop()
	for {
		pending := false
		for _, w := range ws {
			if !w.done {
				d.pollCodeDeploy(wctx, w, start)
				pending = pending || !w.done
			}
		}
		if !pending {
			break
		}
		select {
		case <-wctx.Done():
			for _, w := range ws {
				if !w.done {
					d.stopCodeDeploy(wctx, o, w)
				}
			}
			return
		case <-ticker.C:
		}
	}
	for _, w := range ws {
		if w.r.failure != notFailed && hasTime(ctx, diagnosticsTime) {
			w.r.LifecycleEvents = d.lifecycleEvents(ctx, w.r.Service, w.r.DeploymentID)
		}
	}
}

// pollCodeDeploy reads w's deployment (or its rollback) once and judges it.
func (d *Deployer) pollCodeDeploy(ctx context.Context, w *cdWatch, start time.Time) {
	id := w.r.DeploymentID
	if w.rollback != "" {
		id = w.rollback
	}
	out, err := d.CodeDeploy.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
	if err != nil {
		if ctx.Err() == nil {
			// The SDK's retryer has retried already.
			w.done, w.r.Status, w.r.failure = true, StatusFailed, unreadable
			w.r.note("cannot read CodeDeploy deployment " + id + ": " + err.Error())
		}
		return
	}
	info := out.DeploymentInfo
	status := info.Status
	if p := "CodeDeploy " + string(status); p != w.progress {
		w.progress = p
		what := "deployment " + id
		if w.rollback != "" {
			what = "rollback " + id
		}
		d.Infof("waiting for %s %s: %s (%s)", w.r.Service, what, status, time.Since(start).Round(time.Second))
	}
	switch {
	case w.rollback != "" && status == cdtypes.DeploymentStatusSucceeded:
		w.done, w.r.Status = true, StatusRolledBack
		w.r.note("CodeDeploy rolled back (deployment " + id + " Succeeded)")
	case w.rollback != "" && (status == cdtypes.DeploymentStatusFailed || status == cdtypes.DeploymentStatusStopped):
		w.done, w.r.Status = true, StatusRollbackFailed
		w.r.note("CodeDeploy's rollback " + id + " " + string(status) + errorInfo(info))
	case w.rollback != "":
	case status == cdtypes.DeploymentStatusSucceeded:
		w.done, w.r.Status = true, StatusCompleted
		d.Infof("CodeDeploy deployment %s of %s Succeeded: %s serves all traffic", id, w.r.Service, lastPart(w.r.TaskDefinitionARN))
	case status == cdtypes.DeploymentStatusFailed || status == cdtypes.DeploymentStatusStopped:
		w.r.Status, w.r.failure = StatusFailed, judged
		w.r.Reason = "CodeDeploy deployment " + id + " " + string(status) + errorInfo(info)
		if rb := info.RollbackInfo; rb != nil && aws.ToString(rb.RollbackDeploymentId) != "" {
			w.rollback = aws.ToString(rb.RollbackDeploymentId)
			d.Infof("CodeDeploy is rolling %s back: deployment %s (%s)", w.r.Service, w.rollback, aws.ToString(rb.RollbackMessage))
			return
		}
		w.done = true
		w.r.note("CodeDeploy did not roll back: the deployment group's automatic rollback is off")
	}
}

func errorInfo(info *cdtypes.DeploymentInfo) string {
	if e := info.ErrorInformation; e != nil {
		return ": " + string(e.Code) + ": " + aws.ToString(e.Message)
	}
	return ""
}

// stopCodeDeploy stops w's deployment with StopDeployment and autoRollbackEnabled, on its own
// context: after a cancel too, within the run's cancel window. A rollback CodeDeploy runs already
// is left to run.
func (d *Deployer) stopCodeDeploy(ctx context.Context, o Waiting, w *cdWatch) {
	w.done = true
	why, f := fmt.Sprintf("not complete after %s (%s)", o.Timeout, w.progress), judged
	if wasCancelled(ctx) {
		why, f = "the run was cancelled while waiting ("+w.progress+")", interrupted
	}
	w.r.Status, w.r.Reason, w.r.failure = StatusFailed, why, f
	if w.rollback != "" {
		w.r.Status = StatusRollbackStarted
		w.r.note("CodeDeploy's rollback " + w.rollback + " was started, not followed to the end")
		return
	}
	sctx, cancel := o.window.detached(30*time.Second, 0)
	defer cancel()
	d.Infof("stopping CodeDeploy deployment %s of %s, rolling back: %s", w.r.DeploymentID, w.r.Service, why)
	out, err := d.CodeDeploy.StopDeployment(sctx, &codedeploy.StopDeploymentInput{DeploymentId: aws.String(w.r.DeploymentID), AutoRollbackEnabled: aws.Bool(true)})
	if err != nil {
		w.r.Status = StatusRollbackFailed
		w.r.note(fmt.Sprintf("StopDeployment failed (%v): stop deployment %s by hand", err, w.r.DeploymentID))
		return
	}
	w.r.Status = StatusRollbackStarted
	w.r.note(fmt.Sprintf("CodeDeploy deployment %s stopped with rollback (%s: %s), not followed to the end", w.r.DeploymentID, out.Status, aws.ToString(out.StatusMessage)))
}

// lifecycleEvents lists what did not succeed of a failed CodeDeploy deployment's ECS targets, as
// "cluster:service Install Failed: ScriptFailed: message", and prints them as untrusted text.
func (d *Deployer) lifecycleEvents(ctx context.Context, service, id string) []string {
	ctx, cancel := context.WithTimeout(ctx, diagnosticsBound)
	defer cancel()
	list, err := d.CodeDeploy.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(id)})
	if err != nil || len(list.TargetIds) == 0 {
		d.Infof("could not list the targets of CodeDeploy deployment %s: %v", id, err)
		return nil
	}
	out, err := d.CodeDeploy.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: aws.String(id), TargetIds: list.TargetIds})
	if err != nil {
		d.Infof("could not read the targets of CodeDeploy deployment %s: %v", id, err)
		return nil
	}
	var lines []string
	for _, t := range out.DeploymentTargets {
		if t.EcsTarget == nil {
			continue
		}
		for _, e := range t.EcsTarget.LifecycleEvents {
			if e.Status == cdtypes.LifecycleEventStatusSucceeded || e.Status == cdtypes.LifecycleEventStatusPending {
				continue
			}
			line := aws.ToString(t.EcsTarget.TargetId) + " " + aws.ToString(e.LifecycleEventName) + " " + string(e.Status)
			if dg := e.Diagnostics; dg != nil {
				line += ": " + strings.TrimSpace(string(dg.ErrorCode)+": "+aws.ToString(dg.Message))
			}
			lines = append(lines, line)
			d.untrusted("%s: %s", service, line)
		}
	}
	return lines
}

package ecs

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// rollback puts every updated service back on its previous task definition and waits for that
// too. It runs even when the run was cancelled (GitHub sends SIGTERM on cancel), within its own
// time limit. A superseded service is left alone: another deploy owns it now.
func (d *Deployer) rollback(ctx context.Context, o Options, updated []*ServiceResult) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(o.Timeout, time.Minute))
	defer cancel()
	var ws []*watch
	for _, r := range updated {
		if r.superseded {
			r.Reason += "; not rolled back: another deploy owns the service now"
			continue
		}
		d.Infof("rolling back %s to %s", r.Service, r.PreviousTaskDefinitionARN)
		out, err := d.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(o.Cluster), Service: aws.String(r.Service), TaskDefinition: aws.String(r.PreviousTaskDefinitionARN)})
		if err != nil {
			r.Status, r.Reason = StatusRollbackFailed, r.Reason+"; rollback: "+err.Error()
			continue
		}
		w := &watch{r: r, arn: r.PreviousTaskDefinitionARN, rollback: true}
		for _, dep := range out.Service.Deployments {
			if aws.ToString(dep.Status) == "PRIMARY" && aws.ToString(dep.TaskDefinition) == w.arn {
				w.id = aws.ToString(dep.Id)
			}
		}
		ws = append(ws, w)
	}
	d.wait(ctx, o, ws)
	for _, w := range ws {
		r := w.r
		switch {
		case !w.ok:
			r.Status, r.Reason = StatusRollbackFailed, r.Reason+"; rollback: "+w.reason
		case r.Status == StatusCompleted:
			r.Status, r.Reason = StatusRolledBack, "rolled back because another service failed"
		default:
			r.Status = StatusRolledBack
		}
	}
}

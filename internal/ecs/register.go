package ecs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// deregisterTime bounds deregistering what a failed run registered.
const deregisterTime = 30 * time.Second

// register registers every rendered task definition. When ECS refuses one, the revisions this run
// registered already are deregistered again: nothing is left half-done.
func (d *Deployer) register(ctx context.Context, o Options, rep *Report) error {
	for _, r := range rep.Services {
		out, err := d.ECS.RegisterTaskDefinition(ctx, r.next)
		if err != nil {
			d.deregisterNew(o, rep)
			hint := ""
			var coded interface{ ErrorCode() string } // smithy.APIError
			if errors.As(err, &coded) && coded.ErrorCode() == "AccessDeniedException" {
				hint = " — the role needs ecs:RegisterTaskDefinition, iam:PassRole for the task's roles, and ecs:TagResource when the revision has tags (the " + VersionTag + " tag of a versioned deploy)"
			}
			return fmt.Errorf("service %s: register task definition %s: %w%s", r.Service, r.family, err, hint)
		}
		r.TaskDefinitionARN = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
		d.Infof("registered %s for %s", r.TaskDefinitionARN, r.Service)
	}
	return nil
}

// deregisterNew deregisters the revisions this run registered, when no service was moved to them.
// It goes on after a cancel, within the run's cancel window.
func (d *Deployer) deregisterNew(o Options, rep *Report) {
	ctx, cancel := o.window.detached(deregisterTime, 0)
	defer cancel()
	for _, r := range rep.Services {
		if r.TaskDefinitionARN == "" {
			continue
		}
		if _, err := d.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(r.TaskDefinitionARN)}); err != nil {
			if wasCancelled(ctx) {
				err = errors.New("no time was left after the cancel")
			}
			d.Infof("could not deregister %s (%v): it stays ACTIVE, unused; deregister it by hand", r.TaskDefinitionARN, err)
			continue
		}
		d.Infof("deregistered %s again", r.TaskDefinitionARN)
	}
}

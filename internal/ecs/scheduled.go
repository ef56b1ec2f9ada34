package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/slipway-actions/slipway/internal/schedule"
)

// scheduledTime bounds the moves of scheduled tasks after a rollback, within the cancel window.
const scheduledTime = 30 * time.Second

// planScheduled lists the scheduled tasks (EventBridge rule targets, Scheduler schedules) that run
// a family this deploy registers; they follow the services to the new revisions (To is filled in
// once registered). Credentials that may not list them are a note, not a failure: the deploy goes
// on without following them.
func (d *Deployer) planScheduled(ctx context.Context, rep *Report) error {
	if d.Scheduled == nil {
		return nil
	}
	var changes []schedule.Change
	for _, r := range rep.Services {
		changes = append(changes, schedule.Change{Family: r.family})
	}
	moves, err := d.Scheduled.Plan(ctx, changes)
	if denied(err) {
		d.Infof("scheduled tasks are not followed: %v (allow events:ListRules, events:ListTargetsByRule, scheduler:ListSchedules and scheduler:GetSchedule, or set scheduled-tasks: leave)", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("scheduled tasks: %w", err)
	}
	rep.Scheduled = moves
	return nil
}

// moveScheduled moves the planned scheduled tasks to the revisions the services now run; it runs
// once every service's deployment is known to have completed (or was issued, with wait: false).
func (d *Deployer) moveScheduled(ctx context.Context, rep *Report) error {
	if len(rep.Scheduled) == 0 {
		return nil
	}
	to := map[string]string{}
	for _, r := range rep.Services {
		to[r.family] = r.TaskDefinitionARN
	}
	for i, m := range rep.Scheduled {
		rep.Scheduled[i].To = to[familyOf(m.From)]
	}
	done, err := d.Scheduled.Apply(ctx, rep.Scheduled)
	rep.ScheduledMoved = done
	for _, m := range done {
		d.Infof("scheduled task moved: %s", m)
	}
	if err != nil {
		return fmt.Errorf("scheduled tasks: %w", err)
	}
	return nil
}

// restoreScheduled is a rollback's: the scheduled tasks of each service moved back follow it from
// the revision the undone deploy set to the one it goes back to; one that runs another revision is
// left alone. A dry run lists them.
func (d *Deployer) restoreScheduled(ctx context.Context, rep *Report, move []*ServiceResult, dryRun bool) error {
	if d.Scheduled == nil || len(move) == 0 {
		return nil
	}
	var changes []schedule.Change
	for _, r := range move {
		if dryRun || r.Status == StatusRolledBack || r.Status == StatusRollbackStarted {
			changes = append(changes, schedule.Change{Family: familyOf(r.PreviousTaskDefinitionARN), From: r.PreviousTaskDefinitionARN, To: r.TaskDefinitionARN})
		}
	}
	moves, err := d.Scheduled.Plan(ctx, changes)
	if denied(err) {
		d.Infof("scheduled tasks are not followed: %v", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("scheduled tasks: %w", err)
	}
	rep.Scheduled = moves
	if dryRun {
		return nil
	}
	done, err := d.Scheduled.Apply(ctx, moves)
	rep.ScheduledMoved = done
	for _, m := range done {
		d.Infof("scheduled task moved back: %s", m)
	}
	if err != nil {
		return fmt.Errorf("scheduled tasks: %w", err)
	}
	return nil
}

// familyOf is the family of a task definition ARN or family:revision.
func familyOf(arn string) string {
	f, _, _ := strings.Cut(lastPart(arn), ":")
	return f
}

// denied reports whether AWS refused a read for lack of permission.
func denied(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && (strings.Contains(api.ErrorCode(), "AccessDenied") || api.ErrorCode() == "UnauthorizedOperation")
}

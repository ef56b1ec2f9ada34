package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
)

// ErrMovedMeanwhile is why a move was skipped: the task no longer ran the revision it moves from.
var ErrMovedMeanwhile = errors.New("it no longer runs the revision it was to move from; left alone")

// Apply moves each planned task From → To and returns the ones it moved, for Restore. Each is
// read again first and moved only while it still runs From; one that does not is skipped and named
// in the error, as is one that could not be moved. It goes on past either.
func (m *Mover) Apply(ctx context.Context, moves []Move) ([]Move, error) {
	var done []Move
	var errs []error
	for _, mv := range moves {
		if err := m.move(ctx, mv, mv.From, mv.To); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", mv, err))
			continue
		}
		done = append(done, mv)
	}
	return done, errors.Join(errs...)
}

// Restore moves each task back To → From, only while it still runs To.
func (m *Mover) Restore(ctx context.Context, moves []Move) error {
	var errs []error
	for _, mv := range moves {
		if err := m.move(ctx, mv, mv.To, mv.From); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", mv, err))
		}
	}
	return errors.Join(errs...)
}

func (m *Mover) move(ctx context.Context, mv Move, from, to string) error {
	if mv.Kind == KindRule {
		return m.moveRule(ctx, mv, from, to)
	}
	return m.moveSchedule(ctx, mv, from, to)
}

// moveRule sends the rule's target back whole with the new task definition: PutTargets replaces
// a target of the same Id, and reports a refused one in FailedEntries, not as an error
// (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutTargets.html).
func (m *Mover) moveRule(ctx context.Context, mv Move, from, to string) error {
	in := &eventbridge.ListTargetsByRuleInput{Rule: aws.String(mv.Name)}
	for {
		out, err := m.Events.ListTargetsByRule(ctx, in)
		if err != nil {
			return err
		}
		for _, t := range out.Targets {
			if aws.ToString(t.Id) != mv.Target {
				continue
			}
			if t.EcsParameters == nil || aws.ToString(t.EcsParameters.TaskDefinitionArn) != from {
				return ErrMovedMeanwhile
			}
			ecs := *t.EcsParameters
			ecs.TaskDefinitionArn = aws.String(to)
			t.EcsParameters = &ecs
			put, err := m.Events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(mv.Name), Targets: []types.Target{t}})
			if err != nil {
				return err
			}
			if put.FailedEntryCount > 0 {
				f := put.FailedEntries[0]
				return fmt.Errorf("EventBridge refused the target: %s %s", aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage))
			}
			return nil
		}
		if in.NextToken = out.NextToken; aws.ToString(in.NextToken) == "" {
			return errors.New("the rule no longer has this target; left alone")
		}
	}
}

// moveSchedule reads the schedule and sends all of it back with the new task definition:
// UpdateSchedule replaces the whole schedule, and a field left out of it is reset ("we recommend
// that you call GetSchedule and make a note of all optional parameters for your UpdateSchedule
// call", https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html).
func (m *Mover) moveSchedule(ctx context.Context, mv Move, from, to string) error {
	got, err := m.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(mv.Name), GroupName: aws.String(mv.Group)})
	if err != nil {
		return err
	}
	if got.Target == nil || got.Target.EcsParameters == nil || aws.ToString(got.Target.EcsParameters.TaskDefinitionArn) != from {
		return ErrMovedMeanwhile
	}
	in := updateOf(got, m.now())
	target := *in.Target
	ecs := *target.EcsParameters
	ecs.TaskDefinitionArn = aws.String(to)
	target.EcsParameters = &ecs
	in.Target = &target
	_, err = m.Scheduler.UpdateSchedule(ctx, in)
	return err
}

// updateOf is the UpdateSchedule input that leaves the schedule as GetSchedule read it. One field
// is not sent back as read: a StartDate that has passed, which Scheduler refuses for a recurring
// schedule ("The StartDate you specify cannot be earlier than 5 minutes ago", as moto models it
// from AWS) and which means nothing once passed: without it, the schedule may invoke at once, as
// it already may.
func updateOf(got *scheduler.GetScheduleOutput, now time.Time) *scheduler.UpdateScheduleInput {
	start := got.StartDate
	if start != nil && start.Before(now) {
		start = nil
	}
	return &scheduler.UpdateScheduleInput{
		Name:                       got.Name,
		GroupName:                  got.GroupName,
		ScheduleExpression:         got.ScheduleExpression,
		ScheduleExpressionTimezone: got.ScheduleExpressionTimezone,
		FlexibleTimeWindow:         got.FlexibleTimeWindow,
		Target:                     got.Target,
		ActionAfterCompletion:      got.ActionAfterCompletion,
		Description:                got.Description,
		StartDate:                  start,
		EndDate:                    got.EndDate,
		KmsKeyArn:                  got.KmsKeyArn,
		State:                      got.State,
	}
}

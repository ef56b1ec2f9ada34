package schedule

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
)

// Kinds of scheduled task.
const (
	KindRule     = "rule"     // an EventBridge rule's ECS target
	KindSchedule = "schedule" // an EventBridge Scheduler schedule
)

// Mover reads and moves scheduled tasks. Either client may be nil: that kind is not looked for.
type Mover struct {
	Events    EventsAPI
	Scheduler SchedulerAPI
	Now       func() time.Time // nil: time.Now
}

func (m *Mover) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Change asks that the scheduled tasks of Family run To; with From set, only those that run From
// (a rollback moves back only what still runs the revision it undoes).
type Change struct{ Family, From, To string }

// Move is one scheduled task to move, or moved, from one task definition ARN to another.
type Move struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`   // the rule's or the schedule's name
	Group  string `json:"group"`  // the schedule's group; "" for a rule
	Target string `json:"target"` // the rule's target id; "" for a schedule
	From   string `json:"from"`
	To     string `json:"to"`
}

func (m Move) String() string {
	where := m.Kind + " " + m.Name
	switch {
	case m.Target != "":
		where += " (target " + m.Target + ")"
	case m.Group != "" && m.Group != "default":
		where = m.Kind + " " + m.Group + "/" + m.Name
	}
	to := revision(m.To)
	if m.To == "" {
		to = "the new revision"
	}
	return where + ": " + revision(m.From) + " → " + to
}

// Plan lists the scheduled tasks the changes move, touching nothing: every rule of the default
// event bus (ListRules, then ListTargetsByRule for its targets:
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_ListTargetsByRule.html; a target
// runs a task definition when it has EcsParameters.TaskDefinitionArn,
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_EcsParameters.html) and every
// schedule of every group (ListSchedules, whose summaries name only the target's ARN, then
// GetSchedule for its Target.EcsParameters:
// https://docs.aws.amazon.com/scheduler/latest/APIReference/API_GetSchedule.html).
func (m *Mover) Plan(ctx context.Context, changes []Change) ([]Move, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	var moves []Move
	if m.Events != nil {
		in := &eventbridge.ListRulesInput{}
		for {
			out, err := m.Events.ListRules(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("list EventBridge rules: %w", err)
			}
			for _, r := range out.Rules {
				found, err := m.ruleMoves(ctx, aws.ToString(r.Name), changes)
				if err != nil {
					return nil, err
				}
				moves = append(moves, found...)
			}
			if in.NextToken = out.NextToken; aws.ToString(in.NextToken) == "" {
				break
			}
		}
	}
	if m.Scheduler != nil {
		in := &scheduler.ListSchedulesInput{}
		for {
			out, err := m.Scheduler.ListSchedules(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("list EventBridge Scheduler schedules: %w", err)
			}
			for _, s := range out.Schedules {
				got, err := m.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: s.Name, GroupName: s.GroupName})
				if err != nil {
					return nil, fmt.Errorf("read schedule %s: %w", aws.ToString(s.Name), err)
				}
				if got.Target == nil || got.Target.EcsParameters == nil {
					continue
				}
				arn := aws.ToString(got.Target.EcsParameters.TaskDefinitionArn)
				if to, ok := wanted(changes, arn); ok {
					moves = append(moves, Move{Kind: KindSchedule, Name: aws.ToString(s.Name), Group: aws.ToString(got.GroupName), From: arn, To: to})
				}
			}
			if in.NextToken = out.NextToken; aws.ToString(in.NextToken) == "" {
				break
			}
		}
	}
	return moves, nil
}

func (m *Mover) ruleMoves(ctx context.Context, rule string, changes []Change) ([]Move, error) {
	var moves []Move
	in := &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rule)}
	for {
		out, err := m.Events.ListTargetsByRule(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list the targets of rule %s: %w", rule, err)
		}
		for _, t := range out.Targets {
			if t.EcsParameters == nil {
				continue
			}
			arn := aws.ToString(t.EcsParameters.TaskDefinitionArn)
			if to, ok := wanted(changes, arn); ok {
				moves = append(moves, Move{Kind: KindRule, Name: rule, Target: aws.ToString(t.Id), From: arn, To: to})
			}
		}
		if in.NextToken = out.NextToken; aws.ToString(in.NextToken) == "" {
			return moves, nil
		}
	}
}

// wanted is the revision a target on arn moves to, if a change asks for it. A target without a
// revision (task-definition/api) runs the latest ACTIVE revision: it follows by itself.
func wanted(changes []Change, arn string) (string, bool) {
	family, rev, ok := strings.Cut(revision(arn), ":")
	if !ok || rev == "" {
		return "", false
	}
	for _, c := range changes {
		if c.Family == family && arn != c.To && (c.From == "" || c.From == arn) {
			return c.To, true
		}
	}
	return "", false
}

// revision is family:revision of a task definition ARN (or family, when it names no revision).
func revision(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"github.com/slipway-actions/slipway/internal/awstest"
	"github.com/slipway-actions/slipway/internal/schedule"
)

const (
	tdPrefix = "arn:aws:ecs:" + awstest.Region + ":123456789012:task-definition/"
	cluster  = "arn:aws:ecs:" + awstest.Region + ":123456789012:cluster/main"
	role     = "arn:aws:iam::123456789012:role/events-run-task"
)

// fixture is moto holding a rule with three targets (one runs api:1, one another family, one
// api without revision) and a schedule that runs api:1 with every optional field set.
type fixture struct {
	events *eventbridge.Client
	sched  *scheduler.Client
	rec    *awstest.Recorder
	mover  *schedule.Mover
	start  time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	url := aws.String(awstest.Moto(t))
	ctx := context.Background()
	f := &fixture{rec: &awstest.Recorder{}, start: time.Now().Add(time.Hour).Truncate(time.Second)}
	f.events = eventbridge.NewFromConfig(awstest.Config(), func(o *eventbridge.Options) { o.BaseEndpoint = url })
	f.sched = scheduler.NewFromConfig(awstest.Config(), func(o *scheduler.Options) { o.BaseEndpoint = url })
	rcfg := f.rec.Record(awstest.Config())
	f.mover = &schedule.Mover{
		Events:    eventbridge.NewFromConfig(rcfg, func(o *eventbridge.Options) { o.BaseEndpoint = url }),
		Scheduler: scheduler.NewFromConfig(rcfg, func(o *scheduler.Options) { o.BaseEndpoint = url }),
	}
	_, err := f.events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nightly"), ScheduleExpression: aws.String("cron(0 3 * * ? *)")})
	must(t, err)
	_, err = f.events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("unrelated"), ScheduleExpression: aws.String("rate(1 hour)")})
	must(t, err)
	put, err := f.events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nightly"), Targets: []ebtypes.Target{
		ecsTarget("cleanup", "api:1"), ecsTarget("billing", "billing:7"), ecsTarget("latest", "api"),
		{Id: aws.String("queue"), Arn: aws.String("arn:aws:sqs:" + awstest.Region + ":123456789012:q")},
	}})
	must(t, err)
	if put.FailedEntryCount > 0 {
		t.Fatalf("put targets: %+v", put.FailedEntries)
	}
	_, err = f.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("report"), ScheduleExpression: aws.String("cron(0 6 * * ? *)"), ScheduleExpressionTimezone: aws.String("Europe/London"),
		Description: aws.String("weekly report"), State: schtypes.ScheduleStateDisabled, StartDate: aws.Time(f.start), EndDate: aws.Time(f.start.Add(24 * time.Hour * 365)),
		KmsKeyArn:          aws.String("arn:aws:kms:" + awstest.Region + ":123456789012:key/1234"),
		FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(15)},
		Target: &schtypes.Target{Arn: aws.String(cluster), RoleArn: aws.String(role), Input: aws.String(`{"containerOverrides":[]}`),
			RetryPolicy: &schtypes.RetryPolicy{MaximumRetryAttempts: aws.Int32(3), MaximumEventAgeInSeconds: aws.Int32(600)},
			EcsParameters: &schtypes.EcsParameters{TaskDefinitionArn: aws.String(tdPrefix + "api:1"), TaskCount: aws.Int32(2), LaunchType: schtypes.LaunchTypeFargate,
				NetworkConfiguration: &schtypes.NetworkConfiguration{AwsvpcConfiguration: &schtypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}}}}},
	})
	must(t, err)
	_, err = f.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("other"), ScheduleExpression: aws.String("rate(1 day)"), FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeOff},
		Target: &schtypes.Target{Arn: aws.String(cluster), RoleArn: aws.String(role), EcsParameters: &schtypes.EcsParameters{TaskDefinitionArn: aws.String(tdPrefix + "billing:7")}},
	})
	must(t, err)
	return f
}

func ecsTarget(id, td string) ebtypes.Target {
	return ebtypes.Target{Id: aws.String(id), Arn: aws.String(cluster), RoleArn: aws.String(role), Input: aws.String(`{"containerOverrides":[{"name":"web","command":["./cleanup"]}]}`),
		EcsParameters: &ebtypes.EcsParameters{TaskDefinitionArn: aws.String(tdPrefix + td), TaskCount: aws.Int32(1), LaunchType: ebtypes.LaunchTypeFargate,
			NetworkConfiguration: &ebtypes.NetworkConfiguration{AwsvpcConfiguration: &ebtypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}, AssignPublicIp: ebtypes.AssignPublicIpDisabled}}}}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) targets(t *testing.T) map[string]ebtypes.Target {
	out, err := f.events.ListTargetsByRule(context.Background(), &eventbridge.ListTargetsByRuleInput{Rule: aws.String("nightly")})
	must(t, err)
	m := map[string]ebtypes.Target{}
	for _, tg := range out.Targets {
		m[aws.ToString(tg.Id)] = tg
	}
	return m
}

func (f *fixture) schedule(t *testing.T, name string) *scheduler.GetScheduleOutput {
	out, err := f.sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{Name: aws.String(name)})
	must(t, err)
	return out
}

var plan = []schedule.Move{
	{Kind: schedule.KindRule, Name: "nightly", Target: "cleanup", From: tdPrefix + "api:1", To: tdPrefix + "api:2"},
	{Kind: schedule.KindSchedule, Name: "report", Group: "default", From: tdPrefix + "api:1", To: tdPrefix + "api:2"},
}

func TestPlan_ListsTheFamilysRuleTargetsAndSchedulesAndTouchesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	moves, err := f.mover.Plan(context.Background(), []schedule.Change{{Family: "api", To: tdPrefix + "api:2"}})
	must(t, err)
	if !slices.Equal(moves, plan) {
		t.Errorf("plan = %+v\nwant %+v", moves, plan)
	}
	if m := f.rec.Mutating(); len(m) > 0 {
		t.Errorf("Plan made mutating calls %v", m)
	}
	// A rollback's change moves only what runs the revision it undoes.
	moves, err = f.mover.Plan(context.Background(), []schedule.Change{{Family: "api", From: tdPrefix + "api:3", To: tdPrefix + "api:2"}})
	if err != nil || len(moves) != 0 {
		t.Errorf("plan from api:3 = %+v, %v; want nothing (they run api:1)", moves, err)
	}
}

// The case: a scheduled rule's target follows the new revision and is restored; the
// target keeps everything else (PutTargets replaces it whole).
func TestApply_MovesTheRuleTargetAndRestoreMovesItBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	before := f.targets(t)
	done, err := f.mover.Apply(ctx, plan)
	must(t, err)
	if !slices.Equal(done, plan) {
		t.Errorf("done = %+v", done)
	}
	after := f.targets(t)
	want := before["cleanup"]
	ecs := *want.EcsParameters
	ecs.TaskDefinitionArn = aws.String(tdPrefix + "api:2")
	want.EcsParameters = &ecs
	if w, g := jsonOf(want), jsonOf(after["cleanup"]); w != g {
		t.Errorf("moved target:\n got %s\nwant %s", g, w)
	}
	for _, id := range []string{"billing", "latest", "queue"} {
		if b, a := jsonOf(before[id]), jsonOf(after[id]); b != a {
			t.Errorf("target %s changed:\n%s\n%s", id, b, a)
		}
	}
	must(t, f.mover.Restore(ctx, done))
	if got := aws.ToString(f.targets(t)["cleanup"].EcsParameters.TaskDefinitionArn); got != tdPrefix+"api:1" {
		t.Errorf("after restore the target runs %s, want api:1", got)
	}
	if got := aws.ToString(f.schedule(t, "report").Target.EcsParameters.TaskDefinitionArn); got != tdPrefix+"api:1" {
		t.Errorf("after restore the schedule runs %s, want api:1", got)
	}
	ops := f.rec.Ops()
	if ops["EventBridge.PutTargets"] != 2 || ops["Scheduler.UpdateSchedule"] != 2 {
		t.Errorf("calls = %v", ops)
	}
}

// UpdateSchedule replaces the whole schedule: every field but the task definition stays.
func TestApply_KeepsEveryOtherFieldOfTheSchedule(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	before := f.schedule(t, "report")
	_, err := f.mover.Apply(context.Background(), plan[1:])
	must(t, err)
	after := f.schedule(t, "report")
	if got := aws.ToString(after.Target.EcsParameters.TaskDefinitionArn); got != tdPrefix+"api:2" {
		t.Fatalf("schedule runs %s, want api:2", got)
	}
	after.Target.EcsParameters.TaskDefinitionArn = before.Target.EcsParameters.TaskDefinitionArn
	after.LastModificationDate, after.ResultMetadata = before.LastModificationDate, before.ResultMetadata
	if b, a := jsonOf(before), jsonOf(after); b != a {
		t.Errorf("schedule changed besides its task definition:\nbefore %s\n after %s", b, a)
	}
	if aws.ToString(before.Description) == "" || before.StartDate == nil || before.KmsKeyArn == nil || before.State != schtypes.ScheduleStateDisabled {
		t.Errorf("the fixture lost its optional fields: %+v", before)
	}
}

// A task moved by someone else meanwhile is left alone, and said so.
func TestRestore_LeavesATaskMovedMeanwhile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	done, err := f.mover.Apply(ctx, plan[:1])
	must(t, err)
	_, err = f.events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nightly"), Targets: []ebtypes.Target{ecsTarget("cleanup", "api:3")}})
	must(t, err)
	if err := f.mover.Restore(ctx, done); !errors.Is(err, schedule.ErrMovedMeanwhile) {
		t.Errorf("restore = %v, want ErrMovedMeanwhile", err)
	}
	if got := aws.ToString(f.targets(t)["cleanup"].EcsParameters.TaskDefinitionArn); got != tdPrefix+"api:3" {
		t.Errorf("the target runs %s, want api:3 left alone", got)
	}
}

// jsonOf is v as JSON: the SDK's structs hold unexported fields that forbid comparing them whole.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

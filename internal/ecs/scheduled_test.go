package ecs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/slipway-actions/slipway/internal/awstest"
	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/preflight"
	"github.com/slipway-actions/slipway/internal/schedule"
)

const cluster = "arn:aws:ecs:eu-west-2:123456789012:cluster/main"

// scheduled is moto with an EventBridge rule and a Scheduler schedule that run api's first
// revision, the deployer following them; the deployment itself is the fake ECS's.
type scheduled struct {
	*setup
	events *eventbridge.Client
	sched  *scheduler.Client
}

func newScheduled(t *testing.T) *scheduled {
	t.Helper()
	s := &scheduled{setup: newSetup(t)}
	url := aws.String(awstest.Moto(t))
	ctx := context.Background()
	s.events = eventbridge.NewFromConfig(awstest.Config(), func(o *eventbridge.Options) { o.BaseEndpoint = url })
	s.sched = scheduler.NewFromConfig(awstest.Config(), func(o *scheduler.Options) { o.BaseEndpoint = url })
	s.dep.Scheduled = &schedule.Mover{Events: s.events, Scheduler: s.sched}
	_, err := s.events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nightly"), ScheduleExpression: aws.String("cron(0 3 * * ? *)")})
	must(t, err)
	_, err = s.events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nightly"), Targets: []ebtypes.Target{{Id: aws.String("cleanup"),
		Arn: aws.String(cluster), RoleArn: aws.String("arn:aws:iam::123456789012:role/events"),
		EcsParameters: &ebtypes.EcsParameters{TaskDefinitionArn: aws.String(s.previous["api"]), TaskCount: aws.Int32(1)}}}})
	must(t, err)
	_, err = s.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("report"), ScheduleExpression: aws.String("rate(1 day)"),
		Description: aws.String("daily report"), FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeOff},
		Target: &schtypes.Target{Arn: aws.String(cluster), RoleArn: aws.String("arn:aws:iam::123456789012:role/scheduler"),
			EcsParameters: &schtypes.EcsParameters{TaskDefinitionArn: aws.String(s.previous["api"])}}})
	must(t, err)
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// runs is what the rule's target and the schedule run.
func (s *scheduled) runs(t *testing.T) (rule, sched string) {
	t.Helper()
	ctx := context.Background()
	out, err := s.events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("nightly")})
	must(t, err)
	got, err := s.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("report")})
	must(t, err)
	if aws.ToString(got.Description) != "daily report" {
		t.Errorf("the schedule lost its description: %+v", got)
	}
	return aws.ToString(out.Targets[0].EcsParameters.TaskDefinitionArn), aws.ToString(got.Target.EcsParameters.TaskDefinitionArn)
}

// The case: a scheduled rule's target (and a schedule) follows the new revision with the
// service, and a rollback of that deploy puts it back.
func TestDeploy_ScheduledTasksFollowTheNewRevisionAndRollBackRestoresThem(t *testing.T) {
	t.Parallel()
	s := newScheduled(t)
	rep, err := s.deploy(t, s.options())
	must(t, err)
	next := rep.Services[0].TaskDefinitionARN
	if rule, sched := s.runs(t); rule != next || sched != next {
		t.Fatalf("after the deploy the rule runs %s and the schedule %s, want %s", rule, sched, next)
	}
	if len(rep.ScheduledMoved) != 2 {
		t.Errorf("moved = %+v", rep.ScheduledMoved)
	}
	b, _ := json.Marshal(rep.Services)
	targets, err := ecs.ParseResults(string(b))
	must(t, err)
	back, err := s.dep.RollBack(context.Background(), s.rollbackOptions(targets))
	must(t, err)
	if rule, sched := s.runs(t); rule != s.previous["api"] || sched != s.previous["api"] {
		t.Errorf("after the rollback the rule runs %s and the schedule %s, want %s", rule, sched, s.previous["api"])
	}
	if back.Services[0].Status != ecs.StatusRolledBack || len(back.ScheduledMoved) != 2 {
		t.Errorf("rollback = %+v, moved %+v", back.Services[0], back.ScheduledMoved)
	}
}

// A deploy that fails moves no scheduled task: they never ran the revision that failed.
func TestDeploy_AFailedDeployLeavesScheduledTasks(t *testing.T) {
	t.Parallel()
	s := newScheduled(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop})
	_, err := s.deploy(t, s.options())
	if failure.Of(err) != failure.Checked {
		t.Fatalf("err = %v, want a failed deploy", err)
	}
	if rule, sched := s.runs(t); rule != s.previous["api"] || sched != s.previous["api"] {
		t.Errorf("the rule runs %s and the schedule %s, want %s", rule, sched, s.previous["api"])
	}
}

func TestDeploy_DryRunListsScheduledTasksAndMovesNone(t *testing.T) {
	t.Parallel()
	s := newScheduled(t)
	o := s.options()
	o.DryRun = true
	rep, err := s.deploy(t, o)
	must(t, err)
	if len(rep.Scheduled) != 2 || len(rep.ScheduledMoved) != 0 || !strings.HasPrefix(rep.Scheduled[0].String(), "rule nightly (target cleanup): api:1 → the new revision") {
		t.Errorf("planned %v, moved %v", rep.Scheduled, rep.ScheduledMoved)
	}
	if rule, sched := s.runs(t); rule != s.previous["api"] || sched != s.previous["api"] {
		t.Errorf("a dry run moved them: the rule runs %s and the schedule %s", rule, sched)
	}
}

// Verify's problems join Prepare's, as bad input before anything is registered: moto holds none of
// what api's task definition needs (its log group), and verify made no mutating call.
func TestPrepare_VerifyListsProblemsAndNothingIsRegistered(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	url := aws.String(awstest.Moto(t))
	rec := &awstest.Recorder{}
	cfg := rec.Record(awstest.Config())
	s.dep.Verify = &preflight.Checker{Region: awstest.Region,
		IAM:     iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = url }),
		Secrets: secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = url }),
		SSM:     ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = url }),
		Logs:    cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = url }),
		ECR:     ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.BaseEndpoint = url }),
		EC2:     ec2Reader(cfg, url, rec),
	}
	o := s.options()
	o.Secrets = map[string]map[string]string{"api": {"DB": "arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf"}}
	_, err := s.deploy(t, o)
	for _, want := range []string{
		"verify: service api, container api: secret DB: Secrets Manager secret arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf does not exist",
		"verify: service api, container api: log group /ecs/api (awslogs-group) does not exist",
		"verify: service api: the task definition has no executionRoleArn, but container api has secrets",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err lacks %q:\n%v", want, err)
		}
	}
	if !failure.IsBadInput(err) {
		t.Errorf("err class %v, want bad input", failure.Of(err))
	}
	if calls, _ := s.fake.Calls(); calls["RegisterTaskDefinition"] != 0 || calls["UpdateService"] != 0 {
		t.Errorf("ECS calls = %v", calls)
	}
	if m := rec.Mutating(); len(m) > 0 || len(rec.Ops()) == 0 {
		t.Errorf("verify's calls: %v, mutating %v", rec.Ops(), m)
	}
}

// A rollback's dry run lists the scheduled tasks that would go back, and moves none.
func TestRollBack_DryRunListsScheduledTasks(t *testing.T) {
	t.Parallel()
	s := newScheduled(t)
	rep, err := s.deploy(t, s.options())
	must(t, err)
	next := rep.Services[0].TaskDefinitionARN
	b, _ := json.Marshal(rep.Services)
	targets, err := ecs.ParseResults(string(b))
	must(t, err)
	o := s.rollbackOptions(targets)
	o.DryRun = true
	back, err := s.dep.RollBack(context.Background(), o)
	must(t, err)
	if len(back.Scheduled) != 2 || len(back.ScheduledMoved) != 0 || back.Scheduled[0].String() != "rule nightly (target cleanup): api:2 → api:1" {
		t.Errorf("planned %v, moved %v", back.Scheduled, back.ScheduledMoved)
	}
	if rule, sched := s.runs(t); rule != next || sched != next {
		t.Errorf("a dry run moved them: the rule runs %s and the schedule %s", rule, sched)
	}
}

// ec2Reader is preflight's EC2 reader on cfg against url, its calls counted by rec.
func ec2Reader(cfg aws.Config, url *string, rec *awstest.Recorder) *preflight.EC2 {
	cfg.BaseEndpoint = url
	c := preflight.NewEC2(cfg)
	c.Observe = rec.Observe
	return c
}

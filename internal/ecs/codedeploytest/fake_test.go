package codedeploytest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/slipway-actions/slipway/internal/ecs/codedeploytest"
)

const goodSpec = `{"version": 0.0, "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": {
  "TaskDefinition": "arn:aws:ecs:eu-west-2:123456789012:task-definition/api:2",
  "LoadBalancerInfo": {"ContainerName": "api", "ContainerPort": 8080}}}}]}`

// The AppSpec file reference's own YAML example for ECS, shortened.
const yamlSpec = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "arn:aws:ecs:us-east-1:111222333444:task-definition/my-task-definition-family-name:1"
        LoadBalancerInfo:
          ContainerName: "SampleApplicationName"
          ContainerPort: 80
        PlatformVersion: "LATEST"
        NetworkConfiguration:
          AwsvpcConfiguration:
            Subnets: ["subnet-1234abcd","subnet-5678abcd"]
            SecurityGroups: ["sg-12345678"]
            AssignPublicIp: "ENABLED"
Hooks:
  - BeforeInstall: "LambdaFunctionToValidateBeforeInstall"
  - AfterAllowTraffic: "LambdaFunctionToValidateAfterTraffic"
`

func client(f *codedeploytest.Fake) *codedeploy.Client {
	return codedeploy.New(codedeploy.Options{Region: "eu-west-2", BaseEndpoint: aws.String(f.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secretExample", "")})
}

func create(c *codedeploy.Client, app, group, content string) (*codedeploy.CreateDeploymentOutput, error) {
	return c.CreateDeployment(context.Background(), &codedeploy.CreateDeploymentInput{ApplicationName: aws.String(app), DeploymentGroupName: aws.String(group),
		Revision: &types.RevisionLocation{RevisionType: types.RevisionLocationTypeAppSpecContent, AppSpecContent: &types.AppSpecContent{Content: aws.String(content)}}})
}

func TestCheckAppSpec(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, spec, refusal string }{
		{"json", goodSpec, ""},
		{"the reference's yaml", yamlSpec, ""},
		{"version 1", strings.Replace(goodSpec, "0.0", "1", 1), "version must be 0.0"},
		{"not ecs", strings.Replace(goodSpec, "AWS::ECS::Service", "AWS::Lambda::Function", 1), "Type must be AWS::ECS::Service"},
		{"no port", strings.Replace(goodSpec, `, "ContainerPort": 8080`, "", 1), "ContainerPort"},
		{"no task definition", strings.Replace(goodSpec, `"TaskDefinition"`, `"TaskDef"`, 1), "unknown property: TaskDef"},
		{"a hook ECS has not", yamlSpec + "  - Install: \"fn\"\n", "Install"},
		{"bad public ip", strings.Replace(yamlSpec, `AssignPublicIp: "ENABLED"`, `AssignPublicIp: "YES"`, 1), "AssignPublicIp"},
		{"not yaml", "{", "not valid YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, refusal := codedeploytest.CheckAppSpec(tc.spec)
			if (tc.refusal == "") != (refusal == "") || !strings.Contains(refusal, tc.refusal) {
				t.Errorf("refusal = %q, want %q", refusal, tc.refusal)
			}
		})
	}
}

func TestFake_AnswersAsTheAPIReferenceSays(t *testing.T) {
	t.Parallel()
	f := codedeploytest.New(t)
	f.AddDeploymentGroup("app", "dg", "main", "api", "arn:aws:ecs:eu-west-2:123456789012:task-definition/api:1", true)
	c := client(f)
	ctx := context.Background()
	if _, err := c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("nope"), DeploymentGroupName: aws.String("dg")}); !errors.As(err, new(*types.ApplicationDoesNotExistException)) {
		t.Errorf("unknown application: %v", err)
	}
	if _, err := c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("nope")}); !errors.As(err, new(*types.DeploymentGroupDoesNotExistException)) {
		t.Errorf("unknown group: %v", err)
	}
	g, err := c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("app"), DeploymentGroupName: aws.String("dg")})
	if err != nil || g.DeploymentGroupInfo.ComputePlatform != types.ComputePlatformEcs || aws.ToString(g.DeploymentGroupInfo.EcsServices[0].ServiceName) != "api" || !g.DeploymentGroupInfo.AutoRollbackConfiguration.Enabled {
		t.Fatalf("group = %+v, %v", g, err)
	}
	if _, err := create(c, "app", "dg", "version: 0.0\n"); !errors.As(err, new(*types.InvalidRevisionException)) {
		t.Errorf("bad AppSpec: %v", err)
	}
	f.Script(codedeploytest.Scenario{Outcome: codedeploytest.Fail, Ticks: 1, FailAt: "Install"})
	out, err := create(c, "app", "dg", goodSpec)
	if err != nil || !strings.HasPrefix(aws.ToString(out.DeploymentId), "d-") {
		t.Fatalf("create = %+v, %v", out, err)
	}
	if _, err := create(c, "app", "dg", goodSpec); !errors.As(err, new(*types.DeploymentLimitExceededException)) {
		t.Errorf("a second deployment while one is active: %v", err)
	}
	got, err := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: out.DeploymentId})
	if err != nil {
		t.Fatal(err)
	}
	info := got.DeploymentInfo
	if info.Status != types.DeploymentStatusFailed || info.ErrorInformation.Code != types.ErrorCodeEcsUpdateError || info.RollbackInfo == nil {
		t.Fatalf("deployment = %+v", info)
	}
	rb, err := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: info.RollbackInfo.RollbackDeploymentId})
	if err != nil || rb.DeploymentInfo.Creator != types.DeploymentCreatorCodeDeployRollback || aws.ToString(rb.DeploymentInfo.RollbackInfo.RollbackTriggeringDeploymentId) != aws.ToString(out.DeploymentId) {
		t.Fatalf("rollback = %+v, %v", rb, err)
	}
	ids, err := c.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: out.DeploymentId})
	if err != nil || len(ids.TargetIds) != 1 || ids.TargetIds[0] != "main:api" {
		t.Fatalf("targets = %+v, %v", ids, err)
	}
	targets, err := c.BatchGetDeploymentTargets(ctx, &codedeploy.BatchGetDeploymentTargetsInput{DeploymentId: out.DeploymentId, TargetIds: ids.TargetIds})
	if err != nil || targets.DeploymentTargets[0].DeploymentTargetType != types.DeploymentTargetTypeEcsTarget {
		t.Fatalf("targets = %+v, %v", targets, err)
	}
	events := targets.DeploymentTargets[0].EcsTarget.LifecycleEvents
	if len(events) != 8 || events[0].Status != types.LifecycleEventStatusSucceeded || events[1].Status != types.LifecycleEventStatusFailed ||
		events[1].Diagnostics == nil || events[1].Diagnostics.ErrorCode != types.LifecycleErrorCodeScriptFailed || events[2].Status != types.LifecycleEventStatusSkipped {
		t.Errorf("lifecycle events = %+v", events)
	}
	if _, err := c.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: out.DeploymentId}); !errors.As(err, new(*types.DeploymentAlreadyCompletedException)) {
		t.Errorf("stop of a failed deployment: %v", err)
	}
	if _, err := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-NOPE")}); !errors.As(err, new(*types.DeploymentDoesNotExistException)) {
		t.Errorf("unknown deployment: %v", err)
	}
}

func TestFake_StopDeploymentRollsBackWhenAsked(t *testing.T) {
	t.Parallel()
	f := codedeploytest.New(t)
	f.AddDeploymentGroup("app", "dg", "main", "api", "arn:aws:ecs:eu-west-2:123456789012:task-definition/api:1", false)
	var moved []string
	f.OnDeployed(func(cluster, service, td string) { moved = append(moved, cluster+"/"+service+"="+td) })
	f.Script(codedeploytest.Scenario{Outcome: codedeploytest.Forever})
	c := client(f)
	ctx := context.Background()
	out, err := create(c, "app", "dg", yamlSpec)
	if err != nil {
		t.Fatal(err)
	}
	stop, err := c.StopDeployment(ctx, &codedeploy.StopDeploymentInput{DeploymentId: out.DeploymentId, AutoRollbackEnabled: aws.Bool(true)})
	if err != nil || stop.Status != types.StopStatusPending {
		t.Fatalf("stop = %+v, %v", stop, err)
	}
	got, _ := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: out.DeploymentId})
	if got.DeploymentInfo.Status != types.DeploymentStatusStopped || got.DeploymentInfo.RollbackInfo == nil {
		t.Fatalf("deployment = %+v", got.DeploymentInfo)
	}
	rb, _ := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: got.DeploymentInfo.RollbackInfo.RollbackDeploymentId})
	if rb.DeploymentInfo.Status != types.DeploymentStatusSucceeded || len(moved) != 1 || moved[0] != "main/api=arn:aws:ecs:eu-west-2:123456789012:task-definition/api:1" {
		t.Errorf("rollback = %s, moved %v", rb.DeploymentInfo.Status, moved)
	}
}

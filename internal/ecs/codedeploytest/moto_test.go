package codedeploytest_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy/types"

	"github.com/slipway-actions/slipway/internal/awstest"
	"github.com/slipway-actions/slipway/internal/ecs/codedeploytest"
)

// seen is what slipway reads of CodeDeploy, from one endpoint, for comparing two.
type seen struct {
	missingApp, missingGroup, missingDeployment string // the error types
	platform                                    types.ComputePlatform
	services                                    []string
	autoRollback                                bool
	app, group                                  string
	statusKnown, noError, noRollback            bool
}

func read(t *testing.T, c *codedeploy.Client, readDeployment bool) seen {
	t.Helper()
	ctx := context.Background()
	var s seen
	errType := func(err error) string {
		var coded interface{ ErrorCode() string }
		if errors.As(err, &coded) {
			return coded.ErrorCode()
		}
		return "no error"
	}
	_, err := c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("nope"), DeploymentGroupName: aws.String("DgpECS-main-api")})
	s.missingApp = errType(err)
	_, err = c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("AppECS-main-api"), DeploymentGroupName: aws.String("nope")})
	s.missingGroup = errType(err)
	_, err = c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String("d-NOPE12345")})
	s.missingDeployment = errType(err)
	g, err := c.GetDeploymentGroup(ctx, &codedeploy.GetDeploymentGroupInput{ApplicationName: aws.String("AppECS-main-api"), DeploymentGroupName: aws.String("DgpECS-main-api")})
	if err != nil {
		t.Fatal(err)
	}
	s.platform = g.DeploymentGroupInfo.ComputePlatform
	for _, e := range g.DeploymentGroupInfo.EcsServices {
		s.services = append(s.services, aws.ToString(e.ClusterName)+"/"+aws.ToString(e.ServiceName))
	}
	s.autoRollback = g.DeploymentGroupInfo.AutoRollbackConfiguration != nil && g.DeploymentGroupInfo.AutoRollbackConfiguration.Enabled
	out, err := create(c, "AppECS-main-api", "DgpECS-main-api", goodSpec)
	if err != nil {
		t.Fatal(err)
	}
	s.app, s.group = "AppECS-main-api", "DgpECS-main-api"
	s.statusKnown, s.noError, s.noRollback = true, true, true
	if aws.ToString(out.DeploymentId) == "" {
		s.app = "no deployment id"
	}
	if !readDeployment {
		return s
	}
	d, err := c.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: out.DeploymentId})
	if err != nil {
		t.Fatal(err)
	}
	info := d.DeploymentInfo
	s.app, s.group = aws.ToString(info.ApplicationName), aws.ToString(info.DeploymentGroupName)
	s.statusKnown = slices.Contains(types.DeploymentStatus("").Values(), info.Status)
	s.noError, s.noRollback = info.ErrorInformation == nil || info.ErrorInformation.Code == "", info.RollbackInfo == nil || aws.ToString(info.RollbackInfo.RollbackDeploymentId) == ""
	return s
}

// moto 5.2.1's CodeDeploy (CreateApplication, CreateDeploymentGroup, CreateDeployment,
// GetDeployment, GetDeploymentGroup) and the fake agree on what slipway reads: the error types of
// what does not exist, an ECS group's platform, services and rollback setting, and a new
// deployment's id. moto answers GetDeployment with createTime as a string, which the SDK refuses
// ("expected Timestamp to be a JSON Number"; CodeDeploy's model says epoch seconds), so a
// deployment's fields are read from the fake only. moto has no StopDeployment nor deployment
// targets, and its deployments never move: the fake's behaviour there rests on the API reference.
func TestFake_AgreesWithMoto(t *testing.T) {
	t.Parallel()
	url := awstest.Moto(t)
	m := codedeploy.NewFromConfig(awstest.Config(), func(o *codedeploy.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	if _, err := m.CreateApplication(ctx, &codedeploy.CreateApplicationInput{ApplicationName: aws.String("AppECS-main-api"), ComputePlatform: types.ComputePlatformEcs}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CreateDeploymentGroup(ctx, &codedeploy.CreateDeploymentGroupInput{ApplicationName: aws.String("AppECS-main-api"), DeploymentGroupName: aws.String("DgpECS-main-api"),
		ServiceRoleArn:            aws.String("arn:aws:iam::123456789012:role/ecsCodeDeployRole"),
		EcsServices:               []types.ECSService{{ClusterName: aws.String("main"), ServiceName: aws.String("api")}},
		DeploymentStyle:           &types.DeploymentStyle{DeploymentType: types.DeploymentTypeBlueGreen, DeploymentOption: types.DeploymentOptionWithTrafficControl},
		AutoRollbackConfiguration: &types.AutoRollbackConfiguration{Enabled: true, Events: []types.AutoRollbackEvent{types.AutoRollbackEventDeploymentFailure}},
	}); err != nil {
		t.Fatal(err)
	}
	f := codedeploytest.New(t)
	f.AddDeploymentGroup("AppECS-main-api", "DgpECS-main-api", "main", "api", "arn:aws:ecs:eu-west-2:123456789012:task-definition/api:1", true)
	fromMoto, fromFake := read(t, m, false), read(t, client(f), false)
	f2 := codedeploytest.New(t)
	f2.AddDeploymentGroup("AppECS-main-api", "DgpECS-main-api", "main", "api", "arn:aws:ecs:eu-west-2:123456789012:task-definition/api:1", true)
	if full := read(t, client(f2), true); !same(full, fromFake) {
		t.Errorf("the fake's deployment = %+v", full)
	}
	t.Logf("moto: %+v", fromMoto)
	if !same(fromMoto, fromFake) {
		t.Errorf("moto and the fake differ:\nmoto %+v\nfake %+v", fromMoto, fromFake)
	}
}

func same(a, b seen) bool {
	return a.missingApp == b.missingApp && a.missingGroup == b.missingGroup && a.missingDeployment == b.missingDeployment &&
		a.platform == b.platform && slices.Equal(a.services, b.services) && a.autoRollback == b.autoRollback &&
		a.app == b.app && a.group == b.group && a.statusKnown == b.statusKnown && a.noError == b.noError && a.noRollback == b.noRollback
}

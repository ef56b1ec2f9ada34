package ecstest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

// A BLUE_GREEN UpdateService, as API_UpdateService.html and API_ServiceDeployment.html say: the
// service's currentServiceDeployment is the new service deployment; it goes IN_PROGRESS through its
// lifecycle stages, production traffic moves to the target revision, and it is SUCCESSFUL only
// after the bake, when the service runs the new revision. Every answer is read through the SDK.
func TestFake_BlueGreenServiceDeploymentAsTheAPIReferenceSays(t *testing.T) {
	f, c, arn := start(t)
	ctx := context.Background()
	next := f.AddService("other", `{"family":"api","containerDefinitions":[{"name":"api","image":"acme/api:2","essential":true,"memory":512}]}`, 1)
	up, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("main"), Service: aws.String("api"), TaskDefinition: aws.String(next),
		DeploymentConfiguration: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(2)}})
	if err != nil {
		t.Fatal(err)
	}
	sdARN := aws.ToString(up.Service.CurrentServiceDeployment)
	if sdARN == "" || up.Service.DeploymentConfiguration.Strategy != types.DeploymentStrategyBlueGreen {
		t.Fatalf("UpdateService answered %+v", up.Service)
	}
	var seen []types.ServiceDeploymentLifecycleStage
	for range 20 {
		out, err := c.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{sdARN}})
		if err != nil || len(out.ServiceDeployments) != 1 {
			t.Fatalf("DescribeServiceDeployments: %v %+v", err, out)
		}
		sd := out.ServiceDeployments[0]
		if aws.ToString(sd.ServiceDeploymentArn) != sdARN || sd.TargetServiceRevision == nil || len(sd.SourceServiceRevisions) != 1 || sd.CreatedAt == nil {
			t.Fatalf("service deployment = %+v", sd)
		}
		if len(seen) == 0 || seen[len(seen)-1] != sd.LifecycleStage {
			seen = append(seen, sd.LifecycleStage)
		}
		if sd.Status == types.ServiceDeploymentStatusSuccessful {
			if *sd.TargetServiceRevision.RequestedProductionTrafficWeight != 100 || sd.FinishedAt == nil || f.ServiceTaskDefinition("api") != next {
				t.Errorf("SUCCESSFUL, but %+v; service on %s", sd.TargetServiceRevision, f.ServiceTaskDefinition("api"))
			}
			break
		}
		if sd.Status != types.ServiceDeploymentStatusInProgress || f.ServiceTaskDefinition("api") != next && sd.LifecycleStage == types.ServiceDeploymentLifecycleStageCleanUp {
			t.Fatalf("status %s at %s", sd.Status, sd.LifecycleStage)
		}
	}
	if len(seen) < 2 || seen[len(seen)-2] != types.ServiceDeploymentLifecycleStageBakeTime {
		t.Errorf("stages %v: want BAKE_TIME before the end", seen)
	}
	if f.ServiceTaskDefinition("api") == arn {
		t.Errorf("the service still runs %s", arn)
	}
	// An ended deployment cannot be stopped; an unknown one is a failure, not an error; more than 20 is refused.
	if _, err := c.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(sdARN)}); !errors.As(err, new(*types.ConflictException)) {
		t.Errorf("StopServiceDeployment of a SUCCESSFUL deployment: %v, want a ConflictException", err)
	}
	out, err := c.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{sdARN + "x"}})
	if err != nil || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Errorf("an unknown ARN: %v %+v", err, out)
	}
	if _, err := c.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: make([]string, 21)}); !errors.As(err, new(*types.InvalidParameterException)) {
		t.Errorf("21 ARNs: %v, want an InvalidParameterException", err)
	}
	if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("main"), Service: aws.String("api"), TaskDefinition: aws.String(arn),
		DeploymentConfiguration: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyLinear, CanaryConfiguration: &types.CanaryConfiguration{}}}); !errors.As(err, new(*types.InvalidParameterException)) {
		t.Errorf("canaryConfiguration with LINEAR: %v, want an InvalidParameterException", err)
	}
}

// StopServiceDeployment with stopType ROLLBACK (API_StopServiceDeployment.html): ROLLBACK_REQUESTED
// (which the next poll moves on, as every poll moves the fake a step), ROLLBACK_IN_PROGRESS, then
// ROLLBACK_SUCCESSFUL with the service back on its source revision.
func TestFake_StopServiceDeploymentRollsBack(t *testing.T) {
	f, c, arn := start(t)
	ctx := context.Background()
	f.Script("api", ecstest.Scenario{Kind: ecstest.Healthy})
	next := f.AddService("other", `{"family":"api","containerDefinitions":[{"name":"api","image":"acme/api:2","essential":true,"memory":512}]}`, 1)
	up, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("main"), Service: aws.String("api"), TaskDefinition: aws.String(next),
		DeploymentConfiguration: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyCanary, BakeTimeInMinutes: aws.Int32(60)}})
	if err != nil {
		t.Fatal(err)
	}
	sdARN := up.Service.CurrentServiceDeployment
	if _, err := c.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: sdARN, StopType: types.StopServiceDeploymentStopTypeRollback}); err != nil {
		t.Fatal(err)
	}
	var statuses []types.ServiceDeploymentStatus
	for range 3 {
		out, err := c.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{*sdARN}})
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, out.ServiceDeployments[0].Status)
		if rb := out.ServiceDeployments[0].Rollback; rb == nil || aws.ToString(rb.Reason) == "" {
			t.Errorf("no rollback detail: %+v", out.ServiceDeployments[0])
		}
	}
	want := []types.ServiceDeploymentStatus{"ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_SUCCESSFUL"}
	if len(statuses) != 3 || statuses[0] != want[0] || statuses[1] != want[1] || statuses[2] != want[2] {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	if got := f.ServiceTaskDefinition("api"); got != arn {
		t.Errorf("service on %s after the rollback, want %s", got, arn)
	}
}

package ecs_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/slipway-actions/slipway/internal/awstest"
	"github.com/slipway-actions/slipway/internal/ecs"
)

// moto registers and updates like ECS but never finishes a deployment: the deploy must fail at its
// timeout with a clear message, and never report success.
func TestDeploy_AgainstMotoFailsAtTheTimeout(t *testing.T) {
	t.Parallel()
	url := awstest.Moto(t)
	client := awsecs.NewFromConfig(awstest.Config(), func(o *awsecs.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	if _, err := client.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("main")}); err != nil {
		t.Fatal(err)
	}
	s := newSetup(t)
	td, err := ecs.ReadTaskDefinition(s.write("moto.json", apiTD))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := client.RegisterTaskDefinition(ctx, td)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateService(ctx, &awsecs.CreateServiceInput{Cluster: aws.String("main"), ServiceName: aws.String("api"),
		TaskDefinition: reg.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeFargate}); err != nil {
		t.Fatal(err)
	}
	s.dep.ECS = client
	o := s.options()
	o.Services[0].File = s.write("moto-api.json", apiTD)
	o.Timeout, o.PollInterval, o.RollBackOnFailure = 2*time.Second, 100*time.Millisecond, false
	o.Version = version(t, "1.2.0") // moto, too, takes the slipway:version tag and answers it with include TAGS
	rep, err := s.deploy(t, o)
	r := rep.Services[0]
	if err == nil || r.Status != ecs.StatusFailed || r.Reason != "not complete after 2s (no deployment of api:2 has started)" {
		t.Fatalf("err = %v, result = %+v", err, r)
	}
	if !strings.HasSuffix(r.TaskDefinitionARN, "task-definition/api:2") {
		t.Errorf("result = %+v, want revision 2 registered", r)
	}
	out, err := client.DescribeTaskDefinition(ctx, &awsecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(r.TaskDefinitionARN), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil || r.PreviousVersion != "1.0.0" || !slices.ContainsFunc(out.Tags, func(tag types.Tag) bool {
		return aws.ToString(tag.Key) == ecs.VersionTag && aws.ToString(tag.Value) == "1.2.0"
	}) {
		t.Errorf("moto holds tags %+v (%v); result %+v", out.Tags, err, r)
	}
	t.Logf("moto's answer: %s", r.Reason)
}

package ecsdeploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/awstest"
	"github.com/slipway-actions/slipway/internal/ecs"
)

// motoTD needs an execution role (in moto, trusting ECS tasks), a secret and a log group (not in
// moto).
const motoTD = `{"family":"api","executionRoleArn":"arn:aws:iam::123456789012:role/exec","containerDefinitions":[{"name":"api","image":"acme/api:1.0.0","essential":true,"memory":512,
 "secrets":[{"name":"DB","valueFrom":"arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf"}],
 "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/api","awslogs-region":"eu-west-2","awslogs-stream-prefix":"api"}}}]}`

// onMoto is a step whose every AWS call, ECS's too, goes to moto: cluster main with service api on
// api:1, and an EventBridge rule whose target runs api:1.
func onMoto(t *testing.T) *actiontest.Runner {
	t.Parallel()
	url := awstest.Moto(t)
	ctx := context.Background()
	cfg := awstest.Config()
	e := aws.String(url)
	client := awsecs.NewFromConfig(cfg, func(o *awsecs.Options) { o.BaseEndpoint = e })
	_, err := client.CreateCluster(ctx, &awsecs.CreateClusterInput{ClusterName: aws.String("main")})
	must(t, err)
	ws := t.TempDir()
	must(t, os.WriteFile(filepath.Join(ws, "api.json"), []byte(motoTD), 0o644))
	td, err := ecs.ReadTaskDefinition(filepath.Join(ws, "api.json"))
	must(t, err)
	reg, err := client.RegisterTaskDefinition(ctx, td)
	must(t, err)
	_, err = client.CreateService(ctx, &awsecs.CreateServiceInput{Cluster: aws.String("main"), ServiceName: aws.String("api"),
		TaskDefinition: reg.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate})
	must(t, err)
	_, err = iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = e }).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("exec"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must(t, err)
	events := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = e })
	_, err = events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nightly"), ScheduleExpression: aws.String("rate(1 day)")})
	must(t, err)
	_, err = events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nightly"), Targets: []ebtypes.Target{{Id: aws.String("cleanup"),
		Arn: aws.String("arn:aws:ecs:eu-west-2:123456789012:cluster/main"), RoleArn: aws.String("arn:aws:iam::123456789012:role/events"),
		EcsParameters: &ebtypes.EcsParameters{TaskDefinitionArn: reg.TaskDefinition.TaskDefinitionArn}}}})
	must(t, err)

	r := actiontest.NewRunner(t)
	r.Env["AWS_ENDPOINT_URL"] = url
	r.Env["AWS_REGION"] = "eu-west-2"
	r.Env["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE"
	r.Env["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
	r.Env["AWS_CONFIG_FILE"] = filepath.Join(t.TempDir(), "none")
	r.Env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(t.TempDir(), "none")
	r.Env["GITHUB_WORKSPACE"] = ws
	r.Input("cluster", "main").Input("services", "api=api.json").Input("images", "api=acme/api:2.0.0").Input("dry-run", "true")
	return r
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A dry run is the verify-only run: the missing secret and log group are listed together, exit 2.
func TestECSDeploy_DryRunVerifiesAndListsEveryProblem(t *testing.T) {
	r := onMoto(t)
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d, want 2; log:\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{
		"service api, container api: secret DB: Secrets Manager secret arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf does not exist",
		"service api, container api: log group /ecs/api (awslogs-group) does not exist",
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
}

// With what it needs in place, the dry run passes verify and lists the scheduled task that would
// follow the service; with scheduled-tasks: leave it lists none.
func TestECSDeploy_DryRunListsTheScheduledTasksThatWouldMove(t *testing.T) {
	r := onMoto(t)
	logs := cloudwatchlogs.NewFromConfig(awstest.Config(), func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(r.Env["AWS_ENDPOINT_URL"]) })
	_, err := logs.CreateLogGroup(context.Background(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/api")})
	must(t, err)
	r.Input("secrets", "api.DB=arn:aws:ssm:eu-west-2:123456789012:parameter/nowhere") // replaces DB; missing too
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "secret DB: SSM parameter nowhere does not exist") || strings.Contains(res.Stdout, "log group") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	r.Input("verify", "false")
	res = r.Run(t, context.Background(), Main)
	const move = "rule nightly (target cleanup): api:1 → the new revision"
	if res.Code != 0 || !strings.Contains(res.Stdout, "dry run: would move scheduled task "+move) || !strings.Contains(res.Summary, "would move "+move) {
		t.Fatalf("exit %d; log:\n%s\nsummary:\n%s", res.Code, res.Stdout, res.Summary)
	}
	r.Input("scheduled-tasks", "leave")
	if res = r.Run(t, context.Background(), Main); res.Code != 0 || strings.Contains(res.Stdout, "scheduled task") {
		t.Errorf("leave: exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

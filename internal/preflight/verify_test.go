package preflight_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/slipway-actions/slipway/internal/awstest"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/preflight"
)

const (
	account  = "123456789012" // moto's default account
	ecsTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}`
	ec2Trust = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":["sts:AssumeRole"]}}`
	manifest = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}`
)

// world is moto holding what a good task definition needs, the clients that made it (not
// recorded), and a Checker whose clients are recorded.
type world struct {
	t                     *testing.T
	rec                   *awstest.Recorder
	checker               *preflight.Checker
	taskRole, execRole    string
	secretARN, image      string
	subnet, securityGroup string
	untrusted             string
	iam                   *iam.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	url := awstest.Moto(t)
	ctx := context.Background()
	cfg := awstest.Config()
	endpoint := aws.String(url)
	w := &world{t: t, rec: &awstest.Recorder{}}
	w.iam = iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = endpoint })
	sm := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.BaseEndpoint = endpoint })
	ps := ssm.NewFromConfig(cfg, func(o *ssm.Options) { o.BaseEndpoint = endpoint })
	logs := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = endpoint })
	reg := ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.BaseEndpoint = endpoint })
	vpc := ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = endpoint })

	w.taskRole = w.role(ctx, "api-task", ecsTrust)
	w.execRole = w.role(ctx, "api-execution", ecsTrust)
	w.untrusted = w.role(ctx, "ec2-only", ec2Trust)
	sec, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("api/db"), SecretString: aws.String("hunter2")})
	must(t, err)
	w.secretARN = aws.ToString(sec.ARN)
	_, err = ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/api/token"), Value: aws.String("t0ken"), Type: ssmtypes.ParameterTypeSecureString})
	must(t, err)
	_, err = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/api")})
	must(t, err)
	_, err = logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/api-worker")}) // a prefix match that is not the group
	must(t, err)
	_, err = reg.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("api")})
	must(t, err)
	w.image = account + ".dkr.ecr." + awstest.Region + ".amazonaws.com/api:1.2.0@" + putImage(ctx, t, reg, manifest)
	v, err := vpc.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	must(t, err)
	sn, err := vpc.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24")})
	must(t, err)
	w.subnet = aws.ToString(sn.Subnet.SubnetId)
	sg, err := vpc.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: v.Vpc.VpcId, GroupName: aws.String("api"), Description: aws.String("api")})
	must(t, err)
	w.securityGroup = aws.ToString(sg.GroupId)

	rcfg := w.rec.Record(awstest.Config())
	w.checker = &preflight.Checker{Region: awstest.Region,
		IAM:     iam.NewFromConfig(rcfg, func(o *iam.Options) { o.BaseEndpoint = endpoint }),
		Secrets: secretsmanager.NewFromConfig(rcfg, func(o *secretsmanager.Options) { o.BaseEndpoint = endpoint }),
		SSM:     ssm.NewFromConfig(rcfg, func(o *ssm.Options) { o.BaseEndpoint = endpoint }),
		Logs:    cloudwatchlogs.NewFromConfig(rcfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = endpoint }),
		ECR:     ecr.NewFromConfig(rcfg, func(o *ecr.Options) { o.BaseEndpoint = endpoint }),
		EC2:     w.ec2(rcfg, endpoint),
	}
	return w
}

// ec2 is the hand-written EC2 reader on cfg against endpoint, its calls counted by w.rec.
func (w *world) ec2(cfg aws.Config, endpoint *string) *preflight.EC2 {
	cfg.BaseEndpoint = endpoint
	c := preflight.NewEC2(cfg)
	c.Observe = w.rec.Observe
	return c
}

func (w *world) role(ctx context.Context, name, trust string) string {
	out, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	must(w.t, err)
	return aws.ToString(out.Role.Arn)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// good is a task definition whose every need exists in w, and the service's network.
func (w *world) good() preflight.Subject {
	return preflight.Subject{Service: "api", Network: &ecstypes.AwsVpcConfiguration{Subnets: []string{w.subnet}, SecurityGroups: []string{w.securityGroup}},
		TaskDefinition: &awsecs.RegisterTaskDefinitionInput{Family: aws.String("api"), TaskRoleArn: aws.String(w.taskRole), ExecutionRoleArn: aws.String(w.execRole),
			ContainerDefinitions: []ecstypes.ContainerDefinition{{
				Name: aws.String("web"), Image: aws.String(w.image),
				Secrets: []ecstypes.Secret{
					{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String(w.secretARN + ":password::")},
					{Name: aws.String("TOKEN"), ValueFrom: aws.String("arn:aws:ssm:" + awstest.Region + ":" + account + ":parameter/api/token")},
				},
				LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/api", "awslogs-region": awstest.Region}},
			}}}}
}

func (w *world) verify(subjects ...preflight.Subject) ([]string, error) {
	w.t.Helper()
	res, err := w.checker.Verify(context.Background(), subjects)
	if err != nil {
		w.t.Fatalf("verify could not read: %v", err)
	}
	if m := w.rec.Mutating(); len(m) > 0 {
		w.t.Errorf("verify made mutating calls: %v (all: %v)", m, w.rec.Ops())
	}
	if res.Calls == 0 {
		w.t.Error("verify made no calls")
	}
	var got []string
	for _, p := range res.Problems {
		got = append(got, p.String())
	}
	for _, u := range res.Unchecked {
		w.t.Errorf("unchecked: %s", u)
	}
	return got, res.Err()
}

func TestVerify_PassesWhenEverythingExists(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	got, err := w.verify(w.good())
	if err != nil || len(got) > 0 {
		t.Fatalf("problems %q, err %v", got, err)
	}
	ops := w.rec.Ops()
	for _, op := range []string{"IAM.GetRole", "Secrets Manager.DescribeSecret", "SSM.GetParameters", "CloudWatch Logs.DescribeLogGroups", "ECR.BatchGetImage", "EC2.DescribeSubnets", "EC2.DescribeSecurityGroups"} {
		if ops[op] == 0 {
			t.Errorf("no %s call: %v", op, ops)
		}
	}
	t.Logf("calls: %v", ops)
}

// The case: a missing secret and a missing log group are listed together, as bad input
// (exit 2), and verify made no mutating call.
func TestVerify_ListsAMissingSecretAndAMissingLogGroupTogether(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.good()
	c := &s.TaskDefinition.ContainerDefinitions[0]
	c.Secrets = append(c.Secrets,
		ecstypes.Secret{Name: aws.String("API_KEY"), ValueFrom: aws.String("arn:aws:secretsmanager:" + awstest.Region + ":" + account + ":secret:api/key-AbCdEf")},
		ecstypes.Secret{Name: aws.String("SALT"), ValueFrom: aws.String("/api/salt")})
	c.LogConfiguration.Options["awslogs-group"] = "/ecs/ap" // exists only as a prefix of /ecs/api
	got, err := w.verify(s)
	want := []string{
		"service api, container web: secret API_KEY: Secrets Manager secret arn:aws:secretsmanager:" + awstest.Region + ":" + account + ":secret:api/key-AbCdEf does not exist (ResourceNotFoundException)",
		"service api, container web: secret SALT: SSM parameter /api/salt does not exist",
		`service api, container web: log group /ecs/ap (awslogs-group) does not exist; create it, or set awslogs-create-group: "true"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !failure.IsBadInput(err) || !strings.Contains(err.Error(), "3 problem(s)") || !strings.Contains(err.Error(), want[0]) || !strings.Contains(err.Error(), want[2]) {
		t.Errorf("err = %v (class %v), want bad input listing all three", err, failure.Of(err))
	}
}

func TestVerify_ListsARoleWithoutTheECSTrust(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.good()
	s.TaskDefinition.TaskRoleArn = aws.String(w.untrusted)
	s.TaskDefinition.ExecutionRoleArn = aws.String("arn:aws:iam::" + account + ":role/gone")
	got, err := w.verify(s)
	want := []string{
		"service api: task role: role " + w.untrusted + " does not trust ecs-tasks.amazonaws.com (its trust policy allows no sts:AssumeRole by that service), so ECS cannot use it",
		"service api: execution role: execution role arn:aws:iam::" + account + ":role/gone does not exist (NoSuchEntity)",
	}
	if !slices.Equal(got, want) || !failure.IsBadInput(err) {
		t.Errorf("problems:\n%s\nwant:\n%s\nerr %v", strings.Join(got, "\n"), strings.Join(want, "\n"), err)
	}
}

func TestVerify_ListsMissingImagesAndNetwork(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.good()
	other := w.good()
	other.Service = "worker"
	other.TaskDefinition.ContainerDefinitions[0].Image = aws.String(account + ".dkr.ecr." + awstest.Region + ".amazonaws.com/api@sha256:" + strings.Repeat("0", 64))
	other.TaskDefinition.ContainerDefinitions = append(other.TaskDefinition.ContainerDefinitions, ecstypes.ContainerDefinition{
		Name: aws.String("sidecar"), Image: aws.String(account + ".dkr.ecr." + awstest.Region + ".amazonaws.com/envoy:1")})
	other.Network.Subnets = append(other.Network.Subnets, "subnet-0000000000")
	other.Network.SecurityGroups = []string{"sg-0000000000"}
	got, err := w.verify(s, other)
	want := []string{
		"service worker, container web: image " + account + ".dkr.ecr." + awstest.Region + ".amazonaws.com/api@sha256:" + strings.Repeat("0", 64) + " is not in ECR repository api (ImageNotFound)",
		"service worker, container sidecar: ECR repository envoy does not exist (RepositoryNotFoundException)",
		"service worker: subnet subnet-0000000000 of the service's network configuration does not exist",
		"service worker: security group sg-0000000000 of the service's network configuration does not exist",
	}
	if !slices.Equal(got, want) || !failure.IsBadInput(err) {
		t.Errorf("problems:\n%s\nwant:\n%s\nerr %v", strings.Join(got, "\n"), strings.Join(want, "\n"), err)
	}
}

func TestVerify_AnExecutionRoleIsNeededForSecretsAndLogs(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.good()
	s.TaskDefinition.ExecutionRoleArn = nil
	got, _ := w.verify(s)
	want := []string{"service api: the task definition has no executionRoleArn, but container web has secrets: ECS needs an execution role for that"}
	if !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}

// putImage puts the manifest as api:1.2.0 and returns its digest. PutImage is not idempotent and the
// SDK retries a try that timed out: on a loaded machine moto may have stored the image the first time,
// and the retry is then ImageAlreadyExistsException, whose image is the one asked for.
func putImage(ctx context.Context, t *testing.T, reg *ecr.Client, manifest string) string {
	t.Helper()
	img, err := reg.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("api"), ImageManifest: aws.String(manifest), ImageTag: aws.String("1.2.0")})
	var exists *ecrtypes.ImageAlreadyExistsException
	if errors.As(err, &exists) {
		out, err := reg.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("api"),
			ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("1.2.0")}}})
		must(t, err)
		return aws.ToString(out.ImageDetails[0].ImageDigest)
	}
	must(t, err)
	return aws.ToString(img.Image.ImageId.ImageDigest)
}

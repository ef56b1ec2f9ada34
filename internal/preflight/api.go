package preflight

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// IAMAPI reads roles; *iam.Client satisfies it.
type IAMAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
}

// SecretsAPI reads secrets' metadata, never their values; *secretsmanager.Client satisfies it.
type SecretsAPI interface {
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// SSMAPI reads parameters; *ssm.Client satisfies it.
type SSMAPI interface {
	GetParameters(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

// LogsAPI lists log groups; *cloudwatchlogs.Client satisfies it.
type LogsAPI interface {
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
}

// ECRAPI reads image manifests; *ecr.Client satisfies it.
type ECRAPI interface {
	BatchGetImage(context.Context, *ecr.BatchGetImageInput, ...func(*ecr.Options)) (*ecr.BatchGetImageOutput, error)
}

// EC2API says which of the given subnets and security groups exist; *EC2 satisfies it (the SDK's
// service/ec2 is left out of the binary for its size, see ec2query.go).
type EC2API interface {
	Subnets(ctx context.Context, ids []string) (existing []string, err error)
	SecurityGroups(ctx context.Context, ids []string) (existing []string, err error)
}

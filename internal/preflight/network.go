package preflight

import (
	"context"
	"slices"
	"strings"

	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// network checks that the subnets and security groups of a service's awsvpc configuration exist.
// It asks by filter (subnet-id, group-id), which answers with the ones that exist rather than
// failing the whole call on the first missing id as SubnetIds and GroupIds do
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html).
func (v *verification) network(ctx context.Context, service string, n *ecstypes.AwsVpcConfiguration) {
	if len(n.Subnets) > 0 {
		have, err := v.EC2.Subnets(ctx, n.Subnets)
		if _, read := v.outcome(service, "", "subnets "+strings.Join(n.Subnets, ", "), err); read {
			v.missing(service, "subnet", n.Subnets, have)
		}
	}
	if len(n.SecurityGroups) > 0 {
		have, err := v.EC2.SecurityGroups(ctx, n.SecurityGroups)
		if _, read := v.outcome(service, "", "security groups "+strings.Join(n.SecurityGroups, ", "), err); read {
			v.missing(service, "security group", n.SecurityGroups, have)
		}
	}
}

func (v *verification) missing(service, kind string, want, have []string) {
	for _, id := range want {
		if !slices.Contains(have, id) {
			v.problem(service, "", kind+" "+id+" of the service's network configuration does not exist")
		}
	}
}

package preflight

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// network checks that the subnets and security groups of a service's awsvpc configuration exist.
// It asks by filter (subnet-id, group-id), which answers with the ones that exist rather than
// failing the whole call on the first missing id as SubnetIds and GroupIds do
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html).
func (v *verification) network(ctx context.Context, service string, n *ecstypes.AwsVpcConfiguration) {
	if len(n.Subnets) > 0 {
		var have []string
		in := &ec2.DescribeSubnetsInput{Filters: []types.Filter{{Name: aws.String("subnet-id"), Values: n.Subnets}}}
		for {
			out, err := v.EC2.DescribeSubnets(ctx, in)
			if _, read := v.outcome(service, "", "subnets "+strings.Join(n.Subnets, ", "), err); !read {
				break
			}
			for _, s := range out.Subnets {
				have = append(have, aws.ToString(s.SubnetId))
			}
			if in.NextToken = out.NextToken; aws.ToString(in.NextToken) == "" {
				v.missing(service, "subnet", n.Subnets, have)
				break
			}
		}
	}
	if len(n.SecurityGroups) > 0 {
		var have []string
		in := &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{{Name: aws.String("group-id"), Values: n.SecurityGroups}}}
		for {
			out, err := v.EC2.DescribeSecurityGroups(ctx, in)
			if _, read := v.outcome(service, "", "security groups "+strings.Join(n.SecurityGroups, ", "), err); !read {
				break
			}
			for _, g := range out.SecurityGroups {
				have = append(have, aws.ToString(g.GroupId))
			}
			if in.NextToken = out.NextToken; aws.ToString(in.NextToken) == "" {
				v.missing(service, "security group", n.SecurityGroups, have)
				break
			}
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

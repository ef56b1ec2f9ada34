package preflight

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// logGroup checks that an awslogs container's log group exists, unless awslogs-create-group asks
// ECS to create it ("Using the awslogs log driver", Amazon ECS Developer Guide). DescribeLogGroups
// matches by prefix (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html),
// so every page is read until the exact name is found.
func (v *verification) logGroup(ctx context.Context, service, container string, options map[string]string) {
	group := options["awslogs-group"]
	switch {
	case group == "":
		v.problem(service, container, "awslogs has no awslogs-group option")
		return
	case options["awslogs-create-group"] == "true":
		return
	case v.elsewhere(options["awslogs-region"]):
		v.unchecked(service, container, "log group "+group+": in region "+options["awslogs-region"]+", not checked from "+v.Region)
		return
	}
	key := "log-group " + group
	problem, seen := v.found[key]
	if !seen {
		problem = v.findLogGroup(ctx, service, container, group)
		v.found[key] = problem
	}
	if problem != "" {
		v.problem(service, container, problem)
	}
}

func (v *verification) findLogGroup(ctx context.Context, service, container, group string) string {
	in := &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)}
	for {
		out, err := v.Logs.DescribeLogGroups(ctx, in)
		if _, read := v.outcome(service, container, "log group "+group, err); !read {
			return ""
		}
		for _, g := range out.LogGroups {
			if aws.ToString(g.LogGroupName) == group {
				return ""
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return "log group " + group + " (awslogs-group) does not exist; create it, or set awslogs-create-group: \"true\""
		}
		in.NextToken = out.NextToken
	}
}

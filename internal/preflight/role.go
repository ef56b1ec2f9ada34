package preflight

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// ecsTasks is the service principal a task or execution role must trust: "the IAM role's trust
// policy must specify ecs-tasks.amazonaws.com" (Amazon ECS Developer Guide, "Amazon ECS task IAM
// role" and "Amazon ECS task execution IAM role").
const ecsTasks = "ecs-tasks.amazonaws.com"

// roleState is what one role's lookup found: "" when it exists and trusts ECS tasks, else why not;
// checked false when it could not be read.
type roleState struct {
	problem string
	checked bool
}

// role checks that the role exists (IAM GetRole,
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html) and that its trust policy
// lets ecs-tasks.amazonaws.com assume it. An empty ARN is no role: nothing to check.
func (v *verification) role(ctx context.Context, service, kind, arn string) {
	if arn == "" {
		return
	}
	st, ok := v.roles[arn]
	if !ok {
		st = &roleState{}
		v.roles[arn] = st
		out, err := v.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(roleName(arn))})
		problem, read := v.outcome(service, "", kind+" "+arn, err, "NoSuchEntity")
		st.problem, st.checked = problem, read || problem != ""
		if read && !trustsECSTasks(aws.ToString(out.Role.AssumeRolePolicyDocument)) {
			st.problem = "role " + arn + " does not trust " + ecsTasks + " (its trust policy allows no sts:AssumeRole by that service), so ECS cannot use it"
		}
	}
	if st.problem != "" {
		v.problem(service, "", kind+": "+st.problem)
	}
}

// roleName is the name GetRole takes: the last part of arn:aws:iam::123456789012:role/path/name.
// A value that is no ARN is taken as the name itself (ECS accepts a role's name too).
func roleName(arn string) string {
	if i := strings.Index(arn, ":role/"); i >= 0 {
		arn = arn[i+len(":role/"):]
	}
	return arn[strings.LastIndex(arn, "/")+1:]
}

// policy is the part of an IAM policy document (IAM JSON policy elements reference) that says who
// may assume a role. Statement, Action and Principal.Service may each be one value or a list.
type policy struct {
	Statement oneOrMany[statement]
}

type statement struct {
	Effect    string
	Action    oneOrMany[string]
	Principal principal
}

// principal is "*" or {"Service": ..., "AWS": ...}.
type principal struct {
	Any     bool
	Service oneOrMany[string]
}

func (p *principal) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		p.Any = s == "*"
		return nil
	}
	var m struct{ Service oneOrMany[string] }
	err := json.Unmarshal(b, &m)
	p.Service = m.Service
	return err
}

type oneOrMany[T any] []T

func (o *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	var one T
	if json.Unmarshal(b, &one) == nil {
		*o = []T{one}
		return nil
	}
	var many []T
	err := json.Unmarshal(b, &many)
	*o = many
	return err
}

// trustsECSTasks reports whether a role's trust policy allows ecs-tasks.amazonaws.com to call
// sts:AssumeRole. GetRole returns the document URL-encoded (RFC 3986), as its reference says; a
// "+" left in it can only be an encoded space (RFC 3986 encodes a plus sign as %2B).
// Conditions (aws:SourceAccount, aws:SourceArn, which ECS recommends) are not evaluated: a
// statement with one still trusts ECS for the tasks it is meant for. A Deny is not weighed against
// the Allow; a trust policy that denies ECS explicitly is rare enough to leave to ECS.
func trustsECSTasks(doc string) bool {
	if dec, err := url.QueryUnescape(doc); err == nil {
		doc = dec
	}
	var p policy
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	for _, s := range p.Statement {
		if s.Effect != "Allow" || !(s.Principal.Any || contains(s.Principal.Service, ecsTasks)) {
			continue
		}
		for _, a := range s.Action {
			switch strings.ToLower(a) {
			case "sts:assumerole", "sts:*", "*":
				return true
			}
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

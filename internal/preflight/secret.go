package preflight

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// secret checks that a secret's valueFrom names something that exists: a Secrets Manager secret
// (DescribeSecret, which reads its metadata and never its value,
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html) or an
// SSM parameter (GetParameters without decryption, whose InvalidParameters lists the names that do
// not exist, https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html;
// the values it returns are dropped unread). valueFrom is, as ECS takes it ("Specifying sensitive
// data", Amazon ECS Developer Guide): a secret's ARN, optionally followed by
// :json-key:version-stage:version-id; a parameter's ARN; or a parameter's name.
func (v *verification) secret(ctx context.Context, service, container, name, from string) {
	what := "secret " + name + " (" + from + ")"
	if from == "" {
		v.problem(service, container, what+" has no valueFrom")
		return
	}
	if v.elsewhere(regionOf(from)) {
		v.unchecked(service, container, what+": in region "+regionOf(from)+", not checked from "+v.Region)
		return
	}
	kind, names := secretRef(from)
	id := names[0]
	key := kind + " " + id
	problem, seen := v.found[key]
	if !seen {
		switch kind {
		case "secret":
			out, err := v.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
			var read bool
			problem, read = v.outcome(service, container, "Secrets Manager secret "+id, err, "ResourceNotFoundException")
			if read && out.DeletedDate != nil {
				problem = "Secrets Manager secret " + id + " is scheduled for deletion: ECS cannot read it"
			}
		default:
			out, err := v.SSM.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
			var read bool
			problem, read = v.outcome(service, container, "SSM parameter "+id, err, "ParameterNotFound")
			if read && len(out.Parameters) == 0 {
				problem = "SSM parameter " + id + " does not exist"
			}
		}
		v.found[key] = problem
	}
	if problem != "" {
		v.problem(service, container, "secret "+name+": "+problem)
	}
}

// secretRef is what to look up for a valueFrom: ("secret", the secret's ARN without ECS's JSON key
// and version suffix) or ("parameter", the names the parameter may have). A parameter ARN,
// arn:aws:ssm:region:account:parameter/name, drops the leading slash of a hierarchical name
// (/app/db); a name with a slash must begin with one, so that name is restored, but
// parameter/db may be "db" or "/db": both are asked for, and either is the parameter.
func secretRef(from string) (kind string, names []string) {
	parts := strings.Split(from, ":")
	if len(parts) >= 7 && parts[0] == "arn" && parts[2] == "secretsmanager" {
		return "secret", []string{strings.Join(parts[:7], ":")}
	}
	if len(parts) >= 6 && parts[0] == "arn" && parts[2] == "ssm" {
		rest := strings.TrimPrefix(strings.Join(parts[5:], ":"), "parameter")
		if strings.Count(rest, "/") > 1 {
			return "parameter", []string{rest}
		}
		return "parameter", []string{strings.TrimPrefix(rest, "/"), rest}
	}
	return "parameter", []string{from}
}

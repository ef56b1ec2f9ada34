package preflight

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/slipway-actions/slipway/internal/failure"
)

// Subject is one service's rendered task definition, and its awsvpc network (nil when it has none).
type Subject struct {
	Service        string
	TaskDefinition *awsecs.RegisterTaskDefinitionInput
	Network        *ecstypes.AwsVpcConfiguration
}

// Problem is one thing a task definition needs that is missing or wrong.
type Problem struct {
	Service   string
	Container string // "" for the task's own needs: its roles, its network
	What      string
}

func (p Problem) String() string {
	where := "service " + p.Service
	if p.Container != "" {
		where += ", container " + p.Container
	}
	return where + ": " + p.What
}

// Result is what Verify found: the problems, and what it could not check (the deploy's
// credentials may not read it, or it is in another region), which is no problem of the input.
type Result struct {
	Problems  []Problem
	Unchecked []Problem
	Calls     int // read-only API calls made
}

// Err is the problems as one bad-input error, every one listed; nil when there is none.
func (r *Result) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	var errs []error
	for _, p := range r.Problems {
		errs = append(errs, errors.New(p.String()))
	}
	return failure.BadInput(fmt.Errorf("verify found %d problem(s) before deploying; nothing was changed:\n%w", len(r.Problems), errors.Join(errs...)))
}

// Checker verifies with one client per service. Region is the clients' region: resources named in
// another region are reported as unchecked rather than looked for in the wrong one.
type Checker struct {
	IAM     IAMAPI
	Secrets SecretsAPI
	SSM     SSMAPI
	Logs    LogsAPI
	ECR     ECRAPI
	EC2     EC2API
	Region  string
}

// Verify checks every subject and returns all it found. The error is for calls that failed for
// another reason than a missing resource or a denied read (the API unreachable, throttled past the
// SDK's retries): then the result is incomplete.
func (c *Checker) Verify(ctx context.Context, subjects []Subject) (*Result, error) {
	v := &verification{Checker: c, res: &Result{}, roles: map[string]*roleState{}, found: map[string]string{}}
	for _, s := range subjects {
		v.subject(ctx, s)
	}
	return v.res, errors.Join(v.errs...)
}

// verification is one Verify run: what it found so far, and what it already looked up (a secret,
// a log group or a role shared by services is read once).
type verification struct {
	*Checker
	res   *Result
	errs  []error
	roles map[string]*roleState
	found map[string]string // "kind name" → "" when it exists, else why it does not
}

func (v *verification) subject(ctx context.Context, s Subject) {
	td := s.TaskDefinition
	v.role(ctx, s.Service, "task role", aws.ToString(td.TaskRoleArn))
	needsExecution := ""
	for _, c := range td.ContainerDefinitions {
		name := aws.ToString(c.Name)
		for _, sec := range c.Secrets {
			v.secret(ctx, s.Service, name, aws.ToString(sec.Name), aws.ToString(sec.ValueFrom))
			needsExecution = cmpOr(needsExecution, "container "+name+" has secrets")
		}
		if lc := c.LogConfiguration; lc != nil {
			for _, sec := range lc.SecretOptions {
				v.secret(ctx, s.Service, name, "log option "+aws.ToString(sec.Name), aws.ToString(sec.ValueFrom))
			}
			if lc.LogDriver == ecstypes.LogDriverAwslogs {
				v.logGroup(ctx, s.Service, name, lc.Options)
				needsExecution = cmpOr(needsExecution, "container "+name+" logs with awslogs")
			}
		}
		if rc := c.RepositoryCredentials; rc != nil {
			v.secret(ctx, s.Service, name, "repository credentials", aws.ToString(rc.CredentialsParameter))
			needsExecution = cmpOr(needsExecution, "container "+name+" pulls with repository credentials")
		}
		v.image(ctx, s.Service, name, aws.ToString(c.Image))
	}
	if exec := aws.ToString(td.ExecutionRoleArn); exec != "" {
		v.role(ctx, s.Service, "execution role", exec)
	} else if needsExecution != "" {
		v.problem(s.Service, "", "the task definition has no executionRoleArn, but "+needsExecution+": ECS needs an execution role for that")
	}
	if s.Network != nil {
		v.network(ctx, s.Service, s.Network)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (v *verification) problem(service, container, what string) {
	v.res.Problems = append(v.res.Problems, Problem{Service: service, Container: container, What: what})
}

func (v *verification) unchecked(service, container, what string) {
	p := Problem{Service: service, Container: container, What: what}
	if !slices.Contains(v.res.Unchecked, p) {
		v.res.Unchecked = append(v.res.Unchecked, p)
	}
}

// outcome sorts a read's error: nil, a missing resource (a problem), a denied read (unchecked), or
// anything else (an error of the run). It returns the problem's text, if any.
func (v *verification) outcome(service, container, what string, err error, missing ...string) (problem string, ok bool) {
	v.res.Calls++
	if err == nil {
		return "", true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		if slices.Contains(missing, code) {
			return what + " does not exist (" + code + ")", false
		}
		if strings.Contains(code, "AccessDenied") || code == "UnauthorizedOperation" || code == "AuthorizationError" {
			v.unchecked(service, container, what+": the deploy's credentials may not read it ("+code+")")
			return "", false
		}
	}
	v.errs = append(v.errs, fmt.Errorf("service %s: verify %s: %w", service, what, err))
	return "", false
}

// regionOf is the region field of an ARN, "" when s is not an ARN.
func regionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

func (v *verification) elsewhere(region string) bool {
	return region != "" && v.Region != "" && region != v.Region
}

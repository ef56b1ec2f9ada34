// Package preflight checks, before a deploy moves anything, that what each rendered ECS task
// definition needs exists: the task and execution roles, and that each trusts
// ecs-tasks.amazonaws.com; every secret's Secrets Manager secret or SSM parameter; the log group
// of every awslogs container; each ECR image, by digest or tag; the subnets and security groups of
// the service's awsvpc network. It makes read-only calls only (Get, Describe, List, BatchGet) and
// lists every problem at once, each naming the service, the container and what is missing, as bad
// input (package failure).
//
// What it does not check: that the execution role may read each secret (IAM's policy simulator,
// SimulatePrincipalPolicy, would say, but the deploy's credentials rarely may call it, and moto,
// the tests' AWS, does not model it), only that the secret or parameter exists and the deploy's
// own credentials can see it; that images outside ECR exist; resources in another region than the
// client's (a secret ARN or awslogs-region naming another region is checked in the client's).
//
// It does not render task definitions (package ecs) nor decide exit codes (the action).
package preflight

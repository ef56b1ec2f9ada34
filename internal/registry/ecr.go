package registry

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// ECRAPI is the part of the ECR API slipway calls.
type ECRAPI interface {
	GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
	CreateRepository(context.Context, *ecr.CreateRepositoryInput, ...func(*ecr.Options)) (*ecr.CreateRepositoryOutput, error)
	PutLifecyclePolicy(context.Context, *ecr.PutLifecyclePolicyInput, ...func(*ecr.Options)) (*ecr.PutLifecyclePolicyOutput, error)
}

func (p *Publisher) ecr(r Registry) (ECRAPI, error) {
	if p.ECR == nil {
		return nil, fmt.Errorf("%s is an ECR registry but no AWS configuration was given", r.Host)
	}
	return p.ECR(r.Region)
}

// ecrRepository is what slipway learns of an ECR repository before it pushes.
type ecrRepository struct {
	exists     bool
	mutability types.ImageTagMutability
	exclusions []string // WILDCARD filters: the tags they match follow the opposite rule
}

// immutable reports whether ECR refuses to move the tag: IMMUTABLE, IMMUTABLE_WITH_EXCLUSION for a
// tag no exclusion filter matches, MUTABLE_WITH_EXCLUSION for one that a filter matches (a filter's
// * matches any run of characters: "Preventing image tags from being overwritten",
// docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html).
func (r ecrRepository) immutable(tag string) bool {
	excluded := slices.ContainsFunc(r.exclusions, func(f string) bool { ok, _ := path.Match(f, tag); return ok })
	switch r.mutability {
	case types.ImageTagMutabilityImmutable:
		return true
	case types.ImageTagMutabilityImmutableWithExclusion:
		return !excluded
	case types.ImageTagMutabilityMutableWithExclusion:
		return excluded
	}
	return false
}

// describeRepository looks the repository up in the registry's own account.
func (p *Publisher) describeRepository(ctx context.Context, r Registry, repo string) (ecrRepository, error) {
	api, err := p.ecr(r)
	if err != nil {
		return ecrRepository{}, err
	}
	out, err := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{
		RegistryId: aws.String(r.Account), RepositoryNames: []string{repo},
	})
	var nf *types.RepositoryNotFoundException
	switch {
	case errors.As(err, &nf):
		return ecrRepository{}, nil
	case err != nil:
		return ecrRepository{}, awsRefusal(fmt.Errorf("%s: DescribeRepositories %s: %w", r.Host, repo, err), "allow ecr:DescribeRepositories")
	case len(out.Repositories) == 0:
		return ecrRepository{}, nil
	}
	found := ecrRepository{exists: true, mutability: out.Repositories[0].ImageTagMutability}
	for _, f := range out.Repositories[0].ImageTagMutabilityExclusionFilters {
		found.exclusions = append(found.exclusions, aws.ToString(f.Filter))
	}
	return found, nil
}

// createRepository creates an ECR repository with scan on push and, when given, a lifecycle policy.
func (p *Publisher) createRepository(ctx context.Context, r Registry, repo string) error {
	api, err := p.ecr(r)
	if err != nil {
		return err
	}
	_, err = api.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName: aws.String(repo), RegistryId: aws.String(r.Account),
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true},
		Tags:                       []types.Tag{{Key: aws.String("created-by"), Value: aws.String("slipway")}},
	})
	var exists *types.RepositoryAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("%s: CreateRepository %s: %w — allow ecr:CreateRepository, or create it and set create-repositories: false", r.Host, repo, err)
	}
	if p.LifecyclePolicy != "" {
		if _, err := api.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{
			RepositoryName: aws.String(repo), RegistryId: aws.String(r.Account), LifecyclePolicyText: aws.String(p.LifecyclePolicy),
		}); err != nil {
			return fmt.Errorf("%s: PutLifecyclePolicy %s: %w", r.Host, repo, err)
		}
	}
	p.infof("%s: created repository %s (scan on push)", r.Host, repo)
	return nil
}

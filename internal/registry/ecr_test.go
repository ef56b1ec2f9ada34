package registry

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/awstest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

// ecrPublisher is a publisher whose ECR API is moto's and whose ECR registry is the fake of moto's
// account, at its loopback address.
func ecrPublisher(t *testing.T, cli *client.Client) (*Publisher, *ecr.Client, *registrytest.ECR, Registry) {
	t.Helper()
	api := ecr.NewFromConfig(awstest.Config(), func(o *ecr.Options) { o.BaseEndpoint = aws.String(awstest.Moto(t)) })
	fake := registrytest.NewECR(t, api)
	p := newPublisher(t, cli)
	p.ECR = func(string) (ECRAPI, error) { return api, nil }
	return p, api, fake, Registry{Raw: "ecr", Kind: ECR, Host: fake.Host, Account: fake.Account(), Region: awstest.Region}
}

func createRepository(t *testing.T, api *ecr.Client, repo string, mut ecrtypes.ImageTagMutability, exclude ...string) {
	t.Helper()
	in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo), ImageTagMutability: mut}
	for _, f := range exclude {
		in.ImageTagMutabilityExclusionFilters = append(in.ImageTagMutabilityExclusionFilters,
			ecrtypes.ImageTagMutabilityExclusionFilter{Filter: aws.String(f), FilterType: ecrtypes.ImageTagMutabilityExclusionFilterTypeWildcard})
	}
	if _, err := api.CreateRepository(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

// A repository's exclusion filters turn its rule around for the tags they match: IMMUTABLE versions
// with a moving latest, or MUTABLE branches with immutable releases. The check follows them, so a
// release moves what ECR lets it move and stops, before anything is pushed, at what ECR would refuse.
func TestECR_ExclusionFiltersDecideWhichTagsMayMove(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	p, api, fake, reg := ecrPublisher(t, cli)
	createRepository(t, api, "api", ecrtypes.ImageTagMutabilityImmutableWithExclusion, "latest")
	createRepository(t, api, "web", ecrtypes.ImageTagMutabilityMutableWithExclusion, "v*")
	ctx := context.Background()
	release := func(img Image) ([]Result, error) {
		plan, err := p.Check(ctx, []Image{img}, []Registry{reg})
		if err != nil {
			return nil, err
		}
		res, err := p.Push(ctx, plan)
		cleanupRefs(t, cli, res)
		return res, err
	}
	auth := fake.Auth()

	first, second := testImage(t, cli, 1024), testImage(t, cli, 1024)
	if _, err := release(Image{Name: "api", ID: first, Tags: []string{"1.0.0", "latest"}}); err != nil {
		t.Fatal(err)
	}
	res, err := release(Image{Name: "api", ID: second, Tags: []string{"1.0.1", "latest"}})
	if err != nil {
		t.Fatalf("latest is excluded from immutability: %v", err)
	}
	if got := registrytest.Tags(t, fake.Host+"/api", auth); got["latest"] != res[0].Digest || got["1.0.0"] == res[0].Digest {
		t.Errorf("api holds %v, want latest moved to %s and 1.0.0 kept", got, res[0].Digest)
	}
	_, err = release(Image{Name: "api", ID: first, Tags: []string{"1.0.1"}})
	if err == nil || !Refused(err) || !strings.Contains(err.Error(), "tags are immutable and 1.0.1 holds image "+ShortDigest(second)) {
		t.Errorf("moving 1.0.1 of an IMMUTABLE_WITH_EXCLUSION repository: %v", err)
	}

	if _, err := release(Image{Name: "web", ID: first, Tags: []string{"v1", "main"}}); err != nil {
		t.Fatal(err)
	}
	_, err = release(Image{Name: "web", ID: second, Tags: []string{"v1", "main"}})
	if err == nil || !Refused(err) || !strings.Contains(err.Error(), "tags are immutable and v1 holds image "+ShortDigest(first)+", not") {
		t.Errorf("moving v1 of a MUTABLE_WITH_EXCLUSION v* repository: %v", err)
	}
	if r := fake.Refused(); len(r) != 0 {
		t.Errorf("the registry refused %v: the check should have stopped those", r)
	}
}

// A repository deleted between the check and the push: ECR answers the engine's push 404
// NAME_UNKNOWN, and the error names the repository.
func TestPush_ARepositoryGoneSinceTheCheckIsNamed(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	p, api, _, reg := ecrPublisher(t, cli)
	createRepository(t, api, "team/api", ecrtypes.ImageTagMutabilityMutable)
	reg.Namespace = "team"
	ctx := context.Background()
	plan, err := p.Check(ctx, []Image{{Name: "api", ID: testImage(t, cli, 1024), Tags: []string{"v1"}}}, []Registry{reg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("team/api")}); err != nil {
		t.Fatal(err)
	}
	res, err := p.Push(ctx, plan)
	cleanupRefs(t, cli, res)
	if err == nil || !strings.Contains(err.Error(), "The repository with name 'team/api' does not exist") {
		t.Fatalf("err = %v, want ECR's NAME_UNKNOWN naming team/api", err)
	}
}

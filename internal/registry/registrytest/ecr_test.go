package registrytest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/slipway-actions/slipway/internal/awstest"
)

// ecrAt is moto's ECR API and the fake registry of its account.
func ecrAt(t *testing.T) (*ecr.Client, *ECR, authn.Authenticator) {
	t.Helper()
	api := ecr.NewFromConfig(awstest.Config(), func(o *ecr.Options) { o.BaseEndpoint = aws.String(awstest.Moto(t)) })
	fake := NewECR(t, api)
	return api, fake, fake.Auth()
}

func createRepository(t *testing.T, api *ecr.Client, repo string, mut types.ImageTagMutability, exclude ...string) {
	t.Helper()
	in := &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo), ImageTagMutability: mut}
	for _, f := range exclude {
		in.ImageTagMutabilityExclusionFilters = append(in.ImageTagMutabilityExclusionFilters,
			types.ImageTagMutabilityExclusionFilter{Filter: aws.String(f), FilterType: types.ImageTagMutabilityExclusionFilterTypeWildcard})
	}
	if _, err := api.CreateRepository(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, ref string, auth authn.Authenticator) (v1.Hash, error) {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return d, remote.Write(tag, img, remote.WithAuth(auth))
}

// registryError is the status and first error code of a registry's answer.
func registryError(err error) (int, string) {
	var te *transport.Error
	if !errors.As(err, &te) {
		return 0, ""
	}
	code := ""
	if len(te.Errors) > 0 {
		code = string(te.Errors[0].Code)
	}
	return te.StatusCode, code
}

func TestECR_APushToARepositoryNobodyCreatedIs404NameUnknown(t *testing.T) {
	t.Parallel()
	_, fake, auth := ecrAt(t)
	_, err := write(t, fake.Host+"/team/api:1.0", auth)
	if status, code := registryError(err); status != http.StatusNotFound || code != "NAME_UNKNOWN" {
		t.Fatalf("push to a missing repository: %v (status %d, code %q), want 404 NAME_UNKNOWN", err, status, code)
	}
	if want := "The repository with name 'team/api' does not exist in the registry with id '" + fake.Account() + "'"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %v lacks %q", err, want)
	}
}

func TestECR_TagMutabilityIsTheRepositorys(t *testing.T) {
	t.Parallel()
	api, fake, auth := ecrAt(t)
	createRepository(t, api, "mutable", types.ImageTagMutabilityMutable)
	createRepository(t, api, "immutable", types.ImageTagMutabilityImmutable)
	createRepository(t, api, "immutable-but-latest", types.ImageTagMutabilityImmutableWithExclusion, "latest", "dev-*")
	createRepository(t, api, "mutable-but-releases", types.ImageTagMutabilityMutableWithExclusion, "v*")
	for _, c := range []struct {
		ref       string
		immutable bool
	}{
		{"mutable:1.0", false},
		{"immutable:1.0", true},
		{"immutable-but-latest:latest", false},
		{"immutable-but-latest:dev-7", false},
		{"immutable-but-latest:1.0", true},
		{"mutable-but-releases:v1", true},
		{"mutable-but-releases:main", false},
	} {
		ref := fake.Host + "/" + c.ref
		if _, err := write(t, ref, auth); err != nil {
			t.Fatalf("first push of %s: %v", c.ref, err)
		}
		second, err := write(t, ref, auth) // another image under the same tag
		status, code := registryError(err)
		switch {
		case c.immutable && (status != http.StatusBadRequest || code != "TAG_INVALID"):
			t.Errorf("%s is immutable: re-tag gave %v, want 400 TAG_INVALID", c.ref, err)
		case !c.immutable && err != nil:
			t.Errorf("%s is mutable: re-tag gave %v", c.ref, err)
		case !c.immutable:
			repo, tag, _ := strings.Cut(c.ref, ":")
			if got := Tags(t, fake.Host+"/"+repo, auth)[tag]; got != second.String() {
				t.Errorf("%s holds %s, want the second image %s", c.ref, got, second)
			}
		}
	}
	if got := fake.Refused(); len(got) != 3 {
		t.Errorf("refused %v, want the three immutable tags", got)
	}
}

func TestECR_AStaleTokenIs401Denied(t *testing.T) {
	t.Parallel()
	api, fake, _ := ecrAt(t)
	createRepository(t, api, "api", types.ImageTagMutabilityMutable)
	ref, err := name.ParseReference(fake.Host + "/api:1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Get(ref, remote.WithAuth(authn.FromConfig(authn.AuthConfig{Username: "AWS", Password: "stale"})))
	if status, code := registryError(err); status != http.StatusUnauthorized || code != "DENIED" {
		t.Fatalf("pull with a stale token: %v, want 401 DENIED", err)
	}
}

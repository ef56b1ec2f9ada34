package registrytest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
)

// ECRAPI is what the fake registry asks ECR's API (moto in the tests), as the real data plane shares
// its state with the control plane: the token GetAuthorizationToken hands out, and the repositories.
type ECRAPI interface {
	GetAuthorizationToken(context.Context, *ecr.GetAuthorizationTokenInput, ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
	DescribeRepositories(context.Context, *ecr.DescribeRepositoriesInput, ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error)
}

// ECR is an in-memory registry that answers as an ECR private registry's Docker Registry HTTP API
// does, its repositories and their tag mutability being those the ECR API holds:
//   - basic auth with the user AWS and the password of GetAuthorizationToken's token, else 401
//     DENIED ("Private registry authentication", docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html);
//   - a repository the API does not know is 404 NAME_UNKNOWN on every request under it, as ECR
//     answers a push to a repository nobody created ("The repository with name 'x' does not exist
//     in the registry with id '…'"; error codes of the OCI distribution spec, "Error Codes",
//     github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes);
//   - a manifest PUT to a tag that exists is 400 TAG_INVALID when the repository's
//     imageTagMutability makes that tag immutable (IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION and no
//     exclusion filter matches; MUTABLE_WITH_EXCLUSION the other way round) — ECR refuses even the
//     same digest — and moves the tag otherwise ("Preventing image tags from being overwritten",
//     docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html).
type ECR struct {
	Host string

	api      ECRAPI
	account  string
	password string

	mu      sync.Mutex
	tags    map[string]bool // repo:tag written
	refused []string
}

var (
	manifestPath = regexp.MustCompile(`^/v2/(.+)/manifests/([^/]+)$`)
	repoPath     = regexp.MustCompile(`^/v2/(.+)/(?:blobs|manifests|tags)/`)
)

// NewECR starts the registry of the account whose token api hands out (its proxyEndpoint names the
// account), and stops it when the test ends.
func NewECR(t testing.TB, api ECRAPI) *ECR {
	t.Helper()
	out, err := api.GetAuthorizationToken(context.Background(), &ecr.GetAuthorizationTokenInput{})
	if err != nil || len(out.AuthorizationData) == 0 {
		t.Fatalf("GetAuthorizationToken: %v", err)
	}
	data := out.AuthorizationData[0]
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(data.AuthorizationToken))
	_, pass, _ := strings.Cut(string(raw), ":")
	u, err := url.Parse(aws.ToString(data.ProxyEndpoint))
	if err != nil {
		t.Fatal(err)
	}
	account, _, _ := strings.Cut(u.Host, ".")
	e := &ECR{api: api, account: account, password: pass, tags: map[string]bool{}}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.serve(w, r, inner) }))
	t.Cleanup(srv.Close)
	e.Host = strings.TrimPrefix(srv.URL, "http://")
	return e
}

// Account is the registry's id (the AWS account).
func (e *ECR) Account() string { return e.account }

// Auth is the login the registry takes, as docker's after `aws ecr get-login-password`.
func (e *ECR) Auth() authn.Authenticator {
	return authn.FromConfig(authn.AuthConfig{Username: "AWS", Password: e.password})
}

func (e *ECR) serve(w http.ResponseWriter, r *http.Request, inner http.Handler) {
	if user, pass, ok := r.BasicAuth(); !ok || user != "AWS" || pass != e.password {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Basic realm="https://%s/",service="ecr.amazonaws.com"`, r.Host))
		writeErrors(w, http.StatusUnauthorized, "DENIED", "Your authorization token has expired. Reauthenticate and try again.")
		return
	}
	m := repoPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		inner.ServeHTTP(w, r) // /v2/
		return
	}
	repo, err := e.repository(r.Context(), m[1])
	if err != nil {
		writeErrors(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	if repo == nil {
		writeErrors(w, http.StatusNotFound, "NAME_UNKNOWN",
			fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", m[1], e.account))
		return
	}
	mm := manifestPath.FindStringSubmatch(r.URL.Path)
	if mm == nil || r.Method != http.MethodPut || strings.HasPrefix(mm[2], "sha256:") {
		inner.ServeHTTP(w, r)
		return
	}
	key := mm[1] + ":" + mm[2]
	e.mu.Lock()
	exists := e.tags[key]
	refuse := exists && immutableTag(repo, mm[2])
	if refuse {
		e.refused = append(e.refused, key)
	}
	e.mu.Unlock()
	if refuse {
		writeErrors(w, http.StatusBadRequest, "TAG_INVALID", fmt.Sprintf(
			"The image tag '%s' already exists in the '%s' repository and cannot be overwritten because the repository is immutable.", mm[2], mm[1]))
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	inner.ServeHTTP(rec, r)
	if rec.status/100 == 2 {
		e.mu.Lock()
		e.tags[key] = true
		e.mu.Unlock()
	}
}

// repository is the repository as the ECR API describes it; nil when it does not exist.
func (e *ECR) repository(ctx context.Context, name string) (*types.Repository, error) {
	out, err := e.api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RegistryId: aws.String(e.account), RepositoryNames: []string{name}})
	var nf *types.RepositoryNotFoundException
	switch {
	case errors.As(err, &nf):
		return nil, nil
	case err != nil:
		return nil, err
	case len(out.Repositories) == 0:
		return nil, nil
	}
	return &out.Repositories[0], nil
}

// immutableTag applies a repository's imageTagMutability to one tag: the exclusion filters (WILDCARD,
// where * is any run of characters) turn the repository's rule around for the tags they match.
func immutableTag(repo *types.Repository, tag string) bool {
	excluded := false
	for _, f := range repo.ImageTagMutabilityExclusionFilters {
		if ok, _ := path.Match(aws.ToString(f.Filter), tag); ok {
			excluded = true
		}
	}
	switch repo.ImageTagMutability {
	case types.ImageTagMutabilityImmutable:
		return true
	case types.ImageTagMutabilityImmutableWithExclusion:
		return !excluded
	case types.ImageTagMutabilityMutableWithExclusion:
		return excluded
	}
	return false
}

func writeErrors(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`+"\n", code, message)
}

// Refused lists the repo:tag PUTs refused because the tag existed and was immutable.
func (e *ECR) Refused() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.refused...)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

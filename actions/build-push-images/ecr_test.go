package buildpushimages

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/awstest"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/registry"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

// motoAccount is the account moto serves; its ECR registry host in the tests' region.
const (
	motoAccount = "123456789012"
	motoECR     = motoAccount + ".dkr.ecr." + awstest.Region + ".amazonaws.com"
)

// awsEnv points a run's AWS clients at moto through AWS_ENDPOINT_URL, the variable the action
// honours, with static credentials and nothing read from this machine's ~/.aws or instance role.
func awsEnv(t *testing.T, env map[string]string, moto string) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": moto, "AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "testsecret",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_EC2_METADATA_DISABLED": "true",
	} {
		env[k] = v
	}
}

// ecrClients makes one client per registry region, with the AWS configuration of the run's
// environment: the registry's own region unless aws-region says otherwise, and GetAuthorizationToken
// answered for the registry host the registries input names.
func TestECRClients_TheRegistrysRegionAndHostThroughTheRunsEndpoint(t *testing.T) {
	t.Parallel()
	env := map[string]string{"AWS_REGION": "eu-west-1"} // configure-aws-credentials' region: not the registry's
	awsEnv(t, env, awstest.Moto(t))
	ctx := context.Background()
	for _, c := range []struct{ input, host, wantRegion string }{
		{"", motoAccount + ".dkr.ecr.us-east-1.amazonaws.com", "us-east-1"},
		{"", motoAccount + ".dkr.ecr.eu-west-2.amazonaws.com", "eu-west-2"},
		{"eu-west-2", motoAccount + ".dkr.ecr.eu-west-2.amazonaws.com", "eu-west-2"},
		{"eu-west-2", motoAccount + ".dkr.ecr.us-east-1.amazonaws.com", "eu-west-2"}, // aws-region wins
	} {
		reg, err := registry.Parse(c.host)
		if err != nil {
			t.Fatal(err)
		}
		forRegion, err := ecrClients(ctx, factory.New(func(k string) string { return env[k] }, t.Logf), c.input)
		if err != nil {
			t.Fatalf("aws-region %q: %v", c.input, err)
		}
		api, err := forRegion(reg.Region)
		if err != nil {
			t.Fatal(err)
		}
		if got := api.(*ecr.Client).Options().Region; got != c.wantRegion {
			t.Errorf("aws-region %q, registry %s: client region %q, want %q", c.input, c.host, got, c.wantRegion)
		}
		out, err := api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
		if err != nil {
			t.Fatalf("GetAuthorizationToken through AWS_ENDPOINT_URL: %v", err)
		}
		want := "https://" + motoAccount + ".dkr.ecr." + c.wantRegion + ".amazonaws.com"
		if got := aws.ToString(out.AuthorizationData[0].ProxyEndpoint); got != want {
			t.Errorf("aws-region %q, registry %s: the token is for %s, want %s", c.input, c.host, got, want)
		}
	}
}

// No AWS credentials anywhere is for the user to give: bad input, before anything is touched.
func TestECRClients_NoCredentialsIsBadInput(t *testing.T) {
	t.Parallel()
	env := map[string]string{}
	awsEnv(t, env, "http://127.0.0.1:1")
	delete(env, "AWS_ACCESS_KEY_ID")
	delete(env, "AWS_SECRET_ACCESS_KEY")
	_, err := ecrClients(context.Background(), factory.New(func(k string) string { return env[k] }, t.Logf), "")
	if !failure.IsBadInput(err) || !strings.Contains(err.Error(), "ECR: no AWS credentials") {
		t.Fatalf("err = %v (class %v), want bad input saying there are no AWS credentials", err, failure.Of(err))
	}
	var ce *factory.ConfigError
	if !errors.As(err, &ce) {
		t.Errorf("err = %#v, want a factory.ConfigError inside", err)
	}
}

// ecrMain is the action with the registries input as a user writes it for moto's ECR registry, the
// ECR API at moto (AWS_ENDPOINT_URL) and the registry API at the fake's loopback address, where
// ECR's DNS name would lead: only the host the engine and go-containerregistry dial is replaced.
func ecrMain(fake *registrytest.ECR) actiontest.MainFunc {
	return func(ctx context.Context, opts ...actionkit.Option) int {
		parse := func(k *actionkit.Kit) (config, error) {
			cfg, err := parseConfig(k)
			for i, r := range cfg.Registries {
				if r.Kind == registry.ECR && r.Account == fake.Account() {
					cfg.Registries[i].Host = fake.Host
				}
			}
			return cfg, err
		}
		return actionkit.Main(ctx, "build-push-images", actionYML, opts, parse, buildPush)
	}
}

// ecrSetup is moto, the fake ECR registry of its account and the login its token gives; run builds
// one image, api, tagged v1 and pushes it there, each call's image another (its api.txt differs).
type ecrSetup struct {
	api  *ecr.Client
	fake *registrytest.ECR
	auth authn.Authenticator
	moto string
}

func newECR(t *testing.T) *ecrSetup {
	moto := awstest.Moto(t)
	api := ecr.NewFromConfig(awstest.Config(), func(o *ecr.Options) { o.BaseEndpoint = aws.String(moto) })
	fake := registrytest.NewECR(t, api)
	return &ecrSetup{api: api, fake: fake, moto: moto, auth: fake.Auth()}
}

func (e *ecrSetup) run(t *testing.T, inputs ...string) actiontest.Result {
	t.Helper()
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	awsEnv(t, r.Env, e.moto)
	r.Input("images", "api").Input("registries", motoECR).Input("tags", "type=raw,value=v1")
	for i := 0; i+1 < len(inputs); i += 2 {
		r.Input(inputs[i], inputs[i+1])
	}
	res := r.Run(t, context.Background(), ecrMain(e.fake))
	cleanupImages(t, res.Outputs)
	return res
}

func (e *ecrSetup) create(t *testing.T, repo string, mut types.ImageTagMutability) {
	t.Helper()
	if _, err := e.api.CreateRepository(context.Background(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(repo), ImageTagMutability: mut}); err != nil {
		t.Fatal(err)
	}
}

// A repository that does not exist, with create-repositories false, is for the user to create: exit
// 2 naming it, before anything is pushed (README: "a repository that does not exist" is a refusal).
// With create-repositories (the default) the action creates it in ECR before the push, which the
// registry would refuse otherwise (404 NAME_UNKNOWN).
func TestBuildPush_ECRMissingRepository(t *testing.T) {
	t.Parallel()
	e := newECR(t)
	res := e.run(t, "create-repositories", "false")
	if res.Code != 2 {
		t.Fatalf("create-repositories false: exit %d, want 2\n%s", res.Code, res.Stdout)
	}
	if want := e.fake.Host + ": repository api does not exist (set create-repositories: true, or create it)"; !strings.Contains(res.Stdout, want) {
		t.Errorf("log lacks %q:\n%s", want, res.Stdout)
	}
	if _, err := e.api.DescribeRepositories(context.Background(), &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"api"}}); err == nil {
		t.Error("api was created with create-repositories false")
	}

	res = e.run(t)
	if res.Code != 0 {
		t.Fatalf("create-repositories true: exit %d\n%s", res.Code, res.Stdout)
	}
	if got := registrytest.Tags(t, e.fake.Host+"/api", e.auth); got["v1"] == "" || got["v1"] != res.Outputs["digest"] {
		t.Errorf("api holds %v, digest output %q", got, res.Outputs["digest"])
	}
	if !strings.Contains(res.Stdout, e.fake.Host+": created repository api (scan on push)") {
		t.Errorf("log does not say the repository was created:\n%s", res.Stdout)
	}
	login, err := e.auth.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(actiontest.WithoutMaskCommands(res.Stdout)+res.Summary, login.Password) || !strings.Contains(res.Stdout, "::add-mask::"+login.Password) {
		t.Error("the ECR token's password is in the log or was not masked")
	}
}

// What a release may do to a tag that holds another image is what the repository's
// imageTagMutability says: a MUTABLE repository moves it; an IMMUTABLE one keeps it, and the run
// stops before anything is pushed (exit 2: only a new version helps).
func TestBuildPush_ECRTagMutabilityIsTheRepositorys(t *testing.T) {
	t.Parallel()
	for _, mut := range []types.ImageTagMutability{types.ImageTagMutabilityMutable, types.ImageTagMutabilityImmutable} {
		t.Run(string(mut), func(t *testing.T) {
			t.Parallel()
			e := newECR(t)
			e.create(t, "api", mut)
			first := e.run(t)
			if first.Code != 0 {
				t.Fatalf("first release: exit %d\n%s", first.Code, first.Stdout)
			}
			second := e.run(t) // another image under v1
			got := registrytest.Tags(t, e.fake.Host+"/api", e.auth)["v1"]
			if mut == types.ImageTagMutabilityMutable {
				if second.Code != 0 || got != second.Outputs["digest"] || got == first.Outputs["digest"] {
					t.Fatalf("re-tag in a MUTABLE repository: exit %d, v1 holds %s (first %s, second %s)\n%s",
						second.Code, got, first.Outputs["digest"], second.Outputs["digest"], second.Stdout)
				}
				return
			}
			if second.Code != 2 || !strings.Contains(second.Stdout, "nothing was pushed") ||
				!strings.Contains(second.Stdout, e.fake.Host+"/api: the repository's tags are immutable and v1 holds image") {
				t.Fatalf("re-tag in an IMMUTABLE repository: exit %d, want 2 saying the tag is immutable\n%s", second.Code, second.Stdout)
			}
			if got != first.Outputs["digest"] {
				t.Errorf("v1 holds %s, want the first release's %s", got, first.Outputs["digest"])
			}
			if r := e.fake.Refused(); len(r) != 0 {
				t.Errorf("the registry had to refuse %v: the check should have stopped the run", r)
			}
		})
	}
}

// slipway's own buildkitd pushes to ECR as the engine's path does: the repository created first
// (and none when a check refuses), each platform pushed by digest with the ECR token it asked for
// (masked), then one index of both platforms, with its provenance, under the release's tag. An
// immutable tag that already holds an image stops the run before buildkitd builds anything.
func TestBuildPush_ECRSeveralPlatformsOnSlipwaysBuildkitd(t *testing.T) {
	t.Parallel()
	needBuildkitd(t)
	e := newECR(t)
	res := e.run(t, "platforms", "linux/amd64,linux/arm64", "provenance", "max")
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
	}
	d, plats, attestations := indexOf(t, e.fake.Host+"/api:v1", e.auth)
	if !slices.Equal(plats, []string{"linux/amd64", "linux/arm64"}) || attestations != 2 || res.Outputs["digest"] != d {
		t.Errorf("api:v1 is %s of %v with %d attestations, digest output %q: want one index of both platforms, each with its provenance", d, plats, attestations, res.Outputs["digest"])
	}
	if !strings.Contains(res.Stdout, e.fake.Host+": created repository api (scan on push)") {
		t.Errorf("the log does not say the repository was created:\n%s", res.Stdout)
	}
	login, err := e.auth.Authorization()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(actiontest.WithoutMaskCommands(res.Stdout)+res.Summary, login.Password) || !strings.Contains(res.Stdout, "::add-mask::"+login.Password) {
		t.Error("the ECR token's password is in the log or was not masked")
	}

	e.create(t, "worker", types.ImageTagMutabilityImmutable)
	release := func(images string) actiontest.Result {
		r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
		awsEnv(t, r.Env, e.moto)
		r.Input("images", images).Input("registries", motoECR).Input("tags", "type=raw,value=v1").Input("platforms", "linux/amd64,linux/arm64")
		return r.Run(t, context.Background(), ecrMain(e.fake))
	}
	if first := release("- {name: worker}\n"); first.Code != 0 {
		t.Fatalf("worker's first v1: exit %d\n%s", first.Code, first.Stdout)
	}
	refused := release("- {name: worker}\n- {name: web}\n")
	if refused.Code != 2 || !strings.Contains(refused.Stdout, "worker: "+e.fake.Host+"/worker: the repository's tags are immutable and v1 holds") {
		t.Fatalf("an immutable v1: exit %d, want 2 naming worker's tag\n%s", refused.Code, refused.Stdout)
	}
	if strings.Contains(refused.Stdout, "created repository web") || strings.Contains(refused.Stdout, "pushed sha256:") {
		t.Errorf("a refused check created or pushed something:\n%s", refused.Stdout)
	}
}

package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway-actions/slipway/internal/awstest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
	"github.com/slipway-actions/slipway/internal/registryauth"
)

// testImage imports a one-layer image holding a file of random bytes and returns its ID. (An import,
// not a build: the classic builder, run by many tests at once, has lost its own intermediate images.)
func testImage(t *testing.T, cli *client.Client, size int) string {
	t.Helper()
	data := make([]byte, size)
	_, _ = rand.Read(data)
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	_ = tw.WriteHeader(&tar.Header{Name: "data", Mode: 0o644, Size: int64(size)})
	_, _ = tw.Write(data)
	_ = tw.Close()
	ref := "slipway-test/" + dockertest.UniqueName(t, "img") + ":build"
	ctx := context.Background()
	rc, err := cli.ImageImport(ctx, image.ImportSource{Source: &layer, SourceName: "-"}, ref, image.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, rc)
	_ = rc.Close()
	img, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), img.ID, image.RemoveOptions{Force: true}) })
	return img.ID
}

func mustParse(t *testing.T, s string) Registry {
	t.Helper()
	r, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var fastBackoff = remote.Backoff{Duration: 20 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: 4}

func newPublisher(t *testing.T, cli *client.Client) *Publisher {
	return &Publisher{Docker: cli, Backoff: fastBackoff, Infof: t.Logf}
}

// openLogins gives c for each of hosts, as build-push-images gives its username/password to every
// registry but ECR, over the docker config in dir ("" for none).
func openLogins(t *testing.T, dir string, c registryauth.Credentials, hosts ...string) *registryauth.Logins {
	t.Helper()
	given := map[string]registryauth.Credentials{}
	for _, h := range hosts {
		given[h] = c
	}
	l, err := registryauth.Open(registryauth.Sources{Dir: dir, Given: given})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func cleanupRefs(t *testing.T, cli *client.Client, results []Result) {
	t.Cleanup(func() {
		for _, r := range results {
			for _, d := range r.Destinations {
				for _, ref := range d.Refs() {
					_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{})
				}
			}
		}
	})
}

func TestPublish_PushesOnceThenCopiesEveryTagToTheOtherRegistry(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	open := registrytest.Start(t, registrytest.Options{})
	locked := registrytest.Start(t, registrytest.Options{User: "ci", Password: "s3cret-pass"})
	id := testImage(t, cli, 1<<20)
	p := newPublisher(t, cli)
	p.Logins = openLogins(t, "", registryauth.Credentials{Username: "ci", Password: "s3cret-pass"}, open.Host, locked.Host)
	ctx := context.Background()
	regs := []Registry{mustParse(t, open.Host+"/acme"), mustParse(t, locked.Host)}
	plan, err := p.Check(ctx, []Image{{Name: "api", ID: id, Tags: []string{"1.2.3", "1.2", "latest"}}}, regs)
	if err != nil {
		t.Fatal(err)
	}
	results, err := p.Push(ctx, plan)
	cleanupRefs(t, cli, results)
	if err != nil {
		t.Fatal(err)
	}
	res := results[0]
	if !strings.HasPrefix(res.Digest, "sha256:") || res.Size < 1<<20 {
		t.Fatalf("result %+v", res)
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: "ci", Password: "s3cret-pass"})
	for _, repo := range []string{open.Host + "/acme/api", locked.Host + "/api"} {
		got := registrytest.Tags(t, repo, auth)
		want := map[string]string{"1.2.3": res.Digest, "1.2": res.Digest, "latest": res.Digest}
		if len(got) != 3 || got["1.2.3"] != want["1.2.3"] || got["1.2"] != want["1.2"] || got["latest"] != want["latest"] {
			t.Errorf("%s holds %v, want every tag at %s", repo, got, res.Digest)
		}
	}
	if refs := res.Destinations[1].Refs(); !slices.Contains(refs, locked.Host+"/api:latest") {
		t.Errorf("refs %v", refs)
	}
}

func TestCheck_WrongCredentialsNameTheRegistryAndPushNothing(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	open := registrytest.Start(t, registrytest.Options{})
	locked := registrytest.Start(t, registrytest.Options{User: "ci", Password: "right-password"})
	id := testImage(t, cli, 1024)
	p := newPublisher(t, cli)
	p.Logins = openLogins(t, "", registryauth.Credentials{Username: "ci", Password: "wrong-password-123"}, open.Host, locked.Host)
	_, err := p.Check(context.Background(), []Image{{Name: "api", ID: id, Tags: []string{"1"}}},
		[]Registry{mustParse(t, open.Host), mustParse(t, locked.Host)})
	if err == nil {
		t.Fatal("want a 401")
	}
	if !strings.Contains(err.Error(), locked.Host+": registry said 401 Unauthorized for "+locked.Host+"/api") {
		t.Errorf("error = %v", err)
	}
	if !Refused(err) {
		t.Errorf("a 401 is not a refusal: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-password-123") {
		t.Errorf("the password is in the error: %v", err)
	}
	if got := registrytest.Tags(t, open.Host+"/api", authn.Anonymous); len(got) != 0 {
		t.Errorf("the open registry got %v before every check passed", got)
	}
}

func TestPush_RetriesThrough429AndAResetMidUpload(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	first := registrytest.Start(t, registrytest.Options{})
	second := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, second.Host)
	id := testImage(t, cli, 256<<10)
	p := newPublisher(t, cli)
	ctx := context.Background()
	plan, err := p.Check(ctx, []Image{{Name: "api", ID: id, Tags: []string{"v1"}}},
		[]Registry{mustParse(t, first.Host), mustParse(t, proxy.Host)})
	if err != nil {
		t.Fatal(err)
	}
	proxy.Throttle(2)
	proxy.ResetMidUpload(1)
	results, err := p.Push(ctx, plan)
	cleanupRefs(t, cli, results)
	if err != nil {
		t.Fatalf("%v (faults %v)", err, proxy.Faults())
	}
	faults := proxy.Faults()
	if len(faults) != 3 {
		t.Errorf("faults injected: %v, want two 429s and a reset", faults)
	}
	if got := registrytest.Tags(t, second.Host+"/api", authn.Anonymous); got["v1"] != results[0].Digest {
		t.Errorf("second registry holds %v, want v1 at %s", got, results[0].Digest)
	}
}

func TestPush_EngineRetriesAManifestRefused(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	reg := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, reg.Host)
	id := testImage(t, cli, 1024)
	p := newPublisher(t, cli)
	ctx := context.Background()
	plan, err := p.Check(ctx, []Image{{Name: "api", ID: id, Tags: []string{"v1"}}}, []Registry{mustParse(t, proxy.Host)})
	if err != nil {
		t.Fatal(err)
	}
	proxy.FailManifests(1)
	results, err := p.Push(ctx, plan)
	cleanupRefs(t, cli, results)
	if err != nil {
		t.Fatal(err)
	}
	if f := proxy.Faults(); len(f) != 1 || results[0].Digest == "" {
		t.Errorf("faults %v, result %+v", f, results[0])
	}
}

func TestPush_ARegistryDownAfterRetriesSaysWhichRegistryHoldsWhat(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	first := registrytest.Start(t, registrytest.Options{})
	second := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, second.Host)
	id := testImage(t, cli, 1024)
	p := newPublisher(t, cli)
	ctx := context.Background()
	plan, err := p.Check(ctx, []Image{{Name: "api", ID: id, Tags: []string{"v1", "v1.0"}}},
		[]Registry{mustParse(t, first.Host), mustParse(t, proxy.Host)})
	if err != nil {
		t.Fatal(err)
	}
	proxy.Close() // the second registry goes down between the check and the push
	results, err := p.Push(ctx, plan)
	cleanupRefs(t, cli, results)
	if err == nil {
		t.Fatal("want an error")
	}
	if !strings.Contains(err.Error(), "api → "+proxy.Host) {
		t.Errorf("error does not name the registry: %v", err)
	}
	d := results[0].Destinations
	if len(d) != 2 || d[0].Err != nil || len(d[0].Refs()) != 2 || d[1].Err == nil || len(d[1].Refs()) != 0 {
		t.Errorf("destinations %+v", d)
	}
}

func TestECR_CreatesMissingRepositoriesAndKeepsImmutableTags(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	moto := awstest.Moto(t)
	api := ecr.NewFromConfig(awstest.Config(), func(o *ecr.Options) { o.BaseEndpoint = aws.String(moto) })
	ctx := context.Background()
	fake := registrytest.NewECR(t, api)
	if _, err := api.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("api"), ImageTagMutability: ecrtypes.ImageTagMutabilityImmutable}); err != nil {
		t.Fatal(err)
	}
	// moto's account; the registry's data plane is the fake, at its loopback address.
	reg := Registry{Raw: "ecr", Kind: ECR, Host: fake.Host, Account: "123456789012", Region: awstest.Region}
	var masked []string
	p := newPublisher(t, cli)
	p.ECR = func(string) (ECRAPI, error) { return api, nil }
	p.CreateRepositories = true
	p.LifecyclePolicy = `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}`
	p.Mask = func(s string) { masked = append(masked, s) }

	apiID, workerID, otherID := testImage(t, cli, 2048), testImage(t, cli, 2048), testImage(t, cli, 2048)
	release := func(apiImage string) ([]Result, error) {
		plan, err := p.Check(ctx, []Image{{Name: "api", ID: apiImage, Tags: []string{"1.0.0", "1.0"}}, {Name: "worker", ID: workerID, Tags: []string{"1.0.0"}}}, []Registry{reg})
		if err != nil {
			return nil, err
		}
		res, err := p.Push(ctx, plan)
		cleanupRefs(t, cli, res)
		return res, err
	}
	first, err := release(apiID)
	if err != nil {
		t.Fatal(err)
	}
	if len(masked) == 0 {
		t.Error("the ECR password was not masked")
	}
	out, err := api.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"worker"}})
	if err != nil {
		t.Fatalf("worker was not created: %v", err)
	}
	if sc := out.Repositories[0].ImageScanningConfiguration; sc == nil || !sc.ScanOnPush {
		t.Errorf("worker was created without scan on push: %+v", sc)
	}
	if _, err := api.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: aws.String("worker")}); err != nil {
		t.Errorf("worker has no lifecycle policy: %v", err)
	}

	// The same build again: the immutable tags already hold it, which is success, and nothing is re-put.
	again, err := release(apiID)
	if err != nil {
		t.Fatal(err)
	}
	if d := again[0].Destinations[0]; len(d.Pushed) != 0 || len(d.Kept) != 2 || again[0].Digest != first[0].Digest {
		t.Errorf("re-release: %+v (digest %s, first %s)", d, again[0].Digest, first[0].Digest)
	}
	if r := fake.Refused(); len(r) != 0 {
		t.Errorf("the registry refused %v", r)
	}

	// Another image under the same version: refused before anything is pushed.
	_, err = release(otherID)
	if err == nil || !strings.Contains(err.Error(), "tags are immutable and 1.0.0 holds image "+ShortDigest(apiID)+" and 1.0 holds image") {
		t.Fatalf("error = %v", err)
	}
}

func TestDescribe_ECRTokenRefusedIsAdvice(t *testing.T) {
	t.Parallel()
	api := ecr.NewFromConfig(awstest.Config(), func(o *ecr.Options) { o.BaseEndpoint = aws.String(awstest.Moto(t)) })
	fake := registrytest.NewECR(t, api)
	p := &Publisher{Backoff: fastBackoff}
	s := &session{reg: Registry{Kind: ECR, Host: fake.Host}, auth: authn.FromConfig(authn.AuthConfig{Username: "AWS", Password: "stale"})}
	_, err := p.heldImage(context.Background(), s, fake.Host+"/api:1")
	if err == nil || !strings.Contains(err.Error(), "401 Unauthorized") || !strings.Contains(err.Error(), "AWS role") {
		t.Fatalf("error = %v", err)
	}
}

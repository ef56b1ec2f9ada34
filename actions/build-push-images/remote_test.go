package buildpushimages

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
	"github.com/slipway-actions/slipway/internal/testenv"
)

func TestBuildPush_AnUnknownPlatformExits2NamingIt(t *testing.T) {
	t.Parallel()
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Input("registries", "registry.example").Input("platforms", "linux/amd64,linux/arm64,linux/sparc")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, `input "platforms": platform "linux/sparc" is not one BuildKit builds`) {
		t.Fatalf("exit %d, want 2 naming linux/sparc\n%s", res.Code, res.Stdout)
	}
}

func needBuildkitd(t *testing.T) {
	t.Helper()
	testenv.Root(t, "buildkitd runs its steps with runc, as root")
	for _, tool := range []string{"buildkitd", "runc"} {
		_, err := exec.LookPath(tool)
		dockertest.Require(t, tool+" (.ci/setup)", err)
	}
}

// indexOf reads the index a tag holds: its digest and its manifests' platforms and attestations.
func indexOf(t *testing.T, ref string, auth authn.Authenticator) (digest string, platforms []string, attestations int) {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(tag, remote.WithAuth(auth))
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Manifests {
		if c.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			attestations++
			continue
		}
		platforms = append(platforms, c.Platform.OS+"/"+c.Platform.Architecture)
	}
	d, _ := idx.Digest()
	slices.Sort(platforms)
	return d.String(), platforms, attestations
}

func TestBuildPush_AReleaseOnSlipwaysBuildkitdCarriesProvenanceToBothRegistries(t *testing.T) {
	t.Parallel()
	needBuildkitd(t)
	hub := registrytest.Start(t, registrytest.Options{User: "bot", Password: "hub-password-42"})
	mirror := registrytest.Start(t, registrytest.Options{User: "bot", Password: "hub-password-42"})
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Input("images", "- {name: api}\n").Input("provenance", "auto") // a tag: auto is mode=max
	r.Input("registries", hub.Host+"/acme\n"+mirror.Host).Input("username", "bot").Input("password", "hub-password-42")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "hub-password-42"})
	d1, p1, a1 := indexOf(t, hub.Host+"/acme/api:1.2.0", auth)
	d2, _, _ := indexOf(t, mirror.Host+"/api:latest", auth)
	if d1 != d2 || !slices.Equal(p1, []string{"linux/amd64"}) || a1 != 1 {
		t.Errorf("hub holds %s %v with %d attestations, mirror %s: want one index with its provenance in both", d1, p1, a1, d2)
	}
	if !strings.Contains(res.Outputs["digests"], "api@sha256:") {
		t.Errorf("digests output %q", res.Outputs["digests"])
	}
	if !strings.Contains(res.Outputs["images"], `"digest":"`+d1+`"`) || res.Outputs["digest"] != d1 {
		t.Errorf("images output %q, digest %q: want the index %s", res.Outputs["images"], res.Outputs["digest"], d1)
	}
	if strings.Contains(actiontest.WithoutMaskCommands(res.Stdout)+res.Summary, "hub-password-42") {
		t.Error("the password leaked")
	}
}

func TestBuildPush_PushByDigestJobsThenOneMergeJob(t *testing.T) {
	t.Parallel()
	needBuildkitd(t)
	hub := registrytest.Start(t, registrytest.Options{})
	mirror := registrytest.Start(t, registrytest.Options{})
	job := func(inputs map[string]string) actiontest.Result {
		r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
		r.Input("images", "- {name: api}\n").Input("registries", hub.Host+"\n"+mirror.Host)
		for k, v := range inputs {
			r.Input(k, v)
		}
		return r.Run(t, context.Background(), Main)
	}
	// One runner per platform, as the matrix runs them; the x86 tool needs no QEMU for the arm64 config.
	var digests []string
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		res := job(map[string]string{"platforms": p, "push-by-digest": "true"})
		if res.Code != 0 || res.Outputs["digests"] == "" {
			t.Fatalf("%s: exit %d, digests %q\n%s", p, res.Code, res.Outputs["digests"], res.Stdout)
		}
		digests = append(digests, res.Outputs["digests"])
	}
	if tags := registrytest.Tags(t, hub.Host+"/api", authn.Anonymous); len(tags) > 0 {
		t.Errorf("push-by-digest tagged %v", tags)
	}

	missing := job(map[string]string{"merge-digests": digests[0] + "\napi@sha256:" + strings.Repeat("0", 64)})
	if missing.Code != 2 || !strings.Contains(missing.Stdout, "sha256:"+strings.Repeat("0", 64)) {
		t.Errorf("a merge with a missing digest: exit %d, want 2 naming it\n%s", missing.Code, missing.Stdout)
	}
	if tags := registrytest.Tags(t, hub.Host+"/api", authn.Anonymous); len(tags) > 0 {
		t.Errorf("a refused merge tagged %v", tags)
	}

	res := job(map[string]string{"merge-digests": strings.Join(digests, "\n")})
	if res.Code != 0 {
		t.Fatalf("merge: exit %d\n%s", res.Code, res.Stdout)
	}
	d1, p1, _ := indexOf(t, hub.Host+"/api:1.2.0", authn.Anonymous)
	d2, p2, _ := indexOf(t, mirror.Host+"/api:1.2.0", authn.Anonymous)
	if d1 != d2 || d1 != res.Outputs["digest"] || !slices.Equal(p1, []string{"linux/amd64", "linux/arm64"}) || !slices.Equal(p1, p2) {
		t.Errorf("hub %s %v, mirror %s %v, digest output %q: want one index of both platforms in both", d1, p1, d2, p2, res.Outputs["digest"])
	}
	// The merge job's images output is what the deploy job reads, as after a single-platform build.
	var out []imageOutput
	if err := json.Unmarshal([]byte(res.Outputs["images"]), &out); err != nil || len(out) != 1 {
		t.Fatalf("images output %q: %v, want one image", res.Outputs["images"], err)
	}
	if out[0].Name != "api" || out[0].Digest != d1 || out[0].ID != "" ||
		!slices.Contains(out[0].Tags, hub.Host+"/api:1.2.0") || !slices.Contains(out[0].Tags, mirror.Host+"/api:1.2.0") {
		t.Errorf("images output %+v, want api at %s tagged in both registries", out[0], d1)
	}
	if !strings.Contains(res.Outputs["tags"], hub.Host+"/api:1.2.0") {
		t.Errorf("tags output %q", res.Outputs["tags"])
	}
	if strings.Contains(res.Outputs["images"], `"id"`) {
		t.Errorf("images output %s names a local image ID the merge job does not have", res.Outputs["images"])
	}
}

// Every image is built and pushed by digest before any is tagged: when one image fails to build
// (exit 1), the one that built is not tagged in any registry, though its digest is in the output.
func TestBuildPush_NoImageTaggedUnlessEveryImageBuilt(t *testing.T) {
	t.Parallel()
	needBuildkitd(t)
	hub := registrytest.Start(t, registrytest.Options{})
	r, ws := platform(t, "FROM scratch\nCOPY api.txt /\n")
	if err := os.WriteFile(filepath.Join(ws, "broken.Dockerfile"), []byte("FROM scratch\nCOPY not-there.txt /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Input("images", "- {name: api}\n- {name: worker, dockerfile: broken.Dockerfile}\n").Input("registries", hub.Host).Input("provenance", "min")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1 (worker's build failed)\n%s", res.Code, res.Stdout)
	}
	if tags := registrytest.Tags(t, hub.Host+"/api", authn.Anonymous); len(tags) > 0 {
		t.Errorf("api was tagged %v although worker failed to build", tags)
	}
	if !strings.HasPrefix(res.Outputs["digests"], "api@sha256:") || !strings.Contains(res.Summary, "not tagged: an image failed to build") {
		t.Errorf("digests output %q, summary:\n%s", res.Outputs["digests"], res.Summary)
	}
}

// A push-by-digest job of a platform matrix builds of each image only its own platforms that are the
// job's: an image for linux/amd64 alone is not built in the linux/arm64 job. A platform this runner
// cannot build is named before any image is built, every such platform at once.
func TestPlanPlatforms_AMatrixJobBuildsOnlyItsPlatform(t *testing.T) {
	t.Parallel()
	reqs := []images.Request{
		{Spec: images.Spec{Name: "api"}},
		{Spec: images.Spec{Name: "tool", Platforms: []string{"linux/amd64"}}},
		{Spec: images.Spec{Name: "web", Platforms: []string{"linux/amd64", "linux/arm64"}}},
	}
	cfg := config{Remote: remoteConfig{Platforms: []string{"linux/arm64"}, PushByDigest: true}}
	got, err := planPlatforms(cfg, reqs, []string{"linux/arm64"})
	if err != nil || !slices.Equal(got[0], []string{"linux/arm64"}) || len(got[1]) != 0 || !slices.Equal(got[2], []string{"linux/arm64"}) {
		t.Errorf("the arm64 job plans %q (%v), want api and web for linux/arm64, tool not at all", got, err)
	}
	cfg.Remote.PushByDigest = false
	_, err = planPlatforms(cfg, reqs, []string{"linux/arm64"})
	if err == nil || !strings.Contains(err.Error(), "this runner cannot build linux/amd64 (it builds linux/arm64)") {
		t.Errorf("one runner for every platform: %v, want linux/amd64 named", err)
	}
	cfg = config{}
	if got, err := planPlatforms(cfg, reqs[:1], []string{"linux/amd64"}); err != nil || !slices.Equal(got[0], []string{""}) {
		t.Errorf("no platforms: %q (%v), want the worker's own", got, err)
	}
}

func TestLayerNote_SaysTheLayerTimeOnlyWhenThereIsSome(t *testing.T) {
	t.Parallel()
	if got := layerNote(images.LayerTime{}); got != "" {
		t.Errorf("no layer time: %q, want nothing", got)
	}
	got := layerNote(images.LayerTime{Pulling: 412345 * time.Microsecond, Extracting: 1200 * time.Millisecond})
	if want := "; layers under the steps run: 412ms pulling, 1.2s extracting"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

package buildpushimages

import (
	"context"
	"os/exec"
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

package images_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/images/imagestest"
	"github.com/slipway-actions/slipway/internal/registry"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
	"github.com/slipway-actions/slipway/internal/testenv"
)

// startDaemon starts slipway's buildkitd for a test and checks that stopping it removes its state.
func startDaemon(t *testing.T, o images.DaemonOptions) *images.Daemon {
	t.Helper()
	testenv.Root(t, "buildkitd runs its steps with runc, as root")
	_, err := exec.LookPath("buildkitd")
	dockertest.Require(t, "buildkitd (.ci/setup builds it from the moby/buildkit module in go.mod)", err)
	_, err = exec.LookPath("runc")
	dockertest.Require(t, "runc (Debian package runc)", err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o.Log = testWriter{t} // o.Dir "": the system temp dir, as a socket path has at most 104 bytes
	d, err := images.StartDaemon(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Stop(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(d.Dir()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("buildkitd's state %s is still there after Stop: %v", d.Dir(), err)
		}
	})
	return d
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func workspace(t *testing.T, files map[string][]byte) string {
	t.Helper()
	ws := t.TempDir()
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(ws, n), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

func spec(t *testing.T, ws string) images.Spec {
	t.Helper()
	specs, err := images.ParseSpecs("app="+ws, ws)
	if err != nil {
		t.Fatal(err)
	}
	return specs[0]
}

const sha = "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b"

func TestSolve_PlatformsMergeIntoOneIndexTaggedInTwoRegistries(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, images.DaemonOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	plats, err := d.Platforms(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(plats, "linux/arm64") {
		dockertest.Require(t, "QEMU's binfmt handler for arm64 (Debian package qemu-user-static)",
			errors.New("buildkitd's worker builds only "+strings.Join(plats, ", ")))
	}
	one := registrytest.Start(t, registrytest.Options{})
	two := registrytest.Start(t, registrytest.Options{})
	ws := workspace(t, map[string][]byte{
		"tool-amd64": imagestest.Tool(t, "amd64"), "tool-arm64": imagestest.Tool(t, "arm64"),
		"Dockerfile": []byte("FROM scratch\nARG TARGETARCH\nCOPY tool-${TARGETARCH} /tool\nRUN [\"/tool\", \"arch\", \"/arch\"]\n"),
	})
	s := &images.Solver{Client: d.Client, Log: testWriter{t}}
	solved, err := s.BuildPlatforms(ctx, images.Request{Spec: spec(t, ws)}, []string{"linux/amd64", "linux/arm64"}, images.Remote{
		Repository: one.Host + "/app",
		Attest:     images.Attestations{Provenance: "max"},
		VCS:        images.VCS{Source: "https://github.com/acme/app", Revision: sha},
	})
	if err != nil {
		t.Fatal(err)
	}
	regs, errs := registry.ParseAll([]string{one.Host, two.Host})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var digests []string
	for _, s := range solved {
		digests = append(digests, s.Digest)
	}
	p := &registry.Publisher{Infof: t.Logf}
	res, err := p.Merge(ctx, registry.Image{Name: "app", Tags: []string{"1.0.0", "latest"}}, digests, regs)
	if err != nil {
		t.Fatal(err)
	}

	for _, ref := range []string{one.Host + "/app:1.0.0", one.Host + "/app:latest", two.Host + "/app:1.0.0", two.Host + "/app:latest"} {
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(r)
		if err != nil {
			t.Fatal(err)
		}
		if desc.Digest.String() != res.Digest {
			t.Errorf("%s holds %s, want the index %s", ref, desc.Digest, res.Digest)
		}
	}
	tagged, err := name.NewTag(two.Host + "/app:1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(tagged)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("index media type %s, want OCI", m.MediaType)
	}
	var platforms []string
	attested := map[string]bool{}
	for _, c := range m.Manifests {
		img, err := idx.Image(c.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if c.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			attested[c.Annotations["vnd.docker.reference.digest"]] = true
			if !strings.Contains(string(layerText(t, img)), sha) {
				t.Errorf("the attestation of %s does not name the commit %s", c.Annotations["vnd.docker.reference.digest"], sha)
			}
			continue
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		p := c.Platform.OS + "/" + c.Platform.Architecture
		if cf.OS+"/"+cf.Architecture != p {
			t.Errorf("manifest %s says %s, its config %s/%s", c.Digest, p, cf.OS, cf.Architecture)
		}
		if got := string(imagestest.FileIn(t, img, "arch")); got != c.Platform.Architecture {
			t.Errorf("%s: RUN ran as %q", p, got)
		}
		if !attested[c.Digest.String()] && !hasAttestation(m, c.Digest) {
			t.Errorf("%s has no attestation manifest", p)
		}
		platforms = append(platforms, p)
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("the index holds %v, want linux/amd64 and linux/arm64", platforms)
	}
}

func hasAttestation(m *v1.IndexManifest, dg v1.Hash) bool {
	for _, c := range m.Manifests {
		if c.Annotations["vnd.docker.reference.digest"] == dg.String() {
			return true
		}
	}
	return false
}

// layerText is every layer of an image, concatenated (an attestation manifest's layers are JSON).
func layerText(t *testing.T, img v1.Image) []byte {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, l := range ls {
		r, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		var doc json.RawMessage
		data, _ := io.ReadAll(r)
		_ = r.Close()
		if json.Unmarshal(data, &doc) == nil {
			b.Write(data)
		}
	}
	return b.Bytes()
}

func TestMerge_PublishesNothingWhenAPlatformIsMissing(t *testing.T) {
	t.Parallel()
	one := registrytest.Start(t, registrytest.Options{})
	regs, _ := registry.ParseAll([]string{one.Host})
	missing := "sha256:" + strings.Repeat("ab", 32)
	p := &registry.Publisher{}
	_, err := p.Merge(context.Background(), registry.Image{Name: "app", Tags: []string{"1.0.0"}}, []string{missing}, regs)
	if err == nil || !strings.Contains(err.Error(), missing) || !registry.Refused(err) {
		t.Fatalf("Merge with a digest the registry lacks: %v, want a refusal naming %s", err, missing)
	}
	if tags := registrytest.Tags(t, one.Host+"/app", authn.Anonymous); len(tags) > 0 {
		t.Errorf("the registry holds %v after a refused merge", tags)
	}
}

func TestSolve_RegistryCacheOnAnEmptyBuilderRebuildsOnlyTheChangedStep(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	files := map[string][]byte{
		"tool":       imagestest.Tool(t, "amd64"),
		"Dockerfile": []byte("FROM scratch AS build\nCOPY tool /tool\nRUN [\"/tool\", \"rand\", \"/expensive\"]\nCOPY src.txt /src.txt\n"),
		"src.txt":    []byte("line one\n"),
	}
	cacheRef := reg.Host + "/cache/app:buildcache"
	to, err := images.ParseCache("type=registry,ref="+cacheRef+",mode=max", true)
	if err != nil {
		t.Fatal(err)
	}
	from, err := images.ParseCache("type=registry,ref="+cacheRef, false)
	if err != nil {
		t.Fatal(err)
	}
	build := func(ws string) images.Solved {
		d := startDaemon(t, images.DaemonOptions{}) // a builder that holds nothing
		s := &images.Solver{Client: d.Client, Log: testWriter{t}}
		out, err := s.Solve(ctx, images.Request{Spec: spec(t, ws)}, "linux/amd64", images.Remote{
			Repository: reg.Host + "/app", CacheFrom: []images.Cache{from}, CacheTo: []images.Cache{to},
		}, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Stop(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	cold := build(workspace(t, files))
	if !ran(cold.Ran, "RUN") {
		t.Fatalf("the cold build ran %v, cached %v: want the RUN step run", cold.Ran, cold.Cached)
	}
	files["src.txt"] = []byte("line one, changed\n")
	warm := build(workspace(t, files))
	if ran(warm.Ran, "RUN") || !ran(warm.Cached, "RUN") {
		t.Errorf("with the registry cache the RUN step should come from it: ran %v, cached %v", warm.Ran, warm.Cached)
	}
	if !ran(warm.Ran, "COPY src.txt") {
		t.Errorf("the changed COPY src.txt should run again: ran %v, cached %v", warm.Ran, warm.Cached)
	}
	// FROM scratch: the cold build pulls nothing; the warm one pulls and extracts the cached RUN
	// layer, which the COPY runs on.
	if cold.Layers != (images.LayerTime{}) || warm.Layers.Pulling <= 0 || warm.Layers.Extracting <= 0 {
		t.Errorf("layer time: cold %+v, want none; warm %+v, want pulling and extracting", cold.Layers, warm.Layers)
	}
}

// TestDaemon_ExtractsLayersWithTheIgzipOnItsPath proves that buildkitd, started with slipway's PATH,
// decompresses the layers it extracts with the igzip found there (a stand-in that notes its call
// and runs gzip), that the Daemon names it, and that GoGzip keeps buildkitd to Go's gzip. Not
// parallel: it sets PATH.
func TestDaemon_ExtractsLayersWithTheIgzipOnItsPath(t *testing.T) {
	reg := registrytest.Start(t, registrytest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	solve := func(d *images.Daemon, files map[string][]byte, repo string) string {
		s := &images.Solver{Client: d.Client, Log: testWriter{t}}
		out, err := s.Solve(ctx, images.Request{Spec: spec(t, workspace(t, files))}, "linux/amd64", images.Remote{Repository: repo}, false)
		if err != nil {
			t.Fatal(err)
		}
		return out.Digest
	}
	base := solve(startDaemon(t, images.DaemonOptions{}), map[string][]byte{"tool": imagestest.Tool(t, "amd64"),
		"Dockerfile": []byte("FROM scratch\nCOPY tool /tool\nRUN [\"/tool\", \"rand\", \"/r\"]\n")}, reg.Host+"/base")
	onTop := map[string][]byte{"src.txt": []byte("on top\n"), "Dockerfile": []byte("FROM " + reg.Host + "/base@" + base + "\nCOPY src.txt /src.txt\n")}

	bin, calls := t.TempDir(), filepath.Join(t.TempDir(), "calls")
	script := "#!/bin/sh\necho \"$@\" >> " + calls + "\nexec gzip \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "igzip"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(filepath.ListSeparator)+os.Getenv("PATH"))
	d := startDaemon(t, images.DaemonOptions{GoGzip: true})
	if d.Decompressor != "Go's compress/gzip" {
		t.Errorf("with GoGzip, Decompressor = %q, want Go's compress/gzip", d.Decompressor)
	}
	solve(d, onTop, reg.Host+"/app")
	if b, err := os.ReadFile(calls); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("with GoGzip buildkitd still ran the igzip on its PATH: %q, %v", b, err)
	}
	d = startDaemon(t, images.DaemonOptions{})
	if d.Decompressor != "igzip" {
		t.Errorf("Decompressor = %q, want igzip", d.Decompressor)
	}
	solve(d, onTop, reg.Host+"/app")
	if b, err := os.ReadFile(calls); err != nil || !strings.Contains(string(b), "-d") {
		t.Errorf("buildkitd extracted the base's layers without the igzip on its PATH: %q, %v", b, err)
	}
}

func ran(steps []string, prefix string) bool {
	for _, s := range steps {
		if strings.Contains(s, prefix) {
			return true
		}
	}
	return false
}

// BuildKit's default SBOM generator (docker/buildkit-syft-scanner) is on Docker Hub, out of reach
// here: the test's generator is the test tool, speaking BuildKit's SBOM protocol, in a local image.
func TestSolve_SBOMFromAGeneratorImageIsAttached(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, images.DaemonOptions{})
	reg := registrytest.Start(t, registrytest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s := &images.Solver{Client: d.Client, Log: testWriter{t}}
	scannerWS := workspace(t, map[string][]byte{"tool": imagestest.Tool(t, "amd64"),
		"Dockerfile": []byte("FROM scratch\nCOPY tool /tool\nENTRYPOINT [\"/tool\", \"sbom\"]\n")})
	scanner, err := s.Solve(ctx, images.Request{Spec: spec(t, scannerWS)}, "linux/amd64", images.Remote{Repository: reg.Host + "/scanner"}, false)
	if err != nil {
		t.Fatal(err)
	}
	appWS := workspace(t, map[string][]byte{"tool": imagestest.Tool(t, "amd64"), "Dockerfile": []byte("FROM scratch\nCOPY tool /app-binary\n")})
	app, err := s.Solve(ctx, images.Request{Spec: spec(t, appWS)}, "linux/amd64", images.Remote{
		Repository: reg.Host + "/app", Attest: images.Attestations{SBOM: reg.Host + "/scanner@" + scanner.Digest},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewDigest(reg.Host + "/app@" + app.Digest)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("with an SBOM the push is an index: %v", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range m.Manifests {
		if c.Annotations["vnd.docker.reference.type"] != "attestation-manifest" {
			continue
		}
		img, err := idx.Image(c.Digest)
		if err != nil {
			t.Fatal(err)
		}
		text := string(layerText(t, img))
		found = strings.Contains(text, "https://spdx.dev/Document") && strings.Contains(text, "/app-binary")
	}
	if !found {
		t.Errorf("no SBOM attestation listing /app-binary in %s", app.Digest)
	}
}

func TestDaemon_ACancelledStartLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	testenv.Root(t, "buildkitd runs as root")
	_, err := exec.LookPath("buildkitd")
	dockertest.Require(t, "buildkitd (.ci/setup)", err)
	parent, err := os.MkdirTemp("", "bk") // short: a socket path has at most 104 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(parent) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the run is cancelled while buildkitd starts
	if d, err := images.StartDaemon(ctx, images.DaemonOptions{Dir: parent}); err == nil {
		_ = d.Stop()
		t.Fatal("StartDaemon under a cancelled context succeeded")
	}
	left, err := os.ReadDir(parent)
	if err != nil || len(left) > 0 {
		t.Errorf("a cancelled start left %v (%v)", left, err)
	}
}

// The gha cache against a cache service that is not slipway's: nektos/act's (protocol v1), with the
// variables act gives a step. ACTIONS_RESULTS_URL is act's artifact server there, which serves no
// cache: a closed port here, so choosing v2 would fail. The RUN is in a builder stage whose file the
// image copies after the changed one: only mode=max keeps the builder stage's result, so with
// mode=min the RUN runs again and writes other bytes.
func TestSolve_GHACacheModeMaxThroughActsCacheServerKeepsTheBuilderStage(t *testing.T) {
	t.Parallel()
	act := imagestest.StartActCache(t)
	reg := registrytest.Start(t, registrytest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	files := map[string][]byte{
		"tool": imagestest.Tool(t, "amd64"),
		"Dockerfile": []byte("FROM scratch AS build\nCOPY tool /tool\nRUN [\"/tool\", \"rand\", \"/expensive\"]\n" +
			"FROM scratch\nCOPY src.txt /src.txt\nCOPY --from=build /expensive /expensive\n"),
		"src.txt": []byte("line one\n"),
	}
	env := images.GHAEnv{Token: act.Token, CacheURL: act.URL, ResultsURL: "http://" + registrytest.ClosedPort(t) + "/"}
	caches := func(line string, export bool) []images.Cache {
		c, err := images.ParseCache(line, export)
		if err == nil {
			c, err = images.ResolveGHA(c, env)
		}
		if err != nil {
			t.Fatal(err)
		}
		return []images.Cache{c}
	}
	build := func(ws string) (images.Solved, []byte) {
		d := startDaemon(t, images.DaemonOptions{}) // a builder that holds nothing
		s := &images.Solver{Client: d.Client, Log: testWriter{t}}
		out, err := s.Solve(ctx, images.Request{Spec: spec(t, ws)}, "linux/amd64", images.Remote{
			Repository: reg.Host + "/app", CacheFrom: caches("type=gha", false), CacheTo: caches("type=gha,mode=max", true),
		}, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Stop(); err != nil {
			t.Fatal(err)
		}
		ref, err := name.NewDigest(reg.Host + "/app@" + out.Digest)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(ref)
		if err != nil {
			t.Fatal(err)
		}
		return out, imagestest.FileIn(t, img, "expensive")
	}
	cold, coldBytes := build(workspace(t, files))
	if !ran(cold.Ran, "RUN") {
		t.Fatalf("the cold build ran %v, cached %v: want the RUN step run", cold.Ran, cold.Cached)
	}
	if act.Entries(t) == 0 {
		t.Fatal("act's cache server holds no entry after the export")
	}
	files["src.txt"] = []byte("line one, changed\n")
	warm, warmBytes := build(workspace(t, files))
	if ran(warm.Ran, "RUN") || !ran(warm.Cached, "RUN") || !ran(warm.Cached, "COPY tool") {
		t.Errorf("with the gha cache the builder stage should come from it: ran %v, cached %v", warm.Ran, warm.Cached)
	}
	if !ran(warm.Ran, "COPY src.txt") {
		t.Errorf("the changed COPY src.txt should run again: ran %v, cached %v", warm.Ran, warm.Cached)
	}
	if !bytes.Equal(coldBytes, warmBytes) || len(coldBytes) == 0 {
		t.Errorf("/expensive differs between the builds (%d and %d bytes): the RUN ran again", len(coldBytes), len(warmBytes))
	}
}

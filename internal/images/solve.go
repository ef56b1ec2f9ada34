package images

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/platforms"
	bkclient "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"
)

// Solver builds on slipway's own buildkitd (Daemon) what the engine's builder cannot: each platform
// of an image pushed by digest (package registry merges the digests into one index), a cache
// exported to a registry or to the GitHub Actions cache, provenance and SBOM attestations. It uses
// BuildKit's Dockerfile frontend (dockerfile.v0, built into buildkitd) as buildx does.
type Solver struct {
	Client *bkclient.Client
	Login  LoginFunc // registry logins for FROM images, the cache and the push; nil for anonymous
	Log    io.Writer // RUN output: untrusted text
	mu     sync.Mutex
}

// Remote is what a remote build exports.
type Remote struct {
	Repository string            // where each platform is pushed by digest: host/name
	CacheFrom  []Cache           // caches to import
	CacheTo    []Cache           // caches to export
	Attest     Attestations      // attestations attached to each platform's push
	Secrets    map[string][]byte // RUN --mount=type=secret
	VCS        VCS               // the commit the build comes from, named in the provenance
	// PlatformCache keeps each platform's cache apart even when this build has one platform: a
	// push-by-digest job of a matrix, whose sibling jobs build the other platforms of the image.
	PlatformCache bool
}

// VCS is the source the provenance names.
type VCS struct{ Source, Revision string }

// Attestations are the in-toto attestations BuildKit attaches to what it pushes.
type Attestations struct {
	Provenance string // "", "min" or "max"
	SBOM       string // "" for none; else the SBOM generator image (BuildKit's default is docker/buildkit-syft-scanner)
}

// Cache is one cache-from or cache-to entry, as BuildKit reads it (type and attributes).
type Cache struct {
	Type  string
	Attrs map[string]string
}

// Solved is one platform of an image, pushed by digest.
type Solved struct {
	Platform string
	Digest   string   // of what was pushed: an index of the image and its attestations, or the image's manifest
	Cached   []string // build steps answered from cache
	Ran      []string // build steps run
	Layers   LayerTime
}

// LayerTime is the wall time buildkitd spent on layers it did not build: a step that runs on top
// of a cached or base layer needs it pulled and extracted first (BuildKit's COPY --link does not).
// This time falls outside every step's own timing.
type LayerTime struct {
	Pulling    time.Duration // some layer being fetched from a registry or the cache
	Extracting time.Duration // some layer being unpacked into a snapshot
}

// knownPlatforms are the platforms BuildKit builds Linux images for.
var knownPlatforms = []string{"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6", "linux/386",
	"linux/ppc64le", "linux/s390x", "linux/riscv64", "linux/mips64le"}

// ParsePlatforms reads a platforms list (linux/amd64,linux/arm64), naming each unknown one.
func ParsePlatforms(list []string) ([]string, error) {
	var out []string
	var errs []error
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := platforms.Parse(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("platform %q: %v", s, err))
			continue
		}
		f := platforms.Format(platforms.Normalize(p))
		if !slices.Contains(knownPlatforms, f) {
			errs = append(errs, fmt.Errorf("platform %q is not one BuildKit builds (one of %s)", s, strings.Join(knownPlatforms, ", ")))
			continue
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, errors.Join(errs...)
}

// ParseCache reads a cache-from or cache-to line (type=registry,ref=…,mode=max; type=gha,mode=max).
// A registry cache is written with OCI media types and an image manifest, which ECR accepts; a gha
// cache is filled from the runner's environment by ResolveGHA. Errors show the line with its
// token= and ghtoken= values hidden.
func ParseCache(line string, export bool) (Cache, error) {
	c := Cache{Attrs: map[string]string{}}
	shown := shownCacheLine(line)
	for _, f := range strings.Split(line, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return c, fmt.Errorf("%s: each field is key=value", shown)
		}
		if k == "type" {
			c.Type = v
		} else {
			c.Attrs[k] = v
		}
	}
	switch c.Type {
	case "registry":
		if c.Attrs["ref"] == "" {
			return c, fmt.Errorf("%s: type=registry needs ref=<image reference>", shown)
		}
		if export {
			for k, v := range map[string]string{"mode": "min", "oci-mediatypes": "true", "image-manifest": "true"} {
				if _, set := c.Attrs[k]; !set {
					c.Attrs[k] = v
				}
			}
		}
	case "gha":
		if v, set := c.Attrs["version"]; set && v != "1" && v != "2" {
			return c, fmt.Errorf("%s: version is the cache service's protocol, 1 or 2", shown)
		}
	case "inline":
	default:
		return c, fmt.Errorf("%s: type must be registry, gha or inline", shown)
	}
	if m := c.Attrs["mode"]; m != "" && m != "min" && m != "max" {
		return c, fmt.Errorf("%s: mode is min or max", shown)
	}
	return c, nil
}

// BuildPlatforms builds every platform of one image at once and pushes each by digest to
// o.Repository. It returns the platforms in the order asked, or one error naming each that failed.
func (s *Solver) BuildPlatforms(ctx context.Context, r Request, plats []string, o Remote) ([]Solved, error) {
	out := make([]Solved, len(plats))
	var g errgroup.Group
	errs := make([]error, len(plats))
	for i, p := range plats {
		g.Go(func() error {
			out[i], errs[i] = s.Solve(ctx, r, p, o, platformCache(plats, p, o))
			if errs[i] != nil {
				errs[i] = fmt.Errorf("build %s for %s: %w", r.Spec.Name, p, errs[i])
			}
			return nil
		})
	}
	_ = g.Wait()
	return out, errors.Join(errs...)
}

// platformCache says whether platform p keeps a cache of its own (a registry cache's tag, a gha
// scope): when the image has several platforms, in this build or across a matrix's push-by-digest
// jobs; never for the worker's own platform, named by none.
func platformCache(plats []string, p string, o Remote) bool {
	return p != "" && (len(plats) > 1 || o.PlatformCache)
}

// Solve builds one platform and pushes it by digest. With several platforms each writes its cache
// under a tag of its own (the ref's tag, -os-arch), so one platform's cache does not replace
// another's.
func (s *Solver) Solve(ctx context.Context, r Request, platform string, o Remote, perPlatformCache bool) (Solved, error) {
	res := Solved{Platform: platform}
	ctxFS, err := fsutil.NewFS(r.Spec.ContextDir)
	if err != nil {
		return res, fmt.Errorf("context %s: %w", r.Spec.Context, err)
	}
	dfDir, dfName := filepath.Split(r.Spec.DockerfilePath)
	dfFS, err := fsutil.NewFS(dfDir)
	if err != nil {
		return res, err
	}
	attrs := map[string]string{"filename": dfName}
	if platform != "" {
		attrs["platform"] = platform
	}
	if r.Spec.Target != "" {
		attrs["target"] = r.Spec.Target
	}
	for k, v := range r.Spec.BuildArgs {
		attrs["build-arg:"+k] = v
	}
	for k, v := range r.Labels {
		attrs["label:"+k] = v
	}
	if o.Attest.Provenance != "" {
		attrs["attest:provenance"] = "mode=" + o.Attest.Provenance
	}
	if o.Attest.SBOM != "" {
		attrs["attest:sbom"] = "generator=" + o.Attest.SBOM
	}
	if o.VCS.Revision != "" {
		attrs["vcs:source"], attrs["vcs:revision"] = o.VCS.Source, o.VCS.Revision
	}
	opt := bkclient.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
		Session:       []session.Attachable{secretsprovider.FromMap(o.Secrets), authProvider(s.Login)},
		Exports: []bkclient.ExportEntry{{Type: bkclient.ExporterImage, Attrs: map[string]string{
			"name": o.Repository, "push": "true", "push-by-digest": "true", "name-canonical": "true",
			"oci-mediatypes": "true", "unpack": "false",
		}}},
		CacheImports: cacheEntries(o.CacheFrom, r.Spec.Name, platform, perPlatformCache),
		CacheExports: cacheEntries(o.CacheTo, r.Spec.Name, platform, perPlatformCache),
	}
	status := make(chan *bkclient.SolveStatus)
	done := make(chan struct{})
	go func() { defer close(done); res.Cached, res.Ran, res.Layers = s.follow(r.Spec.Name, platform, status) }()
	resp, err := s.Client.Solve(ctx, nil, opt, status) // closes status
	<-done
	if errors.As(err, new(*errdefs.SolveError)) || len(errdefs.Sources(err)) > 0 {
		// A step of the user's Dockerfile failed, or one of its lines cannot be built (a COPY of
		// what the context lacks): BuildKit names the line. Exit 1, as the engine's builder's is.
		return res, &BuildError{Message: err.Error()}
	}
	if err != nil {
		return res, err
	}
	res.Digest = resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	if res.Digest == "" {
		return res, errors.New("buildkitd pushed no digest")
	}
	return res, nil
}

// cacheEntries turns caches into BuildKit's entries for one image: a registry cache with a tag per
// platform when asked, a gha cache under the image's scope (GHAScope).
func cacheEntries(cs []Cache, image, platform string, perPlatform bool) []bkclient.CacheOptionsEntry {
	var out []bkclient.CacheOptionsEntry
	for _, c := range cs {
		attrs := maps.Clone(c.Attrs)
		if ref := attrs["ref"]; ref != "" && perPlatform {
			attrs["ref"] = PlatformCacheRef(ref, platform)
		}
		if c.Type == "gha" {
			attrs["scope"] = GHAScope(attrs["scope"], image, platform, perPlatform)
		}
		out = append(out, bkclient.CacheOptionsEntry{Type: c.Type, Attrs: attrs})
	}
	return out
}

// PlatformCacheRef is the cache reference a platform uses when an image has several: the ref's tag
// (latest when none) followed by -os-arch[-variant].
func PlatformCacheRef(ref, platform string) string {
	suffix := "-" + strings.ReplaceAll(platform, "/", "-")
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		return ref + suffix
	}
	return ref + ":latest" + suffix
}

// follow reads the solve's status: each step's name once it completes, cached or run, the time
// spent on layers, and the RUN output into the log.
func (s *Solver) follow(name, platform string, status <-chan *bkclient.SolveStatus) (cached, ran []string, layers LayerTime) {
	seen := map[string]bool{}
	var lt layerTimer
	for st := range status {
		lt.add(st.Statuses)
		for _, v := range st.Vertexes {
			if v.Completed == nil || seen[v.Digest.String()] || v.Error != "" {
				continue
			}
			seen[v.Digest.String()] = true
			if v.Cached {
				cached = append(cached, v.Name)
			} else {
				ran = append(ran, v.Name)
			}
		}
		for _, l := range st.Logs {
			s.logf("%s (%s): %s", name, platform, strings.TrimRight(string(l.Data), "\n"))
		}
	}
	return cached, ran, lt.times()
}

func (s *Solver) logf(format string, args ...any) {
	if s.Log == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.Log, format+"\n", args...)
}

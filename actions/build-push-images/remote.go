package buildpushimages

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/registry"
	"github.com/slipway-actions/slipway/internal/registryauth"
)

// remoteConfig is what only slipway's own buildkitd does: several platforms, a cache exported to a
// registry, attestations, pushes by digest and their merge.
type remoteConfig struct {
	Platforms    []string
	CacheFrom    []images.Cache
	CacheTo      []images.Cache
	Provenance   string // "", min or max (auto resolved: max for a tag, none otherwise)
	SBOM         string // the SBOM generator image; "" for none
	PushByDigest bool
	Merge        map[string][]string // image name → the digests to merge, from merge-digests
}

// needed says whether the build needs buildkitd: the engine's builder does everything else.
func (r remoteConfig) needed(specs []images.Spec) bool {
	if len(r.Platforms) > 1 || len(r.CacheTo) > 0 || r.Provenance != "" || r.SBOM != "" || r.PushByDigest || len(r.Merge) > 0 {
		return true
	}
	return slices.ContainsFunc(specs, func(s images.Spec) bool { return len(s.Platforms) > 1 })
}

func parseRemote(k *actionkit.Kit, in *actionkit.Inputs, cfg config) remoteConfig {
	var r remoteConfig
	ps, err := images.ParsePlatforms(in.List("platforms"))
	if err != nil {
		in.Invalid("platforms", "%v", err)
	}
	r.Platforms = ps
	for _, line := range in.Multiline("cache-to") {
		if strings.ReplaceAll(line, " ", "") == "type=inline" {
			continue
		}
		c, err := images.ParseCache(line, true)
		if err != nil {
			in.Invalid("cache-to", "%v", err)
			continue
		}
		r.CacheTo = append(r.CacheTo, c)
	}
	if len(r.CacheTo) > 0 { // buildkitd builds: it reads every cache-from too
		for _, line := range in.Multiline("cache-from") {
			if !strings.Contains(line, "=") {
				line = "type=registry,ref=" + line
			}
			if c, err := images.ParseCache(line, false); err == nil {
				r.CacheFrom = append(r.CacheFrom, c)
			}
		}
	}
	switch p := in.Enum("provenance", "auto", "false", "min", "max"); p {
	case "auto":
		// Releases carry their provenance; not yet to ECR, which slipway's buildkitd cannot log in to.
		if strings.HasPrefix(k.Getenv("GITHUB_REF"), "refs/tags/") && !needsAWS(cfg.Registries) {
			r.Provenance = "max"
		}
	case "false":
	default:
		r.Provenance = p
	}
	r.SBOM = in.String("sbom")
	r.PushByDigest = in.Bool("push-by-digest")
	r.Merge = parseMerge(in, cfg.Images)
	if r.needed(cfg.Images) && !cfg.Push {
		in.Invalid("push", "must be true for what only slipway's buildkitd builds (several platforms, cache-to type=registry, attestations, push-by-digest): it pushes as it builds")
	}
	if r.PushByDigest && len(r.Merge) > 0 {
		in.Invalid("merge-digests", "goes in the job after the push-by-digest jobs, not with push-by-digest")
	}
	return r
}

// parseMerge reads merge-digests: lines of name@sha256:…, as the push-by-digest jobs' digests
// output writes them.
func parseMerge(in *actionkit.Inputs, specs []images.Spec) map[string][]string {
	lines := in.Multiline("merge-digests")
	if len(lines) == 0 {
		return nil
	}
	out := map[string][]string{}
	for _, line := range lines {
		n, d, ok := strings.Cut(line, "@")
		if !ok || !strings.HasPrefix(d, "sha256:") || len(d) != len("sha256:")+64 {
			in.Invalid("merge-digests", "%q is not name@sha256:<64 hex digits>", line)
			continue
		}
		if !slices.ContainsFunc(specs, func(s images.Spec) bool { return s.Name == n }) {
			in.Invalid("merge-digests", "%q names no image of the images input", line)
			continue
		}
		if !slices.Contains(out[n], d) {
			out[n] = append(out[n], d)
		}
	}
	return out
}

// buildPushRemote builds on slipway's own buildkitd, started here and removed at the end: each
// image's platforms pushed by digest to the first registry, then (unless push-by-digest leaves it
// to a merge job) one OCI index per image tagged in every registry. merge-digests only merges.
func buildPushRemote(ctx context.Context, k *actionkit.Kit, cfg config, ref images.GitRef, origin images.Origin, tags images.Tags, logins *registryauth.Logins) error {
	start := time.Now()
	p := &registry.Publisher{Logins: logins, Infof: k.Infof, Mask: k.AddMask}
	if needsAWS(cfg.Registries) {
		return failure.BadInput(errors.New("input \"registries\": ECR with several platforms, a registry cache or attestations is not supported yet; push to ECR from a single-platform build"))
	}
	if len(cfg.Remote.Merge) > 0 {
		return mergeAll(ctx, k, cfg, tags, p, start)
	}
	log := k.Untrusted()
	defer log.Close()
	// An unmarked error is infrastructure: exit 3.
	d, err := images.StartDaemon(ctx, images.DaemonOptions{Log: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := d.Stop(); err != nil {
			k.Warningf("%v", err)
		}
	}()
	can, err := d.Platforms(ctx)
	if err != nil {
		return err
	}
	solver := &images.Solver{Client: d.Client, Login: logins.Find, Log: log}
	remote := images.Remote{CacheFrom: cfg.Remote.CacheFrom, CacheTo: cfg.Remote.CacheTo, Secrets: cfg.Secrets,
		Attest: images.Attestations{Provenance: cfg.Remote.Provenance, SBOM: cfg.Remote.SBOM},
		VCS:    images.VCS{Source: origin.Source, Revision: ref.SHA}}
	var rows [][]string
	var digests []string
	var errs []error
	for _, req := range buildRequests(cfg.Images, origin, tags) {
		plats := cmpList(req.Spec.Platforms, cfg.Remote.Platforms)
		if missing := slices.DeleteFunc(slices.Clone(plats), func(p string) bool { return slices.Contains(can, p) }); len(missing) > 0 {
			return fmt.Errorf("this runner cannot build %s (it builds %s): register QEMU's binfmt handlers (docker/setup-qemu-action), or build each platform on its own runner with push-by-digest", strings.Join(missing, ", "), strings.Join(can, ", "))
		}
		if len(plats) == 0 {
			plats = []string{""} // the worker's own platform
		}
		remote.Repository = cfg.Registries[0].Repository(req.Spec.Name)
		k.Group(fmt.Sprintf("build %s for %s", req.Spec.Name, strings.Join(plats, ", ")))
		solved, err := solver.BuildPlatforms(ctx, req, plats, remote)
		k.EndGroup()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var ds []string
		for _, s := range solved {
			k.Infof("%s %s: pushed %s (%d steps run, %d from cache%s)", req.Spec.Name, s.Platform, s.Digest, len(s.Ran), len(s.Cached), layerNote(s.Layers))
			ds = append(ds, s.Digest)
			digests = append(digests, req.Spec.Name+"@"+s.Digest)
		}
		if cfg.Remote.PushByDigest {
			rows = append(rows, []string{req.Spec.Name, strings.Join(plats, " "), strings.Join(ds, " "), "by digest: merge-digests tags it"})
			continue
		}
		res, err := p.Merge(ctx, registry.Image{Name: req.Spec.Name, Tags: tags.Tags}, ds, cfg.Registries)
		if err != nil {
			errs = append(errs, err)
		}
		rows = append(rows, mergedRows(res)...)
	}
	_ = k.SetOutput("digests", strings.Join(digests, "\n"))
	remoteSummary(k, rows, time.Since(start))
	if err := errors.Join(errs...); err != nil {
		if errors.As(err, new(*images.BuildError)) {
			return failure.Failed(err)
		}
		return err
	}
	return nil
}

// layerNote says how long buildkitd spent pulling and extracting the layers (cached or base) that
// the steps it ran needed: time outside every step's own.
func layerNote(l images.LayerTime) string {
	if l == (images.LayerTime{}) {
		return ""
	}
	return fmt.Sprintf("; layers under the steps run: %s pulling, %s extracting", l.Pulling.Round(time.Millisecond), l.Extracting.Round(time.Millisecond))
}

// mergeAll writes, for each image of merge-digests, the index of its digests and its tags.
func mergeAll(ctx context.Context, k *actionkit.Kit, cfg config, tags images.Tags, p *registry.Publisher, start time.Time) error {
	var rows [][]string
	var errs []error
	for _, s := range cfg.Images {
		ds := cfg.Remote.Merge[s.Name]
		if len(ds) == 0 {
			continue
		}
		res, err := p.Merge(ctx, registry.Image{Name: s.Name, Tags: tags.Tags}, ds, cfg.Registries)
		if err != nil {
			errs = append(errs, err)
		}
		rows = append(rows, mergedRows(res)...)
		if s.Name == cfg.Images[0].Name {
			_ = k.SetOutput("digest", res.Digest)
		}
	}
	remoteSummary(k, rows, time.Since(start))
	err := errors.Join(errs...)
	if registry.Refused(err) {
		return failure.BadInput(err)
	}
	return err
}

func mergedRows(res registry.Result) [][]string {
	var rows [][]string
	for _, d := range res.Destinations {
		state := d.Registry.String()
		if d.Err != nil {
			state += " — FAILED"
		}
		rows = append(rows, []string{res.Image.Name, strings.Join(d.Pushed, " "), registry.ShortDigest(res.Digest), state})
	}
	return rows
}

func remoteSummary(k *actionkit.Kit, rows [][]string, took time.Duration) {
	s := k.Summary()
	s.Heading(2, "build-push-images")
	s.Table([]string{"Image", "Tags or platforms", "Digest", "Registry"}, rows)
	s.Paragraph("Built with slipway's buildkitd. Took " + took.Round(time.Second).String() + ".")
}

// cmpList is the first list that is not empty.
func cmpList(lists ...[]string) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

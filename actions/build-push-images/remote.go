package buildpushimages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/factory"
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
	if slices.ContainsFunc(r.CacheFrom, func(c images.Cache) bool { return c.Type == "gha" }) {
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
	r.CacheFrom, r.CacheTo = parseRemoteCaches(k, in)
	switch p := in.Enum("provenance", "auto", "false", "min", "max"); p {
	case "auto":
		// Releases carry their provenance.
		if strings.HasPrefix(k.Getenv("GITHUB_REF"), "refs/tags/") {
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
		in.Invalid("push", "must be true for what only slipway's buildkitd builds (several platforms, cache-to type=registry, a gha cache, attestations, push-by-digest): it pushes as it builds")
	}
	if r.PushByDigest && len(r.Merge) > 0 {
		in.Invalid("merge-digests", "goes in the job after the push-by-digest jobs, not with push-by-digest")
	}
	return r
}

// parseRemoteCaches reads the caches slipway's buildkitd imports and exports: every cache-to line
// but type=inline, and every cache-from line (the engine's builder reads only the references, see
// parseCache). A type=gha line takes the service and its token from the runner's variables, and the
// token is masked at once; one the runner's variables cannot serve is bad input naming the input and
// the variable missing.
func parseRemoteCaches(k *actionkit.Kit, in *actionkit.Inputs) (from, to []images.Cache) {
	env := images.GHAEnv{Token: k.Getenv("ACTIONS_RUNTIME_TOKEN"), CacheURL: k.Getenv("ACTIONS_CACHE_URL"),
		ResultsURL: k.Getenv("ACTIONS_RESULTS_URL"), ServiceV2: k.Getenv("ACTIONS_CACHE_SERVICE_V2")}
	read := func(input, line string, export bool) (images.Cache, error) {
		c, err := images.ParseCache(line, export)
		if cacheType(line) != "gha" {
			return c, err
		}
		k.AddMask(c.Attrs["token"])
		k.AddMask(c.Attrs["ghtoken"])
		if err == nil {
			k.AddMask(env.Token)
			c, err = images.ResolveGHA(c, env)
		}
		if err != nil {
			in.Invalid(input, "%v", err)
		}
		return c, err
	}
	for _, line := range in.Multiline("cache-to") {
		if strings.ReplaceAll(line, " ", "") == "type=inline" {
			continue
		}
		if c, err := read("cache-to", line, true); err == nil {
			to = append(to, c)
		} else if cacheType(line) != "gha" {
			in.Invalid("cache-to", "%v", err)
		}
	}
	for _, line := range in.Multiline("cache-from") {
		if !strings.Contains(line, "=") {
			line = "type=registry,ref=" + line
		}
		if c, err := read("cache-from", line, false); err == nil {
			from = append(from, c)
		} // a bad line that is not type=gha is parseCache's to name
	}
	return from, to
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
func buildPushRemote(ctx context.Context, k *actionkit.Kit, cfg config, ref images.GitRef, origin images.Origin, tags images.Tags, logins *registryauth.Logins, clients *factory.Factory) error {
	start := time.Now()
	p, err := prepareRemote(ctx, k, cfg, tags, logins, clients)
	if err != nil {
		return err
	}
	if len(cfg.Remote.Merge) > 0 {
		return mergeAll(ctx, k, cfg, tags, p, start)
	}
	// ECR's tokens asked for before buildkitd's log stops workflow commands: the runner must see
	// their ::add-mask::.
	login := p.Login(ctx, cfg.Registries)
	for _, host := range ecrHosts(cfg) {
		if _, err := login(host); err != nil {
			return checkFailed(k, err)
		}
	}
	log := k.Untrusted()
	defer log.Close()
	d, stop, err := startBuilder(ctx, k, log)
	if err != nil {
		return err
	}
	defer stop()
	can, err := d.Platforms(ctx)
	if err != nil {
		return err
	}
	reqs := buildRequests(cfg.Images, origin, tags)
	plats, err := planPlatforms(cfg, reqs, can)
	if err != nil {
		return err
	}
	solver := &images.Solver{Client: d.Client, Login: login, Log: log}
	remote := images.Remote{CacheFrom: cfg.Remote.CacheFrom, CacheTo: cfg.Remote.CacheTo, Secrets: cfg.Secrets,
		Attest:        images.Attestations{Provenance: cfg.Remote.Provenance, SBOM: cfg.Remote.SBOM},
		VCS:           images.VCS{Source: origin.Source, Revision: ref.SHA},
		PlatformCache: cfg.Remote.PushByDigest}
	built, digests, errs := buildAll(ctx, k, cfg, solver, remote, reqs, plats)
	_ = k.SetOutput("digests", strings.Join(digests, "\n"))
	var rows [][]string
	switch {
	case len(errs) > 0: // nothing tagged unless every image built
		rows = byDigestRows(reqs, plats, built, "not tagged: an image failed to build")
	case cfg.Remote.PushByDigest:
		rows = byDigestRows(reqs, plats, built, "by digest: merge-digests tags it")
	default:
		digestsOf := map[string][]string{}
		for i, req := range reqs {
			digestsOf[req.Spec.Name] = built[i]
		}
		var merr error
		rows, merr = mergeImages(ctx, k, cfg, tags, p, digestsOf)
		errs = append(errs, merr)
	}
	remoteSummary(k, rows, time.Since(start))
	if err := errors.Join(errs...); err != nil {
		if errors.As(err, new(*images.BuildError)) {
			return failure.Failed(err)
		}
		return err
	}
	return nil
}

// planPlatforms says which platforms each image is built for here, checked for every image before
// any is built: an image's own platforms, else the platforms input, else the worker's own (""). In a
// push-by-digest job given its platform (one leg of a matrix), an image builds only those of its own
// platforms that are the job's, and none when none is.
func planPlatforms(cfg config, reqs []images.Request, can []string) ([][]string, error) {
	out := make([][]string, len(reqs))
	var missing []string
	for i, req := range reqs {
		plats := cmpList(req.Spec.Platforms, cfg.Remote.Platforms)
		if cfg.Remote.PushByDigest && len(cfg.Remote.Platforms) > 0 && len(req.Spec.Platforms) > 0 {
			plats = slices.DeleteFunc(slices.Clone(req.Spec.Platforms), func(p string) bool { return !slices.Contains(cfg.Remote.Platforms, p) })
		} else if len(plats) == 0 {
			plats = []string{""} // the worker's own platform
		}
		for _, p := range plats {
			if p != "" && !slices.Contains(can, p) && !slices.Contains(missing, p) {
				missing = append(missing, p)
			}
		}
		out[i] = plats
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("this runner cannot build %s (it builds %s): register QEMU's binfmt handlers (docker/setup-qemu-action), or build each platform on its own runner with push-by-digest", strings.Join(missing, ", "), strings.Join(can, ", "))
	}
	return out, nil
}

// buildAll builds and pushes by digest every image's platforms: the digests of each image, in the
// order of reqs, the digests output's lines, and the builds' errors.
func buildAll(ctx context.Context, k *actionkit.Kit, cfg config, solver *images.Solver, remote images.Remote, reqs []images.Request, plats [][]string) ([][]string, []string, []error) {
	built := make([][]string, len(reqs))
	var digests []string
	var errs []error
	for i, req := range reqs {
		if len(plats[i]) == 0 {
			k.Infof("%s: none of its platforms is this job's (%s): not built here", req.Spec.Name, strings.Join(cfg.Remote.Platforms, ", "))
			continue
		}
		remote.Repository = cfg.Registries[0].Repository(req.Spec.Name)
		k.Group(fmt.Sprintf("build %s for %s", req.Spec.Name, strings.Join(plats[i], ", ")))
		solved, err := solver.BuildPlatforms(ctx, req, plats[i], remote)
		k.EndGroup()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range solved {
			k.Infof("%s %s: pushed %s (%d steps run, %d from cache%s)", req.Spec.Name, s.Platform, s.Digest, len(s.Ran), len(s.Cached), layerNote(s.Layers))
			built[i] = append(built[i], s.Digest)
			digests = append(digests, req.Spec.Name+"@"+s.Digest)
		}
	}
	return built, digests, errs
}

// byDigestRows are the summary's rows of images pushed by digest and not tagged, and why not.
func byDigestRows(reqs []images.Request, plats [][]string, built [][]string, why string) [][]string {
	var rows [][]string
	for i, req := range reqs {
		if len(built[i]) > 0 {
			rows = append(rows, []string{req.Spec.Name, strings.Join(plats[i], " "), strings.Join(built[i], " "), why})
		}
	}
	return rows
}

// ecrHosts are the ECR registries slipway's buildkitd logs in to: of the registries input and of
// the cache references.
func ecrHosts(cfg config) []string {
	var hosts []string
	for _, r := range cfg.Registries {
		if r.Kind == registry.ECR {
			hosts = append(hosts, r.Host)
		}
	}
	for _, c := range slices.Concat(cfg.Remote.CacheFrom, cfg.Remote.CacheTo) {
		host, _, _ := strings.Cut(c.Attrs["ref"], "/")
		if r, err := registry.Parse(host); err == nil && r.Kind == registry.ECR && !slices.Contains(hosts, r.Host) {
			hosts = append(hosts, r.Host)
		}
	}
	return hosts
}

// prepareRemote readies the registries before buildkitd starts: ECR's clients, then every
// destination checked (a push by digest goes to the first registry and writes no tag; a merge tags
// in every registry) and the missing ECR repositories created. A refusal is exit 2 and one that
// cannot be checked exit 3, both before anything is built or pushed.
func prepareRemote(ctx context.Context, k *actionkit.Kit, cfg config, tags images.Tags, logins *registryauth.Logins, clients *factory.Factory) (*registry.Publisher, error) {
	p := &registry.Publisher{Logins: logins, Infof: k.Infof, Mask: k.AddMask,
		CreateRepositories: cfg.CreateRepositories, LifecyclePolicy: cfg.ECRLifecyclePolicy}
	if needsAWS(cfg.Registries) {
		var err error
		if p.ECR, err = ecrClients(ctx, clients, cfg.AWSRegion); err != nil {
			return nil, err
		}
	}
	var names []string
	for _, s := range cfg.Images {
		if len(cfg.Remote.Merge) == 0 || len(cfg.Remote.Merge[s.Name]) > 0 {
			names = append(names, s.Name)
		}
	}
	regs, write := cfg.Registries, tags.Tags
	if cfg.Remote.PushByDigest {
		regs, write = regs[:1], nil
	}
	if err := p.Prepare(ctx, names, write, regs); err != nil {
		return nil, checkFailed(k, err)
	}
	return p, nil
}

// checkFailed is a registry check's failure, before anything was pushed: a refusal (credentials,
// rights, repositories, tags) is for the user to change, exit 2; a registry or ECR that could not be
// reached exit 3.
func checkFailed(k *actionkit.Kit, err error) error {
	err = fmt.Errorf("nothing was pushed: %w%s", err, loginAdvice(k.Getenv, err))
	if registry.Refused(err) {
		return failure.BadInput(err)
	}
	return err
}

// startBuilder starts slipway's buildkitd where it can run: in a container beside the action's (the
// engine at DOCKER_HOST knows the container slipway runs in), else as a process here (the local CLI,
// which may have no engine at all). stop removes it, after a cancel too. A builder that cannot start
// is infrastructure: exit 3.
func startBuilder(ctx context.Context, k *actionkit.Kit, log io.Writer) (*images.Daemon, func(), error) {
	cli, derr := factory.New(k.Getenv, k.Debugf).Docker(ctx)
	d, err := images.StartOwnDaemon(ctx, cli, images.DaemonOptions{Log: log})
	if err != nil {
		if cli != nil {
			_ = cli.Close()
		}
		if derr != nil {
			err = fmt.Errorf("%w (and no Docker engine to run it in a container beside slipway's: %v)", err, derr)
		}
		return nil, nil, err
	}
	k.Infof("slipway's buildkitd: %s", d.Where)
	return d, func() {
		if err := d.Stop(); err != nil {
			k.Warningf("%v", err)
		}
		if cli != nil {
			_ = cli.Close()
		}
	}, nil
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
	rows, err := mergeImages(ctx, k, cfg, tags, p, cfg.Remote.Merge)
	remoteSummary(k, rows, time.Since(start))
	if registry.Refused(err) {
		return failure.BadInput(err)
	}
	return err
}

// mergeImages writes, for each image with digests, the index of its digests under its tags in every
// registry, and sets the images, tags and digest outputs as the engine's path does: the summary's
// rows, and what failed.
func mergeImages(ctx context.Context, k *actionkit.Kit, cfg config, tags images.Tags, p *registry.Publisher, digestsOf map[string][]string) ([][]string, error) {
	var rows [][]string
	var merged []registry.Result
	var errs []error
	for _, s := range cfg.Images {
		ds := digestsOf[s.Name]
		if len(ds) == 0 {
			continue
		}
		res, err := p.Merge(ctx, registry.Image{Name: s.Name, Tags: tags.Tags}, ds, cfg.Registries)
		if err != nil {
			errs = append(errs, err)
		}
		rows = append(rows, mergedRows(res)...)
		merged = append(merged, res)
	}
	mergedOutputs(k, cfg.Images[0].Name, merged)
	return rows, errors.Join(errs...)
}

// mergedOutputs sets the images, tags and digest outputs of what was merged into indexes, as the
// engine's path sets them for what it pushed: the deploy job after a merge job reads them the same
// way. An index has no local image ID; a registry that failed contributes no tags. tags and digest
// are the first image's, when it was merged.
func mergedOutputs(k *actionkit.Kit, first string, results []registry.Result) {
	var out []imageOutput
	for _, res := range results {
		if res.Digest == "" {
			continue
		}
		o := imageOutput{Name: res.Image.Name, Digest: res.Digest}
		for _, d := range res.Destinations {
			o.Tags = append(o.Tags, d.Refs()...)
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		return
	}
	data, _ := json.Marshal(out)
	_ = k.SetOutput("images", string(data))
	if out[0].Name == first {
		_ = k.SetOutput("tags", strings.Join(out[0].Tags, "\n"))
		_ = k.SetOutput("digest", out[0].Digest)
	}
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

package images

import (
	"archive/tar"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/go-archive"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"golang.org/x/sync/errgroup"
)

// Builder builds images on the Docker engine: BuildKit through the engine's /session and /build
// endpoints (as the docker CLI does), or the classic builder where the engine has no BuildKit.
type Builder struct {
	Docker *client.Client
	Log    io.Writer            // build steps and RUN output: untrusted text
	Infof  func(string, ...any) // progress
	Jobs   int                  // builds at once; 0 means 2
	Force  string               // "classic" forces the classic builder (engines without BuildKit)
	Login  LoginFunc            // the login a FROM line's registry gets; nil pulls anonymously
	mu     sync.Mutex           // serialises writes to Log
}

// Request is one image to build.
type Request struct {
	Spec   Spec
	Tags   []string // local references, e.g. api:1.2.3
	Labels map[string]string

	// What a Compose build section may add (run-e2e builds those with this builder too).
	NoCache    bool                // build every step afresh
	Pull       bool                // pull newer base images first
	Network    string              // network mode of RUN steps (default, host, none)
	ExtraHosts []string            // host:ip lines added to /etc/hosts of RUN steps
	ShmSize    int64               // bytes of /dev/shm for RUN steps
	Ulimits    []*container.Ulimit // ulimits of RUN steps
}

// Options apply to every build of a run.
type Options struct {
	Secrets     map[string][]byte // RUN --mount=type=secret,id=… ; served over the session, never in the image
	CacheFrom   []string          // image references whose cache may be used
	InlineCache bool              // write cache metadata into the image (cache-to type=inline)
}

// Built is an image the engine built.
type Built struct {
	Spec    Spec
	ID      string // sha256:… of the image config
	Size    int64
	Took    time.Duration
	Steps   int // build steps run
	Cached  int // build steps answered from cache (stages shared with another image count here)
	Builder string
}

// Build builds every request, several at once (BuildKit runs a stage shared by two targets once).
// It returns every image that built and one error naming each image that did not.
func (b *Builder) Build(ctx context.Context, reqs []Request, o Options) ([]Built, error) {
	out := make([]Built, len(reqs))
	errs := make([]error, len(reqs))
	var g errgroup.Group
	g.SetLimit(cmp.Or(b.Jobs, 2))
	for i, r := range reqs {
		g.Go(func() error {
			out[i], errs[i] = b.buildOne(ctx, r, o)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("build %s: %w", r.Spec.Name, errs[i])
			}
			return nil // every image is built or fails on its own; errs names each failure
		})
	}
	_ = g.Wait()
	var built []Built
	for i := range out {
		if errs[i] == nil {
			built = append(built, out[i])
		}
	}
	return built, errors.Join(errs...)
}

// errNoBuildKit is the engine refusing version=2 builds.
var errNoBuildKit = errors.New("the engine has no BuildKit")

func (b *Builder) buildOne(ctx context.Context, r Request, o Options) (Built, error) {
	start := time.Now()
	res := Built{Spec: r.Spec, Builder: "BuildKit"}
	var err error
	if b.Force != "classic" {
		err = b.run(ctx, r, o, true, &res)
		if !errors.Is(err, errNoBuildKit) {
			return b.finish(ctx, res, start, err)
		}
	}
	if why := classicBlockers(r.Spec, o); len(why) > 0 {
		return res, fmt.Errorf("%w and %s needs it for %s", errNoBuildKit, r.Spec.DockerfilePath, strings.Join(why, ", "))
	}
	if err != nil {
		b.Infof("%s: %v; building with the classic builder (the Dockerfile needs nothing BuildKit-only)", r.Spec.Name, err)
	}
	res.Builder = "classic"
	return b.finish(ctx, res, start, b.run(ctx, r, o, false, &res))
}

// classicBlockers lists what the classic builder cannot do for this build.
func classicBlockers(s Spec, o Options) []string {
	var why []string
	if s.Facts != nil {
		why = append(why, s.Facts.BuildKitOnly...)
	}
	if len(o.Secrets) > 0 {
		why = append(why, "build secrets")
	}
	return why
}

func (b *Builder) finish(ctx context.Context, res Built, start time.Time, err error) (Built, error) {
	res.Took = time.Since(start)
	if err != nil {
		return res, err
	}
	img, err := b.Docker.ImageInspect(ctx, res.ID)
	if err != nil {
		return res, fmt.Errorf("inspect the built image: %w", err)
	}
	res.Size = img.Size
	b.Infof("%s: built %s in %s (%d steps, %d from cache, %s)", res.Spec.Name, shortID(res.ID), res.Took.Round(time.Millisecond), res.Steps, res.Cached, res.Builder)
	return res, nil
}

func (b *Builder) run(ctx context.Context, r Request, o Options, buildkit bool, res *Built) error {
	tarball, dockerfile, err := contextTar(r.Spec)
	if err != nil {
		return err
	}
	defer tarball.Close()
	args := map[string]*string{}
	for k, v := range r.Spec.BuildArgs {
		args[k] = &v
	}
	var bases []string
	if r.Spec.Facts != nil {
		platform := ""
		if len(r.Spec.Platforms) == 1 {
			platform = r.Spec.Platforms[0]
		}
		bases = r.Spec.Facts.BaseImages(r.Spec.BuildArgs, platform)
	}

	opts := build.ImageBuildOptions{
		Tags: r.Tags, Dockerfile: dockerfile, Target: r.Spec.Target, BuildArgs: args, Labels: r.Labels,
		CacheFrom: o.CacheFrom, Remove: true, ForceRemove: true, Version: build.BuilderV1,
		NoCache: r.NoCache, PullParent: r.Pull, NetworkMode: r.Network, ExtraHosts: r.ExtraHosts,
		ShmSize: r.ShmSize, Ulimits: r.Ulimits,
	}
	if len(r.Spec.Platforms) == 1 {
		opts.Platform = r.Spec.Platforms[0]
	}
	if buildkit {
		if o.InlineCache {
			one := "1"
			args["BUILDKIT_INLINE_CACHE"] = &one
		}
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		sess, err := session.NewSession(sctx, "slipway-"+r.Spec.Name)
		if err != nil {
			return fmt.Errorf("BuildKit session: %w", err)
		}
		sess.Allow(secretsprovider.FromMap(o.Secrets))
		sess.Allow(authProvider(b.Login))
		done := make(chan error, 1)
		go func() {
			done <- sess.Run(sctx, func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
				return b.Docker.DialHijack(ctx, "/session", proto, meta)
			})
		}()
		defer func() { _ = sess.Close(); cancel(); <-done }()
		opts.Version, opts.SessionID = build.BuilderBuildKit, sess.ID()
	}
	if !buildkit {
		if opts.AuthConfigs, err = b.logins(append(append([]string(nil), bases...), o.CacheFrom...)); err != nil {
			return err
		}
	}
	resp, err := b.Docker.ImageBuild(ctx, tarball, opts)
	if err != nil {
		if buildkit && strings.Contains(strings.ToLower(err.Error()), "buildkit") {
			return fmt.Errorf("%w (%v)", errNoBuildKit, err)
		}
		return err
	}
	defer resp.Body.Close()
	p := &progress{name: r.Spec.Name, log: b.logLine, vertices: map[string]*vertex{}, bases: bases}
	id, err := p.read(resp.Body)
	res.Steps, res.Cached = p.steps, p.cached
	if err != nil {
		return err
	}
	if id == "" {
		return errors.New("the engine's build stream ended without an image ID")
	}
	res.ID = id
	return nil
}

func (b *Builder) logLine(s string) {
	if b.Log == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_, _ = io.WriteString(b.Log, s+"\n")
}

// contextTar tars the build context, honouring .dockerignore, and returns the Dockerfile's name
// inside it; a Dockerfile outside the context (or ignored by it) is added under a name of its own, as
// the docker CLI does.
func contextTar(s Spec) (io.ReadCloser, string, error) {
	var excludes []string
	if f, err := os.Open(filepath.Join(s.ContextDir, ".dockerignore")); err == nil {
		excludes, err = ignorefile.ReadAll(f)
		_ = f.Close()
		if err != nil {
			return nil, "", fmt.Errorf(".dockerignore: %w", err)
		}
	}
	tarball, err := archive.TarWithOptions(s.ContextDir, &archive.TarOptions{ExcludePatterns: excludes})
	if err != nil {
		return nil, "", fmt.Errorf("context %s: %w", s.Context, err)
	}
	if r, err := filepath.Rel(s.ContextDir, s.DockerfilePath); err == nil && !strings.HasPrefix(r, "..") && !ignored(excludes, r) {
		return tarball, filepath.ToSlash(r), nil
	}
	data, err := os.ReadFile(s.DockerfilePath)
	if err != nil {
		_ = tarball.Close()
		return nil, "", err
	}
	const name = ".slipway.Dockerfile"
	return archive.ReplaceFileTarWrapper(tarball, map[string]archive.TarModifierFunc{
		name: func(string, *tar.Header, io.Reader) (*tar.Header, []byte, error) {
			return &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}, data, nil
		},
	}), name, nil
}

func ignored(excludes []string, name string) bool {
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return false
	}
	ok, _ := pm.MatchesOrParentMatches(name)
	return ok
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

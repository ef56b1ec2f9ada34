package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"github.com/slipway-actions/slipway/internal/registryauth"
)

// Publisher pushes built images to registries: it checks everything first, then pushes each image
// once through the engine (to the first registry) and copies it to the others.
type Publisher struct {
	Docker             *client.Client
	ECR                func(region string) (ECRAPI, error) // nil when no registry is ECR
	Logins             *registryauth.Logins                // logins of the registries that are not ECR; nil for none
	CreateRepositories bool
	LifecyclePolicy    string               // JSON text for repositories slipway creates
	Transport          http.RoundTripper    // for go-containerregistry; nil means its default
	Backoff            remote.Backoff       // retries of pushes and copies; zero means 5 tries from 0.5 s, ×2, jitter 0.5
	Jobs               int                  // images at once; 0 means 3
	Infof              func(string, ...any) // progress
	Mask               func(string)         // registers a secret learnt on the way (ECR tokens)
}

// Image is a built image to publish.
type Image struct {
	Name string // repository name under each registry: api, acme/web
	ID   string // the local image ID (sha256 of its config)
	Tags []string
}

// Plan is what Check found and Push will do.
type Plan struct {
	Images  []Image
	targets map[string][]*target // image name → one per registry, in the registries' order
}

type target struct {
	session *session
	repo    string   // full repository: host/namespace/name
	push    []string // tags to write
	have    []string // tags that already hold this very image (an immutable repository keeps them)
	create  bool     // an ECR repository to create
}

// Check logs in to every registry and checks every image's destination — credentials may push,
// the ECR repository exists or may be created, no immutable tag holds another image — and returns
// every problem at once. Nothing is created or pushed. Refused(err) tells problems only the user
// can change from a registry or ECR that could not be reached.
func (p *Publisher) Check(ctx context.Context, images []Image, regs []Registry) (*Plan, error) {
	plan := &Plan{Images: images, targets: map[string][]*target{}}
	var errs []error
	sessions := make([]*session, len(regs))
	for i, r := range regs {
		s, err := p.login(ctx, r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sessions[i] = s
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// One check per image and registry, several at once; results and errors stay in input order.
	targets := make([]*target, len(images)*len(regs))
	errs = make([]error, len(targets))
	p.each(len(targets), func(k int) {
		img := images[k/len(regs)]
		t, err := p.checkTarget(ctx, img, sessions[k%len(regs)])
		targets[k] = t
		if err != nil {
			errs[k] = fmt.Errorf("%s: %w", img.Name, err)
		}
	})
	for i, img := range images {
		plan.targets[img.Name] = targets[i*len(regs) : (i+1)*len(regs)]
	}
	return plan, errors.Join(errs...)
}

func (p *Publisher) checkTarget(ctx context.Context, img Image, s *session) (*target, error) {
	r := s.reg
	t := &target{session: s, repo: r.Repository(img.Name)}
	var repo ecrRepository // a registry that is not ECR moves any tag
	if r.Kind == ECR {
		var err error
		if repo, err = p.describeRepository(ctx, r, r.RepositoryPath(img.Name)); err != nil {
			return t, err
		}
		if !repo.exists {
			if !p.CreateRepositories {
				return t, &RefusedError{fmt.Errorf("%s: repository %s does not exist (set create-repositories: true, or create it)", r.Host, r.RepositoryPath(img.Name))}
			}
			t.create, t.push = true, img.Tags
			return t, nil // a new repository holds no tags, and the role's push rights are checked by the push
		}
	} else if err := p.checkPush(ctx, s, t.repo); err != nil {
		return t, err
	}
	var conflicts []string
	for _, tag := range img.Tags {
		held, err := p.heldImage(ctx, s, t.repo+":"+tag)
		switch {
		case err != nil:
			return t, err
		case held == "":
			t.push = append(t.push, tag)
		case held == img.ID:
			t.have = append(t.have, tag)
		case repo.immutable(tag):
			conflicts = append(conflicts, fmt.Sprintf("%s holds image %s", tag, ShortDigest(held)))
		default:
			t.push = append(t.push, tag) // a mutable tag moves to the new image
		}
	}
	if len(conflicts) > 0 {
		return t, &RefusedError{fmt.Errorf("%s: the repository's tags are immutable and %s, not this build%s — release under a new version", t.repo, joinAnd(conflicts), thisBuild(img.ID))}
	}
	return t, nil
}

// thisBuild names the image being published after "this build": its ID, when it is a local one.
func thisBuild(id string) string {
	if id == "" {
		return "" // built and pushed by slipway's buildkitd: no image exists before the push
	}
	return "'s " + ShortDigest(id)
}

// heldImage returns the config digest (the image ID) of the image a tag holds, or "" when the tag
// does not exist.
func (p *Publisher) heldImage(ctx context.Context, s *session, ref string) (string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", err
	}
	desc, err := remote.Get(tag, p.remoteOptions(ctx, s)...)
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", describe(s, ref, err)
	}
	if desc.MediaType.IsIndex() {
		return "index:" + desc.Digest.String(), nil // a multi-platform index is never this build
	}
	img, err := desc.Image()
	if err != nil {
		return "", err
	}
	cfg, err := img.ConfigName()
	if err != nil {
		return "", err
	}
	return cfg.String(), nil
}

// Result is where one image went.
type Result struct {
	Image        Image
	Digest       string // manifest digest, the same in every registry
	Size         int64  // compressed bytes: config and layers
	Took         time.Duration
	Destinations []Destination
}

// Destination is one registry's part of a Result.
type Destination struct {
	Registry   Registry
	Repository string
	Pushed     []string // tags written
	Kept       []string // tags that already held this image
	Err        error    // the push or copy failed after its retries
}

// Refs are the full references of the tags this registry now holds for the image.
func (d Destination) Refs() []string {
	if d.Err != nil {
		return nil
	}
	var out []string
	for _, t := range append(slices.Clone(d.Kept), d.Pushed...) {
		out = append(out, d.Repository+":"+t)
	}
	return out
}

// Push creates missing ECR repositories, pushes each image through the engine to its first
// registry and copies it to the others. Results say which registry holds what even when the error
// says some did not get everything.
func (p *Publisher) Push(ctx context.Context, plan *Plan) ([]Result, error) {
	if err := p.createMissing(ctx, plan); err != nil {
		return nil, err
	}
	var errs []error
	results := make([]Result, len(plan.Images))
	p.each(len(plan.Images), func(i int) {
		results[i] = p.publish(ctx, plan.Images[i], plan.targets[plan.Images[i].Name])
	})
	for _, r := range results {
		for _, d := range r.Destinations {
			if d.Err != nil {
				errs = append(errs, fmt.Errorf("%s → %s: %w", r.Image.Name, d.Registry, d.Err))
			}
		}
	}
	return results, errors.Join(errs...)
}

func (p *Publisher) publish(ctx context.Context, img Image, targets []*target) Result {
	start := time.Now()
	res := Result{Image: img}
	first := targets[0]
	d := Destination{Registry: first.session.reg, Repository: first.repo, Kept: first.have}
	var source string
	if len(first.push) > 0 {
		ref := first.repo + ":" + first.push[0]
		digest, err := p.enginePush(ctx, first.session, img.ID, ref)
		if err == nil {
			err = p.tagMore(ctx, first.session, first.repo, digest, first.push[1:])
		}
		if err != nil {
			d.Err = err
		} else {
			d.Pushed, source = first.push, ref
		}
	} else {
		source = first.repo + ":" + first.have[0]
	}
	res.Destinations = append(res.Destinations, d)
	if d.Err != nil {
		for _, t := range targets[1:] { // nothing to copy from: say so for each registry
			res.Destinations = append(res.Destinations, Destination{Registry: t.session.reg, Repository: t.repo, Kept: t.have,
				Err: fmt.Errorf("not copied: the push to %s failed", first.session.reg)})
		}
		res.Took = time.Since(start)
		return res
	}
	desc, err := p.get(ctx, first.session, source)
	if err != nil {
		res.Destinations[0].Err = fmt.Errorf("read back %s: %w", source, err)
		res.Took = time.Since(start)
		return res
	}
	res.Digest = desc.Digest.String()
	res.Size = imageSize(desc)
	copies := make([]Destination, len(targets)-1)
	var wg sync.WaitGroup
	for i, t := range targets[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cd := Destination{Registry: t.session.reg, Repository: t.repo, Kept: t.have}
			if len(t.push) > 0 {
				if cd.Err = p.copyTo(ctx, desc, t); cd.Err == nil {
					cd.Pushed = t.push
				}
			}
			copies[i] = cd
		}()
	}
	wg.Wait()
	res.Destinations = append(res.Destinations, copies...)
	res.Took = time.Since(start)
	return res
}

func imageSize(desc *remote.Descriptor) int64 {
	img, err := desc.Image()
	if err != nil {
		return 0
	}
	m, err := img.Manifest()
	if err != nil {
		return 0
	}
	size := m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	return size
}

func (p *Publisher) get(ctx context.Context, s *session, ref string) (*remote.Descriptor, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	desc, err := remote.Get(r, p.remoteOptions(ctx, s)...)
	if err != nil {
		return nil, describe(s, ref, err)
	}
	return desc, nil
}

// tagMore points more tags of a repository at a pushed manifest (a manifest PUT each, no blobs).
func (p *Publisher) tagMore(ctx context.Context, s *session, repo, digest string, tags []string) error {
	if len(tags) == 0 {
		return nil
	}
	desc, err := p.get(ctx, s, repo+"@"+digest)
	if err != nil {
		return err
	}
	for _, t := range tags {
		tag, err := name.NewTag(repo + ":" + t)
		if err != nil {
			return err
		}
		if err := remote.Tag(tag, desc, p.remoteOptions(ctx, s)...); err != nil {
			return describe(s, tag.String(), err)
		}
	}
	return nil
}

func (p *Publisher) remoteOptions(ctx context.Context, s *session) []remote.Option {
	return []remote.Option{
		remote.WithContext(ctx), remote.WithAuth(s.auth), remote.WithTransport(p.transport()),
		remote.WithRetryBackoff(p.backoff()), remote.WithJobs(4),
	}
}

func (p *Publisher) backoff() remote.Backoff {
	if p.Backoff.Steps > 0 {
		return p.Backoff
	}
	return remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.5, Steps: 5}
}

// each runs f(0..n-1), Jobs at a time.
func (p *Publisher) each(n int, f func(int)) {
	var g errgroup.Group
	g.SetLimit(cmp.Or(p.Jobs, 3))
	for i := range n {
		g.Go(func() error { f(i); return nil })
	}
	_ = g.Wait()
}

func (p *Publisher) infof(format string, args ...any) {
	if p.Infof != nil {
		p.Infof(format, args...)
	}
}

func (p *Publisher) mask(s string) {
	if p.Mask != nil {
		p.Mask(s)
	}
}

// ShortDigest is a digest as people read it: sha256: and the first 12 hex digits.
func ShortDigest(id string) string {
	if h, err := v1.NewHash(id); err == nil && len(h.Hex) > 12 {
		return h.Algorithm + ":" + h.Hex[:12]
	}
	return id
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return fmt.Sprintf("%s and %s", strings.Join(items[:len(items)-1], ", "), items[len(items)-1])
}

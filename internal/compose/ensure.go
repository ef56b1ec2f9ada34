package compose

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/compose/v5/pkg/api"

	"github.com/slipway-actions/slipway/internal/images"

	"github.com/slipway-actions/slipway/internal/failure"
)

// Images is what EnsureImages did to give every service its image.
type Images struct {
	Pulled    []Pulled
	Built     []images.Built
	PullTook  time.Duration // wall time of the pulls, which run at once
	BuildTook time.Duration
}

// EnsureImages gives every service its image, as `docker compose up` does on a fresh runner. It pulls
// what pull_policy asks for: a missing image (the default, missing or if_not_present), always, never,
// or when the local one was pulled longer ago than an interval (daily, weekly, every_<duration>,
// refresh). It builds the services with a build section that need it: with build, every one (as
// `up --build`); otherwise those with pull_policy build and those whose image is still missing (a
// failed pull of a buildable image is a warning, as in Compose). Every image it could neither pull
// nor build is named in one error; one that does not exist, or that its registry refused, is bad
// input.
func (r *Runner) EnsureImages(ctx context.Context, p *types.Project, build bool) (*Images, error) {
	res := &Images{}
	needs := imageNeeds(p)
	errs := r.decidePulls(ctx, p, needs, build)
	errs = append(errs, r.addDependentImages(ctx, p, needs)...)
	if len(errs) > 0 {
		return res, failure.BadInput(errors.Join(errs...))
	}
	errs, err := r.pullNeeded(ctx, needs, res)
	if err != nil {
		return res, err
	}
	toBuild, buildErrs := r.imagesToBuild(ctx, p, needs, build)
	if errs = append(errs, buildErrs...); len(errs) > 0 {
		return res, pullErrors(errs)
	}
	if len(toBuild) > 0 {
		start := time.Now()
		built, err := r.build(ctx, p, toBuild)
		res.Built, res.BuildTook = built, time.Since(start)
		if err != nil {
			return res, err
		}
	}
	if errs := r.stillMissing(ctx, needs); len(errs) > 0 {
		return res, failure.BadInput(errors.Join(errs...))
	}
	return res, nil
}

// imageNeed is what the services of one image ask of it.
type imageNeed struct {
	services  []string
	buildable []string // services with a build section for this image
	pull      bool
	platform  string
}

// imageNeeds groups the services by the image they run.
func imageNeeds(p *types.Project) map[string]*imageNeed {
	needs := map[string]*imageNeed{}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		img := imageName(p, s)
		n := needs[img]
		if n == nil {
			n = &imageNeed{}
			needs[img] = n
		}
		n.services = append(n.services, name)
		if s.Build != nil {
			n.buildable = append(n.buildable, name)
		}
		n.platform = cmpOr(n.platform, cmpOr(s.Platform, p.Environment["DOCKER_DEFAULT_PLATFORM"]))
	}
	return needs
}

// decidePulls marks the images that each service's pull_policy asks to pull, given what the engine
// holds; an image that is built, or never pulled, is left alone.
func (r *Runner) decidePulls(ctx context.Context, p *types.Project, needs map[string]*imageNeed, build bool) []error {
	var errs []error
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		img := imageName(p, s)
		n := needs[img]
		policy, every, err := s.GetPullPolicy()
		if err != nil {
			errs = append(errs, fmt.Errorf("service %s: pull_policy: %w", name, err))
			continue
		}
		if build && len(n.buildable) > 0 || policy == types.PullPolicyBuild || policy == types.PullPolicyNever {
			continue // built, or never pulled
		}
		if s.Image == "" && s.Build != nil {
			continue // its image is named after the project: there is nothing to pull, it is built (as Compose does)
		}
		if policy == types.PullPolicyRefresh && s.PullRefreshAfter != "" {
			if d, err := time.ParseDuration(s.PullRefreshAfter); err == nil {
				every = d
			}
		}
		tagged, present, err := r.localImage(ctx, img)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch policy {
		case types.PullPolicyAlways:
			n.pull = true
		case types.PullPolicyRefresh:
			n.pull = n.pull || !present || r.now().Sub(tagged) > every
		default:
			n.pull = n.pull || !present
		}
	}
	return errs
}

// addDependentImages adds what else Compose's engine would pull when missing: the images of
// pre_start hooks and of image volumes. They are pulled here, with the run's logins, like the
// services'.
func (r *Runner) addDependentImages(ctx context.Context, p *types.Project, needs map[string]*imageNeed) []error {
	var errs []error
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		extra := api.GetDependentImages(s, p.Name)
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeImage {
				extra = append(extra, v.Source)
			}
		}
		for _, img := range extra {
			if _, ok := needs[img]; ok {
				continue
			}
			_, present, err := r.localImage(ctx, img)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			needs[img] = &imageNeed{services: []string{name}, pull: !present, platform: cmpOr(s.Platform, p.Environment["DOCKER_DEFAULT_PLATFORM"])}
		}
	}
	return errs
}

// pullNeeded pulls the images marked to pull, all at once, into res. It returns the failed pulls
// (those of a buildable image only as a note: it is built instead), and an error when the run was
// stopped.
func (r *Runner) pullNeeded(ctx context.Context, needs map[string]*imageNeed, res *Images) ([]error, error) {
	var wants []pullWant
	platforms := map[string]string{}
	for _, img := range slices.Sorted(maps.Keys(needs)) {
		if n := needs[img]; n.pull {
			wants = append(wants, pullWant{image: img, services: n.services})
			platforms[img] = n.platform
		}
	}
	if len(wants) == 0 {
		return nil, nil
	}
	start := time.Now()
	pulled, failed := r.pull(ctx, wants, platforms)
	res.Pulled, res.PullTook = pulled, time.Since(start)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("run-e2e stopped while pulling: %w", context.Cause(ctx))
	}
	var errs []error
	for _, err := range failed {
		var pe *PullError
		if errors.As(err, &pe) && len(needs[pe.Image].buildable) > 0 {
			r.infof("%v; building it instead", err)
			continue
		}
		errs = append(errs, err)
	}
	return errs, nil
}

// imagesToBuild is one service per image to build (as Compose builds each image once): every
// buildable image with build or pull_policy build, and those still missing otherwise.
func (r *Runner) imagesToBuild(ctx context.Context, p *types.Project, needs map[string]*imageNeed, build bool) ([]string, []error) {
	var toBuild []string
	var errs []error
	for _, img := range slices.Sorted(maps.Keys(needs)) {
		n := needs[img]
		if len(n.buildable) == 0 {
			continue
		}
		rebuild := build
		for _, svc := range n.buildable {
			if policy, _, _ := p.Services[svc].GetPullPolicy(); policy == types.PullPolicyBuild {
				rebuild = true
			}
		}
		if !rebuild {
			_, present, err := r.localImage(ctx, img)
			if err != nil {
				errs = append(errs, err)
			}
			if err != nil || present {
				continue
			}
		}
		toBuild = append(toBuild, n.buildable[0])
	}
	return toBuild, errs
}

// stillMissing names the images still not on the engine, which could be neither pulled nor built:
// pull_policy never forbids pulling them.
func (r *Runner) stillMissing(ctx context.Context, needs map[string]*imageNeed) []error {
	var errs []error
	for _, img := range slices.Sorted(maps.Keys(needs)) {
		if _, ok, err := r.localImage(ctx, img); err != nil {
			errs = append(errs, err)
		} else if !ok {
			errs = append(errs, fmt.Errorf("image %s (service %s) is not on the engine and pull_policy never forbids pulling it",
				img, strings.Join(needs[img].services, ", ")))
		}
	}
	return errs
}

// pullErrors joins failed pulls: bad input when each one is an image that does not exist or a
// registry that refused us (nothing of the project was started), else as they are.
func pullErrors(errs []error) error {
	all := errors.Join(errs...)
	for _, err := range errs {
		var pe *PullError
		if !errors.As(err, &pe) || pe.Reason == PullFailed || pe.Reason == PullUnreachable {
			return all
		}
	}
	return failure.BadInput(all)
}

// localImage reports whether the engine holds img, and when it was last tagged there (pulled or built).
func (r *Runner) localImage(ctx context.Context, img string) (time.Time, bool, error) {
	ins, err := r.Docker.ImageInspect(ctx, img)
	switch {
	case cerrdefs.IsNotFound(err):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("inspect image %s: %w", img, err)
	}
	return ins.Metadata.LastTagTime, true, nil
}

// imageName is the service's image, or the name Compose gives the image it builds for it.
func imageName(p *types.Project, s types.ServiceConfig) string {
	return api.GetImageNameOrDefault(s, p.Name)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

package registry

import (
	"context"
	"errors"
	"sync"

	"github.com/slipway-actions/slipway/internal/registryauth"
)

// Prepare readies the registries for images slipway's own buildkitd builds, which it pushes itself,
// by digest, as it builds: every destination checked as Check checks it (credentials may push, the
// ECR repository exists or may be created, no immutable tag already holds an image: no local image
// exists yet to be the same one), every problem at once, then the missing ECR repositories created,
// none unless every check passed. tags are those the step will write; none for a push by digest.
func (p *Publisher) Prepare(ctx context.Context, names, tags []string, regs []Registry) error {
	imgs := make([]Image, len(names))
	for i, n := range names {
		imgs[i] = Image{Name: n, Tags: tags}
	}
	plan, err := p.Check(ctx, imgs, regs)
	if err != nil {
		return err
	}
	return p.createMissing(ctx, plan)
}

// createMissing creates the ECR repositories Check found missing (and allowed to create).
func (p *Publisher) createMissing(ctx context.Context, plan *Plan) error {
	var errs []error
	for _, img := range plan.Images {
		for _, t := range plan.targets[img.Name] {
			if t.create {
				if err := p.createRepository(ctx, t.session.reg, t.session.reg.RepositoryPath(img.Name)); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Login is how slipway's buildkitd logs in to a host it pushes to or pulls from: an ECR registry,
// one of regs or a cache reference's, with its token through the AWS SDK (asked once per host and
// masked); any other host with what Logins finds.
func (p *Publisher) Login(ctx context.Context, regs []Registry) func(host string) (registryauth.Login, error) {
	var mu sync.Mutex
	tokens := map[string]registryauth.Login{}
	return func(host string) (registryauth.Login, error) {
		r, ok := ecrRegistry(host, regs)
		if !ok {
			return p.Logins.Find(host)
		}
		mu.Lock()
		defer mu.Unlock()
		if l, ok := tokens[host]; ok {
			return l, nil
		}
		l, err := p.ecrLogin(ctx, r)
		if err == nil {
			tokens[host] = l
		}
		return l, err
	}
}

// ecrRegistry is the ECR registry a host is: one of regs by its host, else the host's own name.
func ecrRegistry(host string, regs []Registry) (Registry, bool) {
	for _, r := range regs {
		if r.Host == host {
			return r, r.Kind == ECR
		}
	}
	r, err := Parse(host)
	return r, err == nil && r.Kind == ECR
}

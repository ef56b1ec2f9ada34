package compose

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"

	"github.com/slipway-actions/slipway/internal/images"

	"github.com/slipway-actions/slipway/internal/failure"
)

// build builds the named services' images with the one builder slipway has (package images:
// BuildKit through the engine, so cache mounts, secrets and multi-stage targets work), tagged as
// Compose names them. Services whose build secrets differ are built in separate batches, since
// a batch shares one session.
func (r *Runner) build(ctx context.Context, p *types.Project, names []string) ([]images.Built, error) {
	if r.Builder == nil {
		return nil, errors.New("no image builder: set Runner.Builder")
	}
	type batch struct {
		reqs []images.Request
		opts images.Options
	}
	batches := map[string]*batch{}
	var keys []string
	var errs []error
	var cleanup []string
	defer func() {
		for _, f := range cleanup {
			_ = os.Remove(f)
		}
	}()
	for _, name := range names {
		s := p.Services[name]
		req, secrets, inline, err := buildRequest(p, s)
		if inline != "" {
			cleanup = append(cleanup, inline)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		key := secretsKey(secrets)
		b, ok := batches[key]
		if !ok {
			b = &batch{opts: images.Options{Secrets: secrets}}
			batches[key] = b
			keys = append(keys, key)
		}
		b.reqs = append(b.reqs, req)
		b.opts.CacheFrom = append(b.opts.CacheFrom, s.Build.CacheFrom...)
		b.opts.InlineCache = b.opts.InlineCache || slices.Contains(s.Build.CacheTo, "type=inline")
	}
	if len(errs) > 0 {
		return nil, failure.BadInput(errors.Join(errs...))
	}
	var built []images.Built
	for _, k := range keys {
		b := batches[k]
		r.infof("building %s (BuildKit)", strings.Join(specNames(b.reqs), ", "))
		out, err := r.Builder.Build(ctx, b.reqs, b.opts)
		built = append(built, out...)
		errs = append(errs, err)
	}
	return built, errors.Join(errs...)
}

func specNames(reqs []images.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Spec.Name)
	}
	return out
}

// buildRequest turns a service's build section into a request of the images builder, and its
// build secrets into their values. An inline Dockerfile is written to a temporary file, returned
// for removal.
func buildRequest(p *types.Project, s types.ServiceConfig) (images.Request, map[string][]byte, string, error) {
	b := s.Build
	fail := func(format string, args ...any) error {
		return fmt.Errorf("service %s: build: %s", s.Name, fmt.Sprintf(format, args...))
	}
	spec := images.Spec{Name: s.Name, Context: b.Context, ContextDir: b.Context, Target: b.Target,
		BuildArgs: map[string]string{}, Labels: map[string]string{}}
	if fi, err := os.Stat(b.Context); err != nil || !fi.IsDir() {
		return images.Request{}, nil, "", fail("context %s is not a directory", b.Context)
	}
	inline := ""
	switch {
	case b.DockerfileInline != "":
		f, err := os.CreateTemp("", "slipway-"+s.Name+"-*.Dockerfile")
		if err != nil {
			return images.Request{}, nil, "", err
		}
		inline = f.Name()
		_, err = f.WriteString(b.DockerfileInline)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return images.Request{}, nil, inline, err
		}
		spec.DockerfilePath = inline
	case filepath.IsAbs(b.Dockerfile):
		spec.DockerfilePath = b.Dockerfile
	default:
		spec.DockerfilePath = filepath.Join(b.Context, cmp.Or(b.Dockerfile, "Dockerfile"))
	}
	facts, err := images.ReadDockerfile(spec.DockerfilePath)
	if err != nil {
		return images.Request{}, nil, inline, fail("Dockerfile %s: %v", spec.DockerfilePath, err)
	}
	spec.Facts = facts
	if b.Target != "" && !facts.HasStage(b.Target) {
		return images.Request{}, nil, inline, fail("target %q is not a stage of %s (stages: %s)", b.Target, spec.DockerfilePath,
			cmp.Or(strings.Join(facts.Stages, ", "), "none named"))
	}
	for k, v := range b.Args {
		if v != nil {
			spec.BuildArgs[k] = *v
		}
	}
	if pl := cmp.Or(s.Platform, p.Environment["DOCKER_DEFAULT_PLATFORM"]); len(b.Platforms) == 1 {
		spec.Platforms = []string{b.Platforms[0]}
	} else if pl != "" {
		spec.Platforms = []string{pl}
	}
	maps.Copy(spec.Labels, b.Labels)
	spec.Labels[labelProject], spec.Labels[labelService] = p.Name, s.Name
	secrets := map[string][]byte{}
	for _, sec := range b.Secrets {
		data, err := fileContent(p, types.FileObjectConfig(p.Secrets[sec.Source]))
		if err != nil {
			return images.Request{}, nil, inline, fail("secret %s: %v", sec.Source, err)
		}
		secrets[cmp.Or(sec.Target, sec.Source)] = data
	}
	req := images.Request{Spec: spec, Tags: append([]string{imageName(p, s)}, b.Tags...), Labels: spec.Labels,
		NoCache: b.NoCache, Pull: b.Pull, Network: b.Network, ExtraHosts: extraHosts(b.ExtraHosts), ShmSize: int64(b.ShmSize),
		Ulimits: ulimits(b.Ulimits)}
	return req, secrets, inline, nil
}

// secretsKey identifies a set of build secrets: services with the same set share a batch.
func secretsKey(secrets map[string][]byte) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		fmt.Fprintf(&b, "%s=%x;", k, secrets[k])
	}
	return b.String()
}

// fileContent is a build secret's text: from a file, an environment variable or inline content.
func fileContent(p *types.Project, def types.FileObjectConfig) ([]byte, error) {
	switch {
	case def.File != "":
		return os.ReadFile(def.File)
	case def.Environment != "":
		v, ok := p.Environment[def.Environment]
		if !ok {
			return nil, fmt.Errorf("environment variable %s is not set", def.Environment)
		}
		return []byte(v), nil
	case def.Content != "":
		return []byte(def.Content), nil
	case bool(def.External):
		return nil, errors.New("external (Swarm) secrets need Swarm")
	}
	return nil, errors.New("has no file, environment or content")
}

// extraHosts is the engine's host:ip form, in a stable order.
func extraHosts(h types.HostsList) []string {
	list := h.AsList(":")
	slices.Sort(list)
	return list
}

// ulimits is the engine's form of Compose's ulimits (a single number sets both limits), by name.
func ulimits(m map[string]*types.UlimitsConfig) []*container.Ulimit {
	var out []*container.Ulimit
	for _, name := range slices.Sorted(maps.Keys(m)) {
		u := m[name]
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		out = append(out, &container.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	return out
}

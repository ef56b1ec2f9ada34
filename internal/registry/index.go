package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Merge writes one OCI index of an image's platforms, each pushed by digest to the first registry
// (by slipway's buildkitd, or by a matrix of runners, one platform each), and applies the tags to
// the index in every registry. Every digest is read first: when one is missing nothing is written
// (no half-published index). A digest that is itself an index (one platform and its attestation
// manifests) gives the merged index all its manifests, so the attestations travel with the image.
func (p *Publisher) Merge(ctx context.Context, img Image, digests []string, regs []Registry) (Result, error) {
	start := time.Now()
	res := Result{Image: img}
	if len(regs) == 0 || len(digests) == 0 || len(img.Tags) == 0 {
		return res, errors.New("merge needs a registry, a digest and a tag")
	}
	sessions := make([]*session, len(regs))
	for i, r := range regs {
		s, err := p.login(ctx, r)
		if err != nil {
			return res, err
		}
		sessions[i] = s
	}
	repo := regs[0].Repository(img.Name)
	idx, err := p.index(ctx, sessions[0], repo, digests)
	if err != nil {
		return res, fmt.Errorf("nothing was published: %w", err)
	}
	first := &target{session: sessions[0], repo: repo, push: img.Tags}
	tag, err := name.NewTag(repo + ":" + img.Tags[0])
	if err != nil {
		return res, err
	}
	d := Destination{Registry: regs[0], Repository: repo}
	if err := remote.WriteIndex(tag, idx, p.remoteOptions(ctx, first.session)...); err != nil {
		d.Err = describe(first.session, tag.String(), err)
	}
	dg, err := idx.Digest()
	if err != nil {
		return res, err
	}
	if d.Err == nil {
		d.Err = p.tagMore(ctx, first.session, repo, dg.String(), img.Tags[1:])
	}
	res.Digest = dg.String()
	if d.Err == nil {
		d.Pushed = img.Tags
	}
	res.Destinations = append(res.Destinations, d)
	var errs []error
	if d.Err != nil {
		errs = append(errs, fmt.Errorf("%s → %s: %w", img.Name, regs[0], d.Err))
	} else {
		src, err := p.get(ctx, first.session, tag.String())
		if err != nil {
			return res, err
		}
		for i, r := range regs[1:] {
			t := &target{session: sessions[i+1], repo: r.Repository(img.Name), push: img.Tags}
			cd := Destination{Registry: r, Repository: t.repo}
			if cd.Err = p.copyTo(ctx, src, t); cd.Err == nil {
				cd.Pushed = img.Tags
			} else {
				errs = append(errs, fmt.Errorf("%s → %s: %w", img.Name, r, cd.Err))
			}
			res.Destinations = append(res.Destinations, cd)
		}
	}
	res.Took = time.Since(start)
	return res, errors.Join(errs...)
}

// index reads every digest from repo and builds the OCI index of all their manifests; it names
// every digest the registry does not hold.
func (p *Publisher) index(ctx context.Context, s *session, repo string, digests []string) (v1.ImageIndex, error) {
	var adds []mutate.IndexAddendum
	var errs []error
	for _, dg := range digests {
		ref, err := name.NewDigest(repo + "@" + dg)
		if err != nil {
			errs = append(errs, fmt.Errorf("digest %q: %v", dg, err))
			continue
		}
		desc, err := remote.Get(ref, p.remoteOptions(ctx, s)...)
		var te *transport.Error
		if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
			errs = append(errs, &RefusedError{fmt.Errorf("%s does not hold %s: was every platform pushed?", repo, dg)})
			continue
		}
		if err != nil {
			errs = append(errs, describe(s, ref.String(), err))
			continue
		}
		more, err := addenda(desc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ref, err))
			continue
		}
		adds = append(adds, more...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...), nil
}

// addenda are the manifests a pushed digest brings to the index: an image with its platform, or
// every manifest of an index (an image and its attestations).
func addenda(desc *remote.Descriptor) ([]mutate.IndexAddendum, error) {
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		var out []mutate.IndexAddendum
		for _, child := range m.Manifests {
			img, err := idx.Image(child.Digest)
			if err != nil {
				return nil, err
			}
			out = append(out, mutate.IndexAddendum{Add: img, Descriptor: child})
		}
		return out, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	d := desc.Descriptor
	d.Platform = &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	return []mutate.IndexAddendum{{Add: img, Descriptor: d}}, nil
}

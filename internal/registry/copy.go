package registry

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// copyTo copies a pushed image to another registry: the manifest's blobs that the registry lacks
// (go-containerregistry asks before it uploads, so an unchanged layer costs no bytes), then the
// manifest under the first tag and the other tags pointing at it. Retries of 429, 5xx and broken
// uploads are go-containerregistry's, with the publisher's backoff.
func (p *Publisher) copyTo(ctx context.Context, src *remote.Descriptor, t *target) error {
	opts := p.remoteOptions(ctx, t.session)
	first, err := name.NewTag(t.repo + ":" + t.push[0])
	if err != nil {
		return err
	}
	if src.MediaType.IsIndex() {
		idx, err := src.ImageIndex()
		if err != nil {
			return err
		}
		if err := remote.WriteIndex(first, idx, opts...); err != nil {
			return describe(t.session, first.String(), err)
		}
	} else {
		img, err := src.Image()
		if err != nil {
			return err
		}
		if err := remote.Write(first, img, opts...); err != nil {
			return describe(t.session, first.String(), err)
		}
	}
	for _, tag := range t.push[1:] {
		ref, err := name.NewTag(t.repo + ":" + tag)
		if err != nil {
			return err
		}
		if err := remote.Tag(ref, src, opts...); err != nil {
			return describe(t.session, ref.String(), err)
		}
	}
	got, err := remote.Head(first, opts...)
	if err != nil {
		return describe(t.session, first.String(), err)
	}
	if got.Digest != src.Digest {
		return fmt.Errorf("%s holds %s after the copy, not %s", first, got.Digest, src.Digest)
	}
	return nil
}

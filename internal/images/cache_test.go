package images

import (
	"context"
	"encoding/base64"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

// TestBuild_InlineCacheFromAPushedImageSkipsItsSteps proves `cache-to: type=inline` and `cache-from`: an
// image built with the inline cache and pushed, then gone from the engine with the engine's build cache, is
// the cache of the next build, whose RUN then writes nothing new (the random bytes it wrote first are still
// there). Not parallel: it empties the engine's build cache.
func TestBuild_InlineCacheFromAPushedImageSkipsItsSteps(t *testing.T) {
	b, cli, log := newBuilder(t)
	reg := registrytest.Start(t, registrytest.Options{})
	df := "FROM scratch\nCOPY tool /tool\nRUN [\"/tool\", \"rand\", \"/cached\", \"" + t.Name() + "\"]\n"
	ws := writeWorkspace(t, map[string]string{"Dockerfile": df})
	specs := specsFor(t, ws, "- {name: cached}\n")
	ref := reg.Host + "/slipway-test/cached:" + dockertest.UniqueName(t, "c")
	removeImages(t, cli, ref)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	if _, err := b.Build(ctx, []Request{{Spec: specs[0], Tags: []string{ref}}}, Options{InlineCache: true}); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	_, first := dockertest.Run(t, cli, ref, []string{"/tool"}, "cat", "/cached")
	push(ctx, t, cli, ref)
	if _, err := cli.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.BuildCachePrune(ctx, build.CachePruneOptions{All: true}); err != nil {
		t.Fatal(err)
	}

	if _, err := b.Build(ctx, []Request{{Spec: specs[0], Tags: []string{ref}}}, Options{CacheFrom: []string{ref}}); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	_, second := dockertest.Run(t, cli, ref, []string{"/tool"}, "cat", "/cached")
	if first == "" || second != first {
		t.Errorf("the RUN ran again: /cached was %q, now %q; the log:\n%s", first, second, log)
	}
}

func push(ctx context.Context, t *testing.T, cli interface {
	ImagePush(context.Context, string, image.PushOptions) (io.ReadCloser, error)
}, ref string) {
	t.Helper()
	rc, err := cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: base64.URLEncoding.EncodeToString([]byte("{}"))})
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil || strings.Contains(string(out), `"error"`) {
		t.Fatalf("push %s: %v %s", ref, err, out)
	}
}

package actions_test

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/images/imagestest"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
	"github.com/slipway-actions/slipway/internal/runnertest"
)

// Several platforms and a registry cache need slipway's own buildkitd, which cannot run in the
// action's unprivileged container: it runs in a container of the same image beside it, on its
// network, and is removed when the step ends, also when the step is cancelled. arm64's RUN step
// runs under QEMU (the host's binfmt handler, F flag).
func TestRunner_BuildPushImagesBuildsPlatformsOnItsOwnBuildkitdBesideTheAction(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	reg := registrytest.Start(t, registrytest.Options{})
	j := runnertest.NewJob(t)
	tools := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		if err := os.WriteFile(filepath.Join(tools, "tool-"+arch), imagestest.Tool(t, arch), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	j.CopyDir(tools, ".")
	j.WriteFile("Dockerfile", "FROM scratch\nARG TARGETARCH\nCOPY tool-${TARGETARCH} /tool\nRUN [\"/tool\", \"arch\", \"/arch\"]\n")
	res := j.Uses(runnertest.Step{Action: "build-push-images", Image: img, Network: "host", With: map[string]string{
		"images": "api", "registries": reg.Host, "tags": "type=raw,value=v1", "platforms": "linux/amd64,linux/arm64",
		"cache-to": "type=registry,ref=" + reg.Host + "/api-cache:main,mode=max",
	}})
	if res.ExitCode != 0 || !strings.Contains(res.Log, "slipway's buildkitd: container slipway-buildkitd-") {
		t.Fatalf("want exit 0, built in a container beside the action's: %v", res)
	}
	builderGone(t, res)
	idx, err := remote.Index(mustRef(t, reg.Host+"/api:v1"))
	if err != nil {
		t.Fatalf("api:v1 is no index: %v", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var plats []string
	for _, d := range m.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" { // attestations
			continue
		}
		plats = append(plats, d.Platform.OS+"/"+d.Platform.Architecture)
		image, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got := fileInImage(t, image, "arch"); got != d.Platform.Architecture {
			t.Errorf("%s: the RUN step ran as %q", d.Platform.Architecture, got)
		}
	}
	if slices.Sort(plats); !slices.Equal(plats, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("api:v1 holds %v, want linux/amd64 and linux/arm64", plats)
	}
	caches := registrytest.Tags(t, reg.Host+"/api-cache", authn.Anonymous)
	if caches["main-linux-amd64"] == "" || caches["main-linux-arm64"] == "" {
		t.Errorf("cache-to wrote %v, want main-linux-amd64 and main-linux-arm64", caches)
	}

	// Cancelled as the runner cancels a step, while a RUN step runs on the builder.
	j.WriteFile("Dockerfile", "FROM scratch\nCOPY tool-amd64 /tool\nRUN [\"/tool\", \"sleep\", \"5m\"]\n")
	res = j.Uses(runnertest.Step{Action: "build-push-images", Image: img, Network: "host", With: map[string]string{
		"images": "api", "registries": reg.Host, "tags": "type=raw,value=v2", "platforms": "linux/amd64,linux/arm64",
	}, CancelWhen: func(id string) bool { return builderRuns(t, id, "sleep") }})
	if !res.Cancelled || res.ExitCode == 0 || res.EndedAfterCancel > actionkit.CancelWindow {
		t.Errorf("cancelled mid-build: want a failed step ended within %s of the SIGINT, got %s after: %v", actionkit.CancelWindow, res.EndedAfterCancel, res)
	}
	builderGone(t, res)
}

// builderRuns says whether the builder of the step's container runs a process whose command line
// holds what.
func builderRuns(t *testing.T, stepID, what string) bool {
	cli := dockertest.Client(t)
	list, err := cli.ContainerList(context.Background(), container.ListOptions{Filters: filters.NewArgs(filters.Arg("label", images.LabelBuilderFor+"="+stepID))})
	if err != nil || len(list) == 0 {
		return false
	}
	top, err := cli.ContainerTop(context.Background(), list[0].ID, nil)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(top.Processes, func(p []string) bool { return strings.Contains(strings.Join(p, " "), what) })
}

// builderGone fails the test if the builder of the step's container, or its volume, is still there.
func builderGone(t *testing.T, res *runnertest.Result) {
	t.Helper()
	cli := dockertest.Client(t)
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", images.LabelBuilderFor+"="+res.ContainerID))
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil || len(list) > 0 {
		t.Errorf("the builder's container is still there after the step: %v (%v)", list, err)
	}
	vols, err := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil || len(vols.Volumes) > 0 {
		t.Errorf("the builder's volume is still there after the step: %v (%v)", vols.Volumes, err)
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fileInImage is the content of a file of an image's last layer.
func fileInImage(t *testing.T, img v1.Image, file string) string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) == 0 {
		t.Fatalf("layers: %v", err)
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "./") == file {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

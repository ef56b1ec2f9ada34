package images_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/images/imagestest"
)

// The dial command's stdin reaches buildkitd's socket, the socket's answers its stdout, and the end
// of stdin reaches buildkitd as the end of the request (the socket's write side closed).
func TestDialStdio_JoinsStdioToTheSocketAndPassesOnTheEnd(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "buildkitd.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, _ := io.ReadAll(c) // until the client's end
		_, _ = c.Write(bytes.ToUpper(req))
	}()
	var out bytes.Buffer
	if err := images.DialStdio(sock, strings.NewReader("list workers"), &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "LIST WORKERS" {
		t.Errorf("stdout %q, want the socket's answer LIST WORKERS", out.String())
	}
	if err := images.DialStdio(filepath.Join(t.TempDir(), "none.sock"), strings.NewReader(""), io.Discard); err == nil || !strings.Contains(err.Error(), "dial buildkitd") {
		t.Errorf("no socket: %v", err)
	}
}

// A builder whose slipway container is gone (a run killed outright) is removed by the next run;
// the builder of a run still going is left alone.
func TestRemoveLeftoverBuilders_RemovesOnlyThoseWhoseSlipwayIsGone(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	ctx := context.Background()
	tag := dockertest.UniqueName(t, "slipway-test/leftover") + ":1"
	dockertest.BuildImage(t, cli, tag, map[string]dockertest.File{
		"tool": {Data: imagestest.Tool(t, "amd64"), Mode: 0o755}, "Dockerfile": {Data: []byte("FROM scratch\nCOPY tool /tool\nENTRYPOINT [\"/tool\"]\n")},
	})
	create := func(labels map[string]string, args ...string) string {
		labels[dockertest.Label] = "1"
		c, err := cli.ContainerCreate(ctx, &container.Config{Image: tag, Cmd: args, Labels: labels}, nil, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cli.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true}) })
		return c.ID
	}
	running := create(map[string]string{}, "sleep", "5m")
	if err := cli.ContainerStart(ctx, running, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	stopped := create(map[string]string{}, "sleep", "5m")
	kept := create(map[string]string{images.LabelBuilderFor: running}, "sleep", "5m")
	orphans := []string{
		create(map[string]string{images.LabelBuilderFor: strings.Repeat("0", 64)}, "sleep", "5m"),
		create(map[string]string{images.LabelBuilderFor: stopped}, "sleep", "5m"),
	}
	images.RemoveLeftoverBuilders(ctx, cli)
	if _, err := cli.ContainerInspect(ctx, kept); err != nil {
		t.Errorf("the builder of a running slipway container was removed: %v", err)
	}
	for _, id := range orphans {
		if _, err := cli.ContainerInspect(ctx, id); !cerrdefs.IsNotFound(err) {
			t.Errorf("the builder %s of a slipway container that is gone or stopped is still there: %v", id[:12], err)
		}
	}
}

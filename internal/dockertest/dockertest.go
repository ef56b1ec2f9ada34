// Package dockertest gives tests the real Docker engine of the machine: a client, static Go programs
// built into FROM scratch images (no image can be pulled here), and containers that are removed when
// the test ends. On a laptop without Docker the tests skip; with SLIPWAY_REQUIRE_DOCKER=1 or
// SLIPWAY_REQUIRE_ALL=1 (CI) a missing engine fails them instead.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/slipway-actions/slipway/internal/docker"
	"github.com/slipway-actions/slipway/internal/testenv"
)

// Label marks every image and container a test makes, so leftovers can be found.
const Label = "dev.slipway.test"

// Require skips the test when a dependency (Docker, a registry, moto, a linter) is missing, or fails
// it under SLIPWAY_REQUIRE_DOCKER=1, as testenv.Require does under SLIPWAY_REQUIRE_ALL=1: in CI
// nothing may silently skip.
func Require(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil && os.Getenv("SLIPWAY_REQUIRE_DOCKER") == "1" {
		t.Fatalf("%s is required (SLIPWAY_REQUIRE_DOCKER=1) but unavailable: %v", what, err)
	} else {
		testenv.Require(t, what, err)
	}
}

// Client returns a client of the local engine, negotiating the API version (the engine here speaks
// 1.41), or skips/fails the test as Require does.
func Client(t testing.TB) *client.Client {
	t.Helper()
	cli, err := docker.Connect(context.Background(), "")
	Require(t, "the Docker engine", err)
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// GoBinary builds a Go package as a static linux binary (CGO_ENABLED=0) into dir and returns its path.
// pkg is a package path or a directory. The flags are make binaries' (inlining off too), so a test
// that builds cmd/slipway shares the compiled packages with the image's build.
func GoBinary(t testing.TB, dir, pkg, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-gcflags=all=-l", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// File is one file of a build context.
type File struct {
	Data []byte
	Mode int64
}

// BuildImage builds an image from an in-memory context (Dockerfile included) with the classic
// builder and removes it when the test ends. The image is labelled with its tag, so two tests (or two
// suites on one engine) building the same context get two images: otherwise one test's cleanup could
// delete the image another's build has just made and not yet tagged. It fails the test when the build reports an error in
// its JSON stream (the engine answers 200 even then).
func BuildImage(t testing.TB, cli *client.Client, tag string, files map[string]File) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	buildCtx, err := tarContext(files)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := cli.ImageBuild(ctx, buildCtx, build.ImageBuildOptions{
		Tags: []string{tag}, Remove: true, ForceRemove: true, Labels: map[string]string{Label: tag},
	})
	if err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
	defer resp.Body.Close()
	var log bytes.Buffer
	if err := jsonmessage.DisplayJSONMessagesStream(resp.Body, &log, 0, false, nil); err != nil {
		t.Fatalf("build %s: %v\n%s", tag, err, log.String())
	}
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true, PruneChildren: true})
	})
}

func tarContext(files map[string]File) (io.Reader, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := files[n]
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: mode, Size: int64(len(f.Data)), ModTime: time.Unix(0, 0)}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	return &buf, tw.Close()
}

// Run starts a container of img with the given entrypoint and args, waits for it and returns its exit
// code and combined output. The container is removed before Run returns.
func Run(t testing.TB, cli *client.Client, img string, entrypoint []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	created, err := cli.ContainerCreate(ctx, &container.Config{
		Image: img, Entrypoint: entrypoint, Cmd: args, Labels: map[string]string{Label: "1"},
	}, &container.HostConfig{}, nil, nil, "")
	if err != nil {
		t.Fatalf("create container of %s: %v", img, err)
	}
	defer func() {
		_ = cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true})
	}()
	waitC, errC := cli.ContainerWait(ctx, created.ID, container.WaitConditionNextExit)
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatalf("start %s %v: %v", img, entrypoint, err)
	}
	var code int
	select {
	case w := <-waitC:
		if w.Error != nil {
			t.Fatalf("wait: %s", w.Error.Message)
		}
		code = int(w.StatusCode)
	case err := <-errC:
		t.Fatalf("wait: %v", err)
	}
	logs, err := cli.ContainerLogs(ctx, created.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatalf("logs: %v", err)
	}
	defer logs.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, logs); err != nil {
		t.Fatalf("logs: %v", err)
	}
	return code, out.String()
}

// UniqueName returns a name for an image or project that no parallel test shares.
func UniqueName(t testing.TB, prefix string) string {
	name := strings.ToLower(strings.NewReplacer("/", "-", " ", "-", "_", "-").Replace(t.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("%s-%s-%d", prefix, strings.Trim(name, "-"), time.Now().UnixNano()%1e9)
}

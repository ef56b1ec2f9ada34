// Package composetest gives tests a small platform to run under Compose on the real engine: one
// static Go program (testdata/platform) in a FROM scratch image that plays API, DB, migration and
// test runner, a compose file wiring them with healthchecks and depends_on conditions, and images
// that exist only in a registry, for the pulls a fresh runner makes.
package composetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

var (
	binOnce sync.Once
	binPath string
	once    sync.Once
	tag     string
)

// keep is a testing.TB whose cleanups are dropped: what it makes is shared by every test of the binary.
type keep struct{ testing.TB }

func (keep) Cleanup(func()) {}

// PlatformBinary builds the platform program (testdata/platform) once per test binary, as a static
// linux binary for FROM scratch images and build contexts, and returns its path.
func PlatformBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		_, self, _, _ := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(self), "..", "testdata", "platform")
		dir, err := os.MkdirTemp("", "slipway-platform")
		if err != nil {
			t.Fatal(err)
		}
		binPath = dockertest.GoBinary(t, dir, src, "platform")
	})
	if binPath == "" {
		t.Fatal("the platform program was not built")
	}
	return binPath
}

// imageFiles is the build context of a FROM scratch image of the platform program; extra files are
// added (a layer of its own makes an image that shares no layer with another).
func imageFiles(t testing.TB, extra map[string]string) map[string]dockertest.File {
	data, err := os.ReadFile(PlatformBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := "FROM scratch\n"
	files := map[string]dockertest.File{"platform": {Data: data, Mode: 0o755}, "tmp/.keep": {}}
	for name, text := range extra {
		files[name] = dockertest.File{Data: []byte(text)}
		dockerfile += "COPY " + name + " /" + name + "\n"
	}
	files["Dockerfile"] = dockertest.File{Data: []byte(dockerfile + "COPY platform /platform\nCOPY tmp /tmp\nENTRYPOINT [\"/platform\"]\n")}
	return files
}

// PlatformImage returns the tag of the platform image, built once per version of the program: the
// tag is the digest of its build context, so test binaries share it and leave one image, not one
// each.
func PlatformImage(t testing.TB, cli *client.Client) string {
	t.Helper()
	once.Do(func() {
		files := imageFiles(t, nil)
		h := sha256.New()
		for _, name := range slices.Sorted(maps.Keys(files)) {
			fmt.Fprintf(h, "%s %o %d\n", name, files[name].Mode, len(files[name].Data))
			h.Write(files[name].Data)
		}
		name := fmt.Sprintf("slipway-test/platform:%x", h.Sum(nil)[:8])
		if _, err := cli.ImageInspect(context.Background(), name); err != nil {
			dockertest.BuildImage(keep{t}, cli, name, files)
		}
		tag = name
	})
	if tag == "" {
		t.Fatal("the platform image was not built")
	}
	return tag
}

// RegistryImage puts an image of the platform program into the registry at host as repo (a
// repository path and tag) and nothing of it on the engine: it is built with a layer of its own, so
// it shares no layer with any image the engine holds, pushed with login (nil: anonymously), and
// removed. The code under test must pull it, as on a fresh runner. What was pulled is removed when
// the test ends.
func RegistryImage(t testing.TB, cli *client.Client, host, repo string, login *registry.AuthConfig) string {
	t.Helper()
	ref := host + "/" + repo
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dockertest.BuildImage(t, cli, ref, imageFiles(t, map[string]string{"id": fmt.Sprintf("%s %d", ref, time.Now().UnixNano())}))
	auth := ""
	if login != nil {
		var err error
		if auth, err = registry.EncodeAuthConfig(*login); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	var log bytes.Buffer
	err = jsonmessage.DisplayJSONMessagesStream(rc, &log, 0, false, nil)
	_ = rc.Close()
	if err != nil {
		t.Fatalf("push %s: %v\n%s", ref, err, log.String())
	}
	if _, err := cli.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
		t.Fatalf("remove %s from the engine: %v", ref, err)
	}
	return ref
}

// BuildContext writes a build context holding the platform program and the Dockerfile given (FROM
// scratch, since no base image can be pulled here).
func BuildContext(t testing.TB, dir, dockerfile string) {
	t.Helper()
	data, err := os.ReadFile(PlatformBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "platform"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Absent fails the test when the engine holds img.
func Absent(t testing.TB, cli *client.Client, img string) {
	t.Helper()
	if _, err := cli.ImageInspect(context.Background(), img); err == nil {
		t.Fatalf("the engine holds %s before the run", img)
	}
}

const healthy = `
    healthcheck: {test: ["CMD", "/platform", "check"], interval: 200ms, retries: 100}`

// Green is a compose file of a platform that comes up and passes: db, a migration that must
// complete, an api that must be healthy, and the e2e test service. IMAGE stands for the image.
const Green = `services:
  db:
    image: IMAGE
    command: [serve, -delay, 500ms]` + healthy + `
  migrate:
    image: IMAGE
    command: [migrate, -exit, "0"]
    depends_on: {db: {condition: service_healthy}}
  api:
    image: IMAGE
    command: [serve, -delay, 1s]` + healthy + `
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  e2e:
    image: IMAGE
    command: [e2e, -url, "http://api:8080/health", -reports, /reports]
    depends_on: {api: {condition: service_healthy}}
`

// Compose returns the compose file with the image filled in, after replacing old with new once for
// each pair of edits.
func Compose(image, base string, edits ...string) string {
	out := strings.ReplaceAll(base, "IMAGE", image)
	for i := 0; i+1 < len(edits); i += 2 {
		out = strings.Replace(out, edits[i], edits[i+1], 1)
	}
	return out
}

// WaitPrinted waits until the container of a Compose project's service has printed text, on stdout
// or stderr: it waits for the engine's start event of that container (or finds it started) and
// follows its output, so it returns as soon as the text is written. It fails the test when that
// has not happened within the deadline (generous: the engine may be slow on a busy machine).
func WaitPrinted(t testing.TB, cli client.APIClient, project, service, text string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	f := filters.NewArgs(filters.Arg("label", "com.docker.compose.project="+project), filters.Arg("label", "com.docker.compose.service="+service))
	// Subscribed before the list, so a start between the two is not missed.
	ev := f.Clone()
	ev.Add("type", "container")
	ev.Add("event", "start")
	starts, errs := cli.Events(ctx, events.ListOptions{Filters: ev})
	id := ""
	if cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f}); err == nil && len(cs) > 0 && cs[0].State != "created" {
		id = cs[0].ID
	}
	if id == "" {
		select {
		case m := <-starts:
			id = m.Actor.ID
		case err := <-errs:
			t.Fatalf("%s of project %s never started (%v)", service, project, err)
		}
	}
	rc, err := cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
	if err != nil {
		t.Fatalf("follow the output of %s: %v", service, err)
	}
	defer rc.Close()
	w := &seek{text: text, found: make(chan struct{})}
	go func() { _, _ = stdcopy.StdCopy(w, w, rc) }()
	select {
	case <-w.found:
	case <-ctx.Done():
		t.Fatalf("%s of project %s did not print %q within %s; it printed:\n%s", service, project, text, within, w.String())
	}
}

// seek is a writer that closes found once what was written holds text.
type seek struct {
	mu    sync.Mutex
	buf   strings.Builder
	text  string
	found chan struct{}
	done  bool
}

func (s *seek) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	if !s.done && strings.Contains(s.buf.String(), s.text) {
		s.done = true
		close(s.found)
	}
	return len(p), nil
}

func (s *seek) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// Printed reports whether the container of a Compose project's service has printed text, on
// stdout or stderr. (A test waits with WaitPrinted.)
func Printed(cli client.APIClient, project, service, text string) bool {
	f := filters.NewArgs(filters.Arg("label", "com.docker.compose.project="+project), filters.Arg("label", "com.docker.compose.service="+service))
	cs, err := cli.ContainerList(context.Background(), container.ListOptions{All: true, Filters: f})
	if err != nil || len(cs) == 0 {
		return false
	}
	rc, err := cli.ContainerLogs(context.Background(), cs[0].ID, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return false
	}
	defer rc.Close()
	var out strings.Builder
	_, _ = stdcopy.StdCopy(&out, &out, rc)
	return strings.Contains(out.String(), text)
}

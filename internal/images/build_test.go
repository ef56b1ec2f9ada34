package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

var (
	toolOnce sync.Once
	toolDir  string
)

// writeWorkspace writes a build context holding the static test tool and the given files.
func writeWorkspace(t *testing.T, files map[string]string) string {
	t.Helper()
	toolOnce.Do(func() {
		dir, err := os.MkdirTemp("", "slipway-tool")
		if err != nil {
			t.Fatal(err)
		}
		toolDir = dir
		dockertest.GoBinary(t, dir, "./testdata/tool", "tool")
	})
	ws := t.TempDir()
	tool, err := os.ReadFile(filepath.Join(toolDir, "tool"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "tool"), tool, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		p := filepath.Join(ws, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

const multiStage = `FROM scratch AS tools
COPY tool /tool
FROM tools AS base
RUN ["/tool", "rand", "/shared"]
FROM base AS api
RUN --mount=type=secret,id=npm ["/tool", "secret", "npm", "/secret.sha"]
COPY api.txt /api.txt
FROM base AS worker
COPY worker.txt /worker.txt
`

type buildLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *buildLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *buildLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newBuilder(t *testing.T) (*Builder, *client.Client, *buildLog) {
	cli := dockertest.Client(t)
	log := &buildLog{}
	return &Builder{Docker: cli, Log: log, Infof: t.Logf}, cli, log
}

func specsFor(t *testing.T, ws, text string) []Spec {
	t.Helper()
	specs, err := ParseSpecs(text, ws)
	if err != nil {
		t.Fatal(err)
	}
	return specs
}

func removeImages(t *testing.T, cli *client.Client, refs ...string) {
	t.Cleanup(func() {
		for _, r := range refs {
			_, _ = cli.ImageRemove(context.Background(), r, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	})
}

func TestBuild_TargetsOfOneDockerfileShareTheirStages(t *testing.T) {
	t.Parallel()
	b, cli, log := newBuilder(t)
	ws := writeWorkspace(t, map[string]string{"Dockerfile": multiStage, "api.txt": "api", "worker.txt": "worker"})
	specs := specsFor(t, ws, "- {name: api, target: api}\n- {name: worker, target: worker}\n")
	tag := dockertest.UniqueName(t, "share")
	reqs := []Request{
		{Spec: specs[0], Tags: []string{"slipway-test/api:" + tag}},
		{Spec: specs[1], Tags: []string{"slipway-test/worker:" + tag}},
	}
	removeImages(t, cli, reqs[0].Tags[0], reqs[1].Tags[0])
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	built, err := b.Build(ctx, reqs, Options{Secrets: map[string][]byte{"npm": []byte("x")}})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if len(built) != 2 || built[0].Builder != "BuildKit" {
		t.Fatalf("built %+v", built)
	}
	api, err := cli.ImageInspect(ctx, built[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	worker, err := cli.ImageInspect(ctx, built[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	// tools (COPY) and base (RUN rand): a RUN that ran twice would have written other random bytes.
	if len(api.RootFS.Layers) < 3 || len(worker.RootFS.Layers) < 3 {
		t.Fatalf("layers: api %v, worker %v", api.RootFS.Layers, worker.RootFS.Layers)
	}
	for i := 0; i < 2; i++ {
		if api.RootFS.Layers[i] != worker.RootFS.Layers[i] {
			t.Errorf("layer %d differs: the shared stage was built twice\napi    %v\nworker %v", i, api.RootFS.Layers, worker.RootFS.Layers)
		}
	}
	if !strings.Contains(log.String(), "[api] [base 1/1] RUN [\"/tool\", \"rand\", \"/shared\"]") &&
		!strings.Contains(log.String(), "[worker] [base 1/1] RUN [\"/tool\", \"rand\", \"/shared\"]") {
		t.Errorf("the build log does not show the shared step:\n%s", log)
	}
}

func TestBuild_SecretsReachTheBuildButNotTheImage(t *testing.T) {
	t.Parallel()
	b, cli, log := newBuilder(t)
	// BuildKit leaves secrets out of cache keys: a RUN of its own, so no other test's cache answers it.
	df := strings.Replace(multiStage, `"/secret.sha"]`, `"/secret.sha", "`+t.Name()+`"]`, 1)
	ws := writeWorkspace(t, map[string]string{"Dockerfile": df, "api.txt": "api", "worker.txt": "worker"})
	specs := specsFor(t, ws, "- {name: api, target: api}\n")
	ref := "slipway-test/secret:" + dockertest.UniqueName(t, "s")
	removeImages(t, cli, ref)
	secret := "npm_Zq8sEcReT" + strings.Repeat("7", 20)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	built, err := b.Build(ctx, []Request{{Spec: specs[0], Tags: []string{ref}}}, Options{Secrets: map[string][]byte{"npm": []byte(secret)}})
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	// The build saw the secret: it wrote the secret's hash.
	sum := sha256.Sum256([]byte(secret))
	code, out := dockertest.Run(t, cli, ref, []string{"/tool"}, "cat", "/secret.sha")
	if code != 0 || out != hex.EncodeToString(sum[:]) {
		t.Fatalf("the build did not see the secret: %d %q", code, out)
	}
	// Nowhere in the image: not in its layers, config or history, nor in the log.
	rc, err := cli.ImageSave(ctx, []string{built[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	saved, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(saved, []byte(secret)) {
		t.Error("the secret is in the saved image")
	}
	hist, err := cli.ImageHistory(ctx, built[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hist {
		if strings.Contains(h.CreatedBy, secret) {
			t.Errorf("the secret is in the history: %q", h.CreatedBy)
		}
	}
	if strings.Contains(log.String(), secret) {
		t.Error("the secret is in the build log")
	}
}

func TestBuild_FailureNamesTheImageAndKeepsTheStepOutput(t *testing.T) {
	t.Parallel()
	b, _, log := newBuilder(t)
	ws := writeWorkspace(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY tool /tool\nRUN [\"/tool\", \"fail\", \"::error::from the build\"]\n"})
	specs := specsFor(t, ws, "web")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	built, err := b.Build(ctx, []Request{{Spec: specs[0]}}, Options{})
	if err == nil || len(built) != 0 {
		t.Fatalf("want a failed build, got %+v", built)
	}
	if !strings.Contains(err.Error(), "build web:") || !strings.Contains(err.Error(), "exit code: 1") {
		t.Errorf("error = %v", err)
	}
	if !strings.Contains(log.String(), "[web] | ::error::from the build") {
		t.Errorf("the step's output is not in the log:\n%s", log)
	}
}

func TestBuild_ClassicBuilderOnlyWhenTheDockerfileAllowsIt(t *testing.T) {
	t.Parallel()
	b, cli, log := newBuilder(t)
	b.Force = "classic"
	ws := writeWorkspace(t, map[string]string{
		"plain/Dockerfile":  "FROM scratch AS app\nCOPY hello.txt /hello.txt\n",
		"plain/hello.txt":   "hello",
		"mounts/Dockerfile": "FROM scratch\nCOPY tool /tool\nRUN --mount=type=cache,target=/c [\"/tool\", \"rand\", \"/x\"]\n",
	})
	specs := specsFor(t, ws, "plain=plain\nmounts=mounts\n")
	ref := "slipway-test/classic:" + dockertest.UniqueName(t, "c")
	removeImages(t, cli, ref)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	built, err := b.Build(ctx, []Request{{Spec: specs[0], Tags: []string{ref}}, {Spec: specs[1]}}, Options{})
	if len(built) != 1 || built[0].Builder != "classic" || built[0].Spec.Name != "plain" {
		t.Fatalf("built %+v (%v)\n%s", built, err, log)
	}
	if err == nil || !strings.Contains(err.Error(), "build mounts: the engine has no BuildKit") || !strings.Contains(err.Error(), "RUN --mount (line 3)") {
		t.Errorf("error = %v", err)
	}
}

package composetest

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// ComposeCLI returns the Docker Compose CLI built from github.com/docker/compose/v5's cmd inside this
// module — the reference the differential tests compare run-e2e with: the very Compose version whose
// engine run-e2e links, built with the same versions of every dependency (compose-go, the YAML
// parser, go-connections…; go.mod names it as a tool so go.sum covers them), and stamped with its
// release version as Docker's own builds are, so its containers carry the labels a released Compose
// writes. It is built once per version of go.sum on the machine (in the temp directory) and shared by
// every test binary after that.
func ComposeCLI(t testing.TB) string {
	t.Helper()
	bin, err := BuildComposeCLI()
	if err != nil {
		t.Fatalf("the Compose CLI could not be built: %v", err)
	}
	return bin
}

// BuildComposeCLI is ComposeCLI for programs (bench/e2e); it runs in the module's directory tree.
func BuildComposeCLI() (string, error) {
	cliOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/docker/compose/v5").Output()
		if err != nil {
			cliErr = fmt.Errorf("go list -m github.com/docker/compose/v5: %w", err)
			return
		}
		version := strings.TrimSpace(string(out))
		gomod, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			cliErr = err
			return
		}
		sum, err := os.ReadFile(filepath.Join(filepath.Dir(strings.TrimSpace(string(gomod))), "go.sum"))
		if err != nil {
			cliErr = err
			return
		}
		cache := filepath.Join(os.TempDir(), "slipway-compose-cli", fmt.Sprintf("%s-%x", version, sha256.Sum256(sum))[:len(version)+17])
		bin := filepath.Join(cache, "docker-compose")
		if _, err := os.Stat(bin); err == nil {
			cliPath = bin
			return
		}
		if cliErr = os.MkdirAll(cache, 0o755); cliErr != nil {
			return
		}
		tmp, err := os.CreateTemp(cache, "build-*")
		if err != nil {
			cliErr = err
			return
		}
		_ = tmp.Close()
		build := exec.Command("go", "build", "-o", tmp.Name(),
			"-ldflags", "-X github.com/docker/compose/v5/internal.Version="+version, "github.com/docker/compose/v5/cmd")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			_ = os.Remove(tmp.Name())
			cliErr = fmt.Errorf("go build github.com/docker/compose/v5/cmd: %v\n%s", err, out)
			return
		}
		// Another test binary may have built it meanwhile: the rename is atomic either way.
		if cliErr = os.Rename(tmp.Name(), bin); cliErr == nil {
			cliPath = bin
		}
	})
	return cliPath, cliErr
}

package composetest

import (
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

// ComposeCLI returns the Docker Compose CLI built from the github.com/docker/compose/v5 module this
// module requires — the reference the differential tests compare run-e2e with, at the very version
// whose engine run-e2e links. It is `go build ./cmd` inside the module's source (`go install` refuses
// the module for its exclude lines), built once per version on the machine (in the temp directory)
// and shared by every test binary after that.
func ComposeCLI(t testing.TB) string {
	t.Helper()
	bin, err := BuildComposeCLI()
	if err != nil {
		t.Fatalf("the Compose CLI could not be built: %v", err)
	}
	return bin
}

// BuildComposeCLI is ComposeCLI for programs (bench/e2e).
func BuildComposeCLI() (string, error) {
	cliOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}} {{.Version}}", "github.com/docker/compose/v5").Output()
		if err != nil {
			cliErr = err
			return
		}
		f := strings.Fields(string(out))
		if len(f) != 2 {
			cliErr = fmt.Errorf("go list -m github.com/docker/compose/v5: %q", out)
			return
		}
		dir, version := f[0], f[1]
		cache := filepath.Join(os.TempDir(), "slipway-compose-cli", version)
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
		build := exec.Command("go", "build", "-o", tmp.Name(), "./cmd")
		build.Dir = dir
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			_ = os.Remove(tmp.Name())
			cliErr = fmt.Errorf("go build ./cmd in %s: %v\n%s", dir, err, out)
			return
		}
		// Another test binary may have built it meanwhile: the rename is atomic either way.
		if cliErr = os.Rename(tmp.Name(), bin); cliErr == nil {
			cliPath = bin
		}
	})
	return cliPath, cliErr
}

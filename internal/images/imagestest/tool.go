package imagestest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var tools sync.Map // GOARCH → the static test tool's bytes

// Tool is the static test tool of internal/images/testdata/tool (it fills files, prints its
// architecture) built for a GOARCH, once per test binary: an arm64 one runs under QEMU.
func Tool(t testing.TB, arch string) []byte {
	t.Helper()
	if b, ok := tools.Load(arch); ok {
		return b.([]byte)
	}
	out := filepath.Join(t.TempDir(), "tool")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "github.com/slipway-actions/slipway/internal/images/testdata/tool")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build the test tool for %s: %v\n%s", arch, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	tools.Store(arch, b)
	return b
}

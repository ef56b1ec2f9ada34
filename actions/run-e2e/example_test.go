package rune2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// The example platform's unit tests, with one of them broken as a pull request would break it, run
// in the API's test image against PostgreSQL: the failing case is annotated at its file and line in
// the repository (api/tests/test_main.py), not at the path pytest printed inside the container
// (tests/test_main.py under /srv).
func TestRunE2E_ExamplePlatformFailureIsAnnotatedInTheRepository(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	out, err := exec.Command("bash", "../../examples/local/base-images.sh").Output()
	dockertest.Require(t, "the example platform's base images (examples/local/base-images.sh: debootstrap and Debian's packages)", err)
	bases := strings.Fields(string(out))
	if len(bases) != 2 {
		t.Fatalf("base-images.sh printed %q", out)
	}

	ws := t.TempDir()
	if err := os.CopyFS(ws, os.DirFS("../../examples/platform")); err != nil {
		t.Fatal(err)
	}
	// Images of this test only, so a local job running beside it keeps its own.
	prefix := strings.ToLower(dockertest.UniqueName(t, "example"))
	compose := readFile(t, filepath.Join(ws, "docker-compose.e2e.yml"))
	writeFile(t, filepath.Join(ws, "docker-compose.e2e.yml"), strings.ReplaceAll(compose, "example-platform/", "slipway-test/"+prefix+"-"))
	for _, svc := range []string{"api", "web", "api-test", "e2e"} {
		ref := "slipway-test/" + prefix + "-" + svc + ":e2e"
		t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{Force: true}) })
	}
	// The pull request's mistake.
	tests := filepath.Join(ws, "api", "tests", "test_main.py")
	src := readFile(t, tests)
	const good, bad = `{"message": "Hello, ada."}`, `{"message": "Hello, Ada."}`
	line := lineOf(t, src, good)
	writeFile(t, tests, strings.Replace(src, good, bad, 1))
	writeFile(t, filepath.Join(ws, "e2e.env"), fmt.Sprintf("BASE_IMAGE=%s\nPOSTGRES_IMAGE=%s\n", bases[0], bases[1]))

	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"] = ws
	r.Input("compose-file", "docker-compose.e2e.yml").Input("test-service", "unit").Input("services", "db").
		Input("env-file", "e2e.env").Input("reports", "/reports/*.xml").Input("project-name", prefix).Input("wait-timeout", "3m")
	res := r.Run(t, context.Background(), Main)
	// (PostgresTest may fail too: the PostgreSQL stand-in of examples/local reports healthy while its
	// initialisation server still runs.)
	if res.Code != 1 || res.Outputs["failures"] == "0" {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	want := fmt.Sprintf("::error file=api/tests/test_main.py,line=%d,", line)
	if !strings.Contains(res.Stdout, want) {
		t.Errorf("no annotation %s…:\n%s", want, res.Stdout)
	}
	if strings.Contains(res.Stdout, "::error file=/") || strings.Contains(res.Stdout, "::error file=tests/") {
		t.Errorf("an annotation names a path of the container, not of the repository:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Summary, "| "+actionkit.EscapeCell(fmt.Sprintf("api/tests/test_main.py:%d", line))+" |") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, p, text string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineOf is the 1-based line of text's first line holding s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the file", s)
	return 0
}

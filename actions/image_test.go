package actions_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/runnertest"
)

// TestImage_RunsEveryEntrypoint runs each action.yml's entrypoint and args with --help in the image
// built from the root Dockerfile, the image CI ships.
func TestImage_RunsEveryEntrypoint(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	cli := dockertest.Client(t)
	for _, name := range actionNames(t) {
		m := loadMetadata(t, filepath.Join(name, "action.yml"))
		code, out := dockertest.Run(t, cli, img, []string{m.Runs.Entrypoint}, append(m.Runs.Args, "--help")...)
		if code != 0 || !strings.Contains(out, "Usage: "+name) {
			t.Errorf("%s %v --help in the image: exit %d\n%s", m.Runs.Entrypoint, m.Runs.Args, code, out)
		}
		// With GITHUB_ACTIONS unset and no inputs it is a CLI run with bad input: exit 2, not a crash.
		if code, out := dockertest.Run(t, cli, img, []string{m.Runs.Entrypoint}, append(m.Runs.Args, "--no-such-flag")...); code != 2 {
			t.Errorf("%s --no-such-flag: exit %d, want 2\n%s", name, code, out)
		}
	}
	// The image holds one program of ours and slipway's own builder beside it. slipway at most 55 MB:
	// 39.7 MB when the five became one; the analysis gates, verify, scheduled tasks, CodeDeploy,
	// strategies and buildkitd builds brought eight AWS service clients and BuildKit's client (52.4 MB).
	// EC2's SDK alone would add 21 MB for two reads: those go over its Query API by hand
	// (internal/preflight). buildkitd at most 60 MB (56.6 MB stripped, v0.33.1). CONTRIBUTING.md,
	// "The image", says what each part costs.
	if code, out := dockertest.Run(t, cli, img, []string{"sh", "-c"}, "ls /usr/local/bin"); code != 0 || strings.Join(strings.Fields(out), " ") != "buildkitd slipway" {
		t.Errorf("/usr/local/bin holds %q (exit %d), want buildkitd and slipway alone", out, code)
	}
	for bin, most := range map[string]int{"slipway": 55_000_000, "buildkitd": 60_000_000} {
		code, out := dockertest.Run(t, cli, img, []string{"stat"}, "-c", "%s", "/usr/local/bin/"+bin)
		if size, err := strconv.Atoi(strings.TrimSpace(out)); code != 0 || err != nil || size > most {
			t.Errorf("/usr/local/bin/%s is %s bytes (exit %d), want at most %d MB", bin, strings.TrimSpace(out), code, most/1_000_000)
		}
	}
	// The whole image at most 640 MB: 512.0 MB before buildkitd and runc, 579.4 MB with them (56.6 MB
	// buildkitd, 11 MB runc and libseccomp) for linux/amd64, 609.8 MB for linux/arm64 (Debian's arm64
	// packages are larger), on the base .ci/debian-image makes, which is larger than Debian's own slim
	// image.
	if inspect, err := cli.ImageInspect(context.Background(), img); err != nil || inspect.Size > 640_000_000 {
		t.Errorf("the image is %d bytes (%v), want at most 640 MB", inspect.Size, err)
	}
	// buildkitd of the moby/buildkit version go.mod pins (the client slipway links), runc, which its
	// worker runs each RUN step with, and igzip, which it extracts layers with (both from Debian).
	pinned, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/moby/buildkit").Output()
	if err != nil {
		t.Fatal(err)
	}
	if code, out := dockertest.Run(t, cli, img, []string{"sh", "-c"}, "runc --version && buildkitd --version && echo x | igzip -c | igzip -dc"); code != 0 ||
		!strings.Contains(out, "runc version") || !strings.HasSuffix(strings.TrimSpace(out), "\nx") || !strings.Contains(out, "github.com/moby/buildkit "+strings.TrimSpace(string(pinned))+" ") {
		t.Errorf("want runc, buildkitd %s and igzip to run in the image: exit %d\n%s", pinned, code, out)
	}
	// What lint-python and its install feature run: Debian's Python, venv, pip, git and linters.
	code, out := dockertest.Run(t, cli, img, []string{"sh", "-c"},
		"set -e; for c in git flake8 black isort pylint mypy; do command -v $c; done; python3 -m venv /tmp/v; /tmp/v/bin/pip --version")
	if code != 0 {
		t.Errorf("the image lacks a tool lint-python needs: exit %d\n%s", code, out)
	}
}

// TestDockerignore_ContextIsWhatTheImageNeeds: the build context holds the Dockerfile and the one
// prebuilt program, nothing else of the repository.
func TestDockerignore_ContextIsWhatTheImageNeeds(t *testing.T) {
	t.Parallel()
	admits, err := runnertest.ContextAdmits("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"Dockerfile", "bin/slipway", "bin/buildkitd"} {
		if !admits(p) {
			t.Errorf("%s is kept out of the build context", p)
		}
	}
	for _, p := range []string{"go.mod", "actions/lint-python/main.go", "internal/lint/run.go", ".git/config", "bin/other", "bin/lint-python", "examples/platform/docker-compose.e2e.yml", "README.md"} {
		if admits(p) {
			t.Errorf("%s enters the build context", p)
		}
	}
}

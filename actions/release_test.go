package actions_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Between releases the actions run the image of their major line; a release commit names it by
// digest (see .github/workflows/publish.yml and the README's "Pinning").
func TestActions_RunOneImageOfSlipway(t *testing.T) {
	t.Parallel()
	img := actionsImage(t)
	if !strings.HasPrefix(img, "docker://ghcr.io/slipway-actions/slipway:v") && !strings.HasPrefix(img, "docker://ghcr.io/slipway-actions/slipway@sha256:") {
		t.Errorf("the actions run %s, want docker://ghcr.io/slipway-actions/slipway:vN or @sha256:…", img)
	}
	if root := loadMetadata(t, filepath.Join("..", "action.yml")); root.Runs.Image != img {
		t.Errorf("the root action runs %s, the five %s", root.Runs.Image, img)
	}
}

// releaseTree copies the six action.yml files into a temp repository root for the release scripts.
func releaseTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := []string{"../action.yml"}
	for _, n := range actionNames(t) {
		files = append(files, filepath.Join(n, "action.yml"))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, strings.TrimPrefix(f, "../"))
		if !strings.HasPrefix(f, "../") {
			dst = filepath.Join(dir, "actions", f)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func script(t *testing.T, dir, name string, args ...string) (int, string) {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", ".ci", name))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(abs, args...)
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	return cmd.ProcessState.ExitCode(), string(out)
}

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestRelease_CheckFailsUnlessEveryActionNamesTheSameDigest(t *testing.T) {
	t.Parallel()
	dir := releaseTree(t)
	if code, out := script(t, dir, "check-pinned"); code != 1 || strings.Count(out, "not docker://ghcr.io/slipway-actions/slipway@sha256:") != 6 {
		t.Errorf("unpinned tree: exit %d, want 1 naming all six files\n%s", code, out)
	}
	if code, out := script(t, dir, "pin-image", "ghcr.io/slipway-actions/slipway@"+digestA); code != 0 {
		t.Fatalf("pin-image: exit %d\n%s", code, out)
	}
	if code, out := script(t, dir, "check-pinned", digestA); code != 0 {
		t.Errorf("pinned tree: exit %d\n%s", code, out)
	}
	if code, out := script(t, dir, "check-pinned", digestB); code != 1 || !strings.Contains(out, "the release pushed "+digestB) {
		t.Errorf("pinned to another digest than the release's: exit %d\n%s", code, out)
	}
	// One action left on another digest fails the release, naming it.
	f := filepath.Join(dir, "actions", "ecs-deploy", "action.yml")
	data, _ := os.ReadFile(f)
	if err := os.WriteFile(f, []byte(strings.ReplaceAll(string(data), digestA, digestB)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := script(t, dir, "check-pinned"); code != 1 || !strings.Contains(out, "actions/ecs-deploy/action.yml: names "+digestB) {
		t.Errorf("mixed digests: exit %d\n%s", code, out)
	}
	// pin-image rewrites only the image line: the rest of each file is as it was.
	orig, _ := os.ReadFile(filepath.Join("lint-python", "action.yml"))
	pinned, _ := os.ReadFile(filepath.Join(dir, "actions", "lint-python", "action.yml"))
	if want := strings.Replace(string(orig), actionsImage(t), "docker://ghcr.io/slipway-actions/slipway@"+digestA, 1); string(pinned) != want {
		t.Errorf("pin-image changed more than the image line:\n%s", pinned)
	}
	if code, _ := script(t, dir, "pin-image", "ghcr.io/slipway-actions/slipway:v1"); code != 2 {
		t.Errorf("pin-image with a tag: exit %d, want 2", code)
	}
}

// A major tag moves to a final release that is the highest of its own major, never across majors.
func TestRelease_MajorTagMovesOnlyWithinItsMajor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "x")
	for _, tag := range []string{"v0.9.0", "v0.10.0", "v1.0.0", "v1.2.0"} {
		git("tag", tag)
	}
	for _, tc := range []struct{ tag, major, move, pre string }{
		{"v0.10.1", "v0", "true", "false"}, // the highest v0: v0 moves, though v1 exists
		{"v0.9.5", "v0", "false", "false"}, // below v0.10.0
		{"v1.1.9", "v1", "false", "false"}, // below v1.2.0
		{"v1.3.0", "v1", "true", "false"},
		{"v1.10.0", "v1", "true", "false"}, // versions compare as numbers
		{"v1.4.0-rc.1", "v1", "false", "true"},
		{"v2.0.0", "v2", "true", "false"},
	} {
		code, out := script(t, dir, "release-version", tc.tag)
		want := "major=" + tc.major + "\nprerelease=" + tc.pre + "\nmove-major=" + tc.move + "\n"
		if code != 0 || !strings.HasSuffix(out, want) || !strings.HasPrefix(out, "version="+strings.TrimPrefix(tc.tag, "v")+"\n") {
			t.Errorf("%s: exit %d\n%s\nwant ...%s", tc.tag, code, out, want)
		}
	}
	if code, _ := script(t, dir, "release-version", "v1.2"); code != 2 {
		t.Errorf("v1.2: exit %d, want 2", code)
	}
}

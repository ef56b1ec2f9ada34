package actions_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"gopkg.in/yaml.v3"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
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

// releaseTree copies every action.yml file into a temp repository root for the release scripts.
func releaseTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := []string{"../action.yml"}
	for _, n := range actionNames(t) {
		files = append(files, filepath.Join(n, "action.yml"))
	}
	workflows, _ := filepath.Glob("../.github/workflows/*.yml")
	files = append(files, workflows...)
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

// gitIn runs git in dir as a committer of its own and returns its trimmed output.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestRelease_CheckFailsUnlessEveryActionNamesTheSameDigest(t *testing.T) {
	t.Parallel()
	dir := releaseTree(t)
	files, _ := filepath.Glob("*/action.yml")
	if code, out := script(t, dir, "check-pinned"); code != 1 || strings.Count(out, "not docker://ghcr.io/slipway-actions/slipway@sha256:") != len(files)+1 {
		t.Errorf("unpinned tree: exit %d, want 1 naming all %d files (the root action.yml too)\n%s", code, len(files)+1, out)
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
	git := func(args ...string) { gitIn(t, dir, args...) }
	git("init", "-q")
	for _, tag := range []string{"v0.9.0", "v0.10.0", "v1.0.0", "v1.2.0"} {
		git("commit", "-q", "--allow-empty", "-m", "release "+tag+": the actions run ghcr.io/x@sha256:…")
		git("tag", tag)
	}
	// A tag whose publish never finished (no release commit) is no release: it does not hold v1 back.
	git("commit", "-q", "--allow-empty", "-m", "the v1.5.0 change")
	git("tag", "v1.5.0")
	for _, tc := range []struct{ tag, major, move, pre string }{
		{"v0.10.1", "v0", "true", "false"}, // the highest v0: v0 moves, though v1 exists
		{"v0.9.5", "v0", "false", "false"}, // below v0.10.0
		{"v1.1.9", "v1", "false", "false"}, // below v1.2.0
		{"v1.3.0", "v1", "true", "false"},  // above every release of v1 (v1.5.0 is a tag, not a release)
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

// The guard of publish.yml: a re-run of a released tag is told apart from a new release by what
// origin's tag names now, against the commit the run was started for (github.sha).
func TestRelease_GuardTellsAReRunFromANewRelease(t *testing.T) {
	t.Parallel()
	origin := filepath.Join(t.TempDir(), "origin.git")
	gitIn(t, ".", "init", "-q", "--bare", origin)
	dir := releaseTree(t)
	git := func(args ...string) string { return gitIn(t, dir, args...) }
	git("init", "-q", "-b", "main")
	git("remote", "add", "origin", origin)
	git("add", ".")
	git("commit", "-q", "-m", "main, on the major's image tag")
	git("push", "-q", "origin", "main")
	tagged := git("rev-parse", "HEAD")
	git("tag", "-a", "v1.2.3", "-m", "v1.2.3") // annotated: origin's ref is the tag object, not the commit
	git("push", "-q", "origin", "v1.2.3")
	tagObject := git("rev-parse", "v1.2.3")

	released := func(tag, commit string) (int, map[string]string, string) {
		code, out := script(t, dir, "released", tag, commit)
		kv := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if k, v, ok := strings.Cut(l, "="); ok {
				kv[k] = v
			}
		}
		return code, kv, out
	}
	// The first run: publish, leasing the tag as origin has it.
	if code, kv, out := released("v1.2.3", tagged); code != 0 || kv["released"] != "false" || kv["lease"] != tagObject {
		t.Errorf("first run: exit %d, want released=false lease=%s\n%s", code, tagObject, out)
	}

	// The release as publish.yml makes it: the release commit, the tag moved to it.
	if code, out := script(t, dir, "pin-image", "ghcr.io/slipway-actions/slipway@"+digestA); code != 0 {
		t.Fatalf("pin-image: exit %d\n%s", code, out)
	}
	git("commit", "-q", "-am", "release v1.2.3: the actions run ghcr.io/slipway-actions/slipway@"+digestA)
	actions := git("rev-parse", "HEAD")
	if code, out := script(t, dir, "pin-workflows", actions); code != 0 {
		t.Fatalf("pin-workflows: exit %d\n%s", code, out)
	}
	git("commit", "-q", "-am", "release v1.2.3: the workflows use the actions of "+actions)
	release := git("rev-parse", "HEAD")
	git("tag", "-f", "-a", "v1.2.3", "-m", "v1.2.3")
	git("push", "-q", "--force-with-lease=refs/tags/v1.2.3:"+tagObject, "origin", "refs/tags/v1.2.3")
	// A re-run starts from the original commit (checkout fetches github.sha), whose own files are
	// not pinned, so the old guard (check-pinned on the checkout) rebuilt and re-released: origin's
	// tag says it is released, and by which image.
	git("tag", "-f", "v1.2.3", tagged)
	git("checkout", "-q", tagged)
	if code, _ := script(t, dir, "check-pinned"); code != 1 {
		t.Errorf("the re-run's checkout passes check-pinned (exit %d); want it unpinned, as on GitHub", code)
	}
	code, kv, out := released("v1.2.3", tagged)
	if code != 0 || kv["released"] != "true" || kv["commit"] != release || kv["digest"] != digestA {
		t.Errorf("re-run: exit %d, want released=true commit=%s digest=%s\n%s", code, release, digestA, out)
	}

	// A release commit that changes more than the pin scripts make (here the entrypoint) is no
	// release, whatever its subjects say.
	git("checkout", "-q", "--detach", tagged)
	forgedTip := makeRelease(t, dir, tagged, "v1.2.3-forged", digestA, "Dockerfile", "FROM evil\n")
	git("tag", "-f", "-a", "v1.2.3", "-m", "v1.2.3", forgedTip)
	git("push", "-q", "-f", "origin", "refs/tags/v1.2.3")
	if code, _, out := released("v1.2.3", tagged); code != 1 {
		t.Errorf("a forged release: exit %d, want 1\n%s", code, out)
	}
	git("tag", "-f", "-a", "v1.2.3", "-m", "v1.2.3", release)
	git("push", "-q", "-f", "origin", "refs/tags/v1.2.3")

	// A release whose workflows commit names other actions than its parent is no release of this run.
	git("checkout", "-q", "--detach", release)
	git("commit", "-q", "--allow-empty", "-m", "release v1.2.3: the workflows use the actions of "+tagged)
	forged := git("rev-parse", "HEAD")
	git("tag", "-f", "-a", "v1.2.3", "-m", "v1.2.3")
	git("push", "-q", "-f", "origin", "refs/tags/v1.2.3")
	if code, _, out := released("v1.2.3", tagged); code != 1 || !strings.Contains(out, "its parent is not "+tagged+" alone, the commit its subject names") {
		t.Errorf("a forged workflows commit %s: exit %d, want 1\n%s", forged, code, out)
	}
	git("tag", "-f", "-a", "v1.2.3", "-m", "v1.2.3", release)
	git("push", "-q", "-f", "origin", "refs/tags/v1.2.3")

	// A release commit merged back to main and tagged is a new release (the old guard skipped it).
	git("checkout", "-q", "main")
	git("merge", "-q", "--ff-only", release)
	git("push", "-q", "origin", "main")
	git("tag", "v1.3.0")
	git("push", "-q", "origin", "v1.3.0")
	if code, kv, out := released("v1.3.0", release); code != 0 || kv["released"] != "false" || kv["lease"] != release {
		t.Errorf("a tag on a merged-back release commit: exit %d, want released=false\n%s", code, out)
	}

	// A tag moved since the run started, here to a child of the run's commit that is pinned (as every
	// commit of main is after the merge) but is no release commit: stop, touch nothing.
	git("commit", "-q", "--allow-empty", "-m", "later")
	later := git("rev-parse", "HEAD")
	git("tag", "-f", "v1.3.0")
	git("push", "-q", "-f", "origin", "v1.3.0")
	if code, _, out := released("v1.3.0", release); code != 1 || !strings.Contains(out, "its subject is 'later'") || !strings.Contains(out, "the tag was moved since the run started") {
		t.Errorf("a moved tag: exit %d, want 1 saying it moved\n%s", code, out)
	}
	// A re-run of a run started for another commit than the release commit's parent.
	if code, _, out := released("v1.2.3", later); code != 1 || !strings.Contains(out, "its parent is not "+later) {
		t.Errorf("a release commit of another commit: exit %d, want 1\n%s", code, out)
	}
	if code, _, out := released("v9.9.9", tagged); code != 1 || !strings.Contains(out, "origin has no tag v9.9.9") {
		t.Errorf("a deleted tag: exit %d, want 1\n%s", code, out)
	}
	if code, _, _ := released("v1.2.3", "HEAD"); code != 2 {
		t.Errorf("a commit that is not 40 hex digits: exit %d, want 2", code)
	}
}

// The release pushes the image its tests ran and nothing else, and pins the digest the registry holds.
func TestRelease_PushImagePushesOnlyTheTestedImage(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	reg := registrytest.Start(t, registrytest.Options{})
	repo := reg.Host + "/slipway-actions/slipway"
	ref, ref2 := repo+":1.2.3", repo+":1.2.4"
	otherTag := dockertest.UniqueName(t, "slipway-other") + ":x"
	// The registry's port is a free one, which an earlier run may have used: a tag of its left in the
	// engine would be another image under the name push-image tags. None before, none after.
	untag := func() { _ = exec.Command("docker", "rmi", "-f", ref, ref2, otherTag).Run() }
	untag()
	t.Cleanup(untag)
	build := func(tag, content string) string {
		dockertest.BuildImage(t, cli, tag, map[string]dockertest.File{
			"Dockerfile": {Data: []byte("FROM scratch\nCOPY release /release\n")},
			"release":    {Data: []byte(content)},
		})
		img, err := cli.ImageInspect(context.Background(), tag)
		if err != nil {
			t.Fatal(err)
		}
		return img.ID
	}
	tested := build(ref, "the image the tests ran")
	other := build(otherTag, "another build")
	dir := t.TempDir()

	// Another image than the tested one under the tag: nothing reaches the registry.
	if code, out := script(t, dir, "push-image", ref, other); code != 1 || !strings.Contains(out, "not "+other+" that the tests ran") {
		t.Errorf("an untested image: exit %d, want 1\n%s", code, out)
	}
	if tags := registrytest.Tags(t, repo, authn.Anonymous); len(tags) != 0 {
		t.Errorf("the registry holds %v after a refused push", tags)
	}

	code, out := script(t, dir, "push-image", ref, tested)
	digest := out[strings.LastIndex(out, "digest=")+len("digest="):]
	digest = strings.TrimSpace(digest)
	if code != 0 || !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("push-image: exit %d\n%s", code, out)
	}
	if tags := registrytest.Tags(t, repo, authn.Anonymous); tags["1.2.3"] != digest || len(tags) != 1 {
		t.Errorf("the registry holds %v, want 1.2.3 at %s", tags, digest)
	}
	img, err := remote.Image(mustDigest(t, repo+"@"+digest))
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := img.ConfigName(); err != nil || cfg.String() != tested {
		t.Errorf("the pushed manifest's config is %v (%v), want the tested image %s", cfg, err, tested)
	}
	if code, _ := script(t, dir, "push-image", repo+"@"+digest, tested); code != 2 {
		t.Errorf("a reference without a tag: exit %d, want 2", code)
	}

	// publish.yml hands the tested image from its build job to its release job with docker save by
	// ID and docker load: it arrives untagged, and is pushed all the same.
	tar := filepath.Join(t.TempDir(), "image.tar")
	if out, err := exec.Command("docker", "save", "-o", tar, tested).CombinedOutput(); err != nil {
		t.Fatalf("docker save: %v\n%s", err, out)
	}
	if out, err := exec.Command("docker", "rmi", "-f", ref).CombinedOutput(); err != nil {
		t.Fatalf("docker rmi: %v\n%s", err, out)
	}
	if out, err := exec.Command("docker", "load", "-q", "-i", tar).CombinedOutput(); err != nil {
		t.Fatalf("docker load: %v\n%s", err, out)
	}
	if code, out := script(t, dir, "push-image", ref2, tested); code != 0 || !strings.Contains(out, "digest="+digest) {
		t.Errorf("the loaded, untagged image: exit %d, want it pushed as %s\n%s", code, digest, out)
	}
}

func mustDigest(t *testing.T, s string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// publish.yml's shape is what keeps an unreleased image or commit away from users and write
// credentials away from the hour of other code a release runs: a tag off main stops before anything is
// built; the job that builds and tests holds no write permission, no registry login and no persisted
// checkout credentials; the job that pushes and tags runs behind the release environment, logs in just
// before it pushes the tested image by ID, and moves the tag leased; the major tag moves last, one
// publish at a time, to the highest release.
func TestRelease_PublishSplitsTestingFromPushing(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../.github/workflows/publish.yml")
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		ID   string            `yaml:"id"`
		If   string            `yaml:"if"`
		Uses string            `yaml:"uses"`
		Run  string            `yaml:"run"`
		Env  map[string]string `yaml:"env"`
		With map[string]any    `yaml:"with"`
	}
	var wf struct {
		Defaults struct {
			Run struct {
				Shell string `yaml:"shell"`
			} `yaml:"run"`
		} `yaml:"defaults"`
		Concurrency struct {
			Group string `yaml:"group"`
		} `yaml:"concurrency"`
		Jobs map[string]struct {
			Needs       any               `yaml:"needs"`
			If          string            `yaml:"if"`
			Environment any               `yaml:"environment"`
			Permissions map[string]string `yaml:"permissions"`
			Concurrency struct {
				Group string `yaml:"group"`
			} `yaml:"concurrency"`
			RunsOn   string            `yaml:"runs-on"`
			Env      map[string]string `yaml:"env"`
			Outputs  map[string]string `yaml:"outputs"`
			Strategy struct {
				Matrix struct {
					Include []map[string]string `yaml:"include"`
				} `yaml:"matrix"`
			} `yaml:"strategy"`
			Steps []step `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(wf.Concurrency.Group, "${{ github.ref }}") {
		t.Errorf("concurrency group %q: one group for all tags cancels a pending release; want one per tag", wf.Concurrency.Group)
	}
	if wf.Defaults.Run.Shell != "bash" {
		t.Errorf("defaults.run.shell %q: without shell: bash a run step has no pipefail, and `script | tee` hides a failure", wf.Defaults.Run.Shell)
	}
	find := func(job, marker string) int {
		for i, s := range wf.Jobs[job].Steps {
			if strings.Contains(s.Run, marker) || strings.Contains(s.Uses, marker) {
				return i
			}
		}
		return -1
	}
	for _, job := range []string{"verify", "build", "test", "release", "major"} {
		if _, ok := wf.Jobs[job]; !ok {
			t.Fatalf("no job %s (jobs: %v)", job, wf.Jobs)
		}
	}
	// verify: main first, then the guard; build needs it.
	if on, guard := find("verify", ".ci/on-main"), find("verify", ".ci/released"); on < 0 || guard < on {
		t.Errorf("verify: .ci/on-main at step %d, .ci/released at %d: a tag off main must stop first", on, guard)
	}
	if fmt.Sprint(wf.Jobs["build"].Needs) != "verify" || !strings.Contains(wf.Jobs["build"].If, "needs.verify.outputs.released == 'false'") {
		t.Errorf("build needs %v if %q: it must wait for verify", wf.Jobs["build"].Needs, wf.Jobs["build"].If)
	}
	// No write credential where the tests run.
	for _, job := range []string{"verify", "build", "test"} {
		j := wf.Jobs[job]
		for scope, level := range j.Permissions {
			if level != "read" && level != "none" {
				t.Errorf("%s: permission %s: %s, where the tests and their dependencies run", job, scope, level)
			}
		}
		for i, s := range j.Steps {
			if strings.Contains(s.Uses, "login-action") || strings.Contains(s.Run, "docker login") {
				t.Errorf("%s: step %d logs in to a registry", job, i)
			}
			if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["persist-credentials"] != false {
				t.Errorf("%s: step %d checks out with persisted credentials", job, i)
			}
		}
	}
	// build: nothing but Go (go.sum), Debian's packages and the pinned base; no cache another
	// workflow's tests could have written. The tests and what they install run in job test.
	for i, s := range wf.Jobs["build"].Steps {
		for _, banned := range []string{".ci/run", ".ci/setup", "make test", "make local", "make check", "pip", "apt-get", "go test"} {
			if strings.Contains(s.Run, banned) {
				t.Errorf("build: step %d runs %q beside the image it ships", i, banned)
			}
		}
		if strings.HasPrefix(s.Uses, "actions/setup-go@") && s.With["cache"] != false {
			t.Errorf("build: step %d restores the Go cache", i)
		}
	}
	if fmt.Sprint(wf.Jobs["test"].Needs) != "build" {
		t.Errorf("test needs %v, want build", wf.Jobs["test"].Needs)
	}
	// One image per platform, each built on and tested on its own platform's runner, each in its
	// very image: amd64 with every test, arm64 with the image's own.
	platforms := map[string]string{"amd64": "ubuntu-latest", "arm64": "ubuntu-24.04-arm"}
	for _, job := range []string{"build", "test"} {
		got := map[string]string{}
		for _, leg := range wf.Jobs[job].Strategy.Matrix.Include {
			got[leg["arch"]] = leg["runner"]
			if job == "test" && leg["id"] != "${{ needs.build.outputs.id-"+leg["arch"]+" }}" {
				t.Errorf("test: the %s leg tests %q, not the image its build leg made", leg["arch"], leg["id"])
			}
		}
		if !maps.Equal(got, platforms) || wf.Jobs[job].RunsOn != "${{ matrix.runner }}" {
			t.Errorf("%s: legs %v on %q, want %v, each on its runner", job, got, wf.Jobs[job].RunsOn, platforms)
		}
	}
	if out := wf.Jobs["build"].Outputs; len(out) != 2 || out["id-amd64"] != "${{ steps.build.outputs.id-amd64 }}" || out["id-arm64"] != "${{ steps.build.outputs.id-arm64 }}" {
		t.Errorf("build: outputs %v, want each platform's image ID under its own name (a matrix keeps each leg's)", out)
	}
	if i := find("build", "make image"); i < 0 || !strings.Contains(wf.Jobs["build"].Steps[i].Run, `make image GOARCH="$ARCH"`) || wf.Jobs["build"].Env["ARCH"] != "${{ matrix.arch }}" {
		t.Errorf("build: the image is not built for its leg's platform")
	}
	for _, marker := range []string{".ci/run", "TestImage_RunsEveryEntrypoint"} {
		if i := find("test", marker); i < 0 || wf.Jobs["test"].Steps[i].Env["SLIPWAY_TEST_IMAGE"] != "${{ matrix.id }}" {
			t.Errorf("test: %s does not run in the built image (SLIPWAY_TEST_IMAGE)", marker)
		}
	}
	if needs := fmt.Sprint(wf.Jobs["release"].Needs); !strings.Contains(needs, "test") {
		t.Errorf("release needs %s: it must wait for the tests", needs)
	}
	// release: approved, logs in just before pushing the tested image, pins, tags leased.
	rel := wf.Jobs["release"]
	if rel.Environment != "release" {
		t.Errorf("release: environment %v, want release (its reviewers approve)", rel.Environment)
	}
	login, push := find("release", "login-action"), find("release", ".ci/push-image")
	if login < 0 || push != login+1 {
		t.Errorf("release: login at step %d, push at %d: log in just before the push", login, push)
	}
	// Each tested image by its ID under its version and platform, then their index under the version
	// alone, with the digests push-image read back.
	if push >= 0 {
		s := rel.Steps[push]
		for _, arch := range []string{"amd64", "arm64"} {
			up := strings.ToUpper(arch)
			if s.Env[up] != "${{ needs.build.outputs.id-"+arch+" }}" || !strings.Contains(s.Run, `.ci/push-image "$IMAGE:$VERSION-`+arch+`" "$`+up+`"`) {
				t.Errorf("release: push-image is not given the tested %s image ID: env %v, run %s", arch, s.Env, s.Run)
			}
		}
		if !strings.Contains(s.Run, `.ci/push-index "$IMAGE:$VERSION" "$amd64" "$arm64" | tee -a "$GITHUB_OUTPUT"`) {
			t.Errorf("release: no index of the pushed digests under the version:\n%s", s.Run)
		}
	}
	for i, s := range rel.Steps {
		if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["persist-credentials"] != false {
			t.Errorf("release: step %d checks out with persisted credentials", i)
		}
		// No Go cache the build job could have written is compiled into a job holding write tokens.
		if strings.HasPrefix(s.Uses, "actions/setup-go@") && s.With["cache"] != false {
			t.Errorf("release: step %d restores the Go cache", i)
		}
		// The token is in the environment of the tag's push alone.
		if _, ok := s.Env["GH_TOKEN"]; ok && !strings.Contains(s.Run, "push --force-with-lease") {
			t.Errorf("release: step %d has the token but does not push the tag:\n%s", i, s.Run)
		}
	}
	if logout := find("release", "docker logout"); logout != push+1 {
		t.Errorf("release: docker logout at step %d, want right after the push (%d)", logout, push)
	}
	commits, tag := find("release", ".ci/pin-workflows"), find("release", "push --force-with-lease")
	if commits < push || tag < commits {
		t.Fatalf("release: commits at step %d, tag at %d, push at %d: want push, commits, tag", commits, tag, push)
	}
	run := rel.Steps[commits].Run
	for _, want := range []string{`git commit -q -am "release $TAG: the actions run `, `.ci/pin-workflows "$actions"`,
		`git commit -q -am "release $TAG: the workflows use the actions of $actions"`} {
		if !strings.Contains(run, want) {
			t.Errorf("release: the commits step does not %q:\n%s", want, run)
		}
	}
	if strings.Index(run, ".ci/pin-image") > strings.Index(run, ".ci/pin-workflows") {
		t.Errorf("release: the workflows are pinned before the actions' commit exists")
	}
	if !strings.Contains(rel.Steps[tag].Run, `--force-with-lease="refs/tags/$TAG:$LEASE"`) {
		t.Errorf("release: the tag's push is not leased:\n%s", rel.Steps[tag].Run)
	}
	// major: one at a time across tags, after release, leased.
	m := wf.Jobs["major"]
	if m.Concurrency.Group == "" || strings.Contains(m.Concurrency.Group, "github.ref") {
		t.Errorf("major: concurrency group %q, want one for every tag", m.Concurrency.Group)
	}
	if !strings.Contains(fmt.Sprint(m.Needs), "release") || find("major", ".ci/move-major") < 0 {
		t.Errorf("major: needs %v; it must follow release and move the tag with .ci/move-major", m.Needs)
	}
	// Nothing else pushes an image.
	for name, j := range wf.Jobs {
		for i, s := range j.Steps {
			if strings.Contains(s.Uses, "build-push-action") || strings.Contains(s.Uses, "setup-buildx-action") {
				t.Errorf("%s: step %d uses %s: a second build, not the tested image", name, i, s.Uses)
			}
			if strings.Contains(s.Run, "imagetools") || strings.Contains(s.Run, "docker push") || strings.Contains(s.Run, "docker tag") {
				if name != "major" || !strings.Contains(s.Run, "imagetools create") || s.If != "steps.major.outputs.moved == 'true'" {
					t.Errorf("%s: step %d pushes an image outside .ci/push-image and the major step:\n%s", name, i, s.Run)
				}
			}
		}
	}
}

// A tag on a commit that is not on main (a branch nobody reviewed) is refused before anything is
// built; one on main passes.
func TestRelease_OnlyACommitOnMainIsReleased(t *testing.T) {
	t.Parallel()
	origin := filepath.Join(t.TempDir(), "origin.git")
	gitIn(t, ".", "init", "-q", "--bare", origin)
	dir := t.TempDir()
	git := func(args ...string) string { return gitIn(t, dir, args...) }
	git("init", "-q", "-b", "main")
	git("remote", "add", "origin", origin)
	git("commit", "-q", "--allow-empty", "-m", "reviewed")
	git("push", "-q", "origin", "main")
	reviewed := git("rev-parse", "HEAD")
	git("checkout", "-q", "-b", "unreviewed")
	git("commit", "-q", "--allow-empty", "-m", "nobody looked")
	git("push", "-q", "origin", "unreviewed")
	unreviewed := git("rev-parse", "HEAD")
	if code, out := script(t, dir, "on-main", unreviewed, "main"); code != 1 || !strings.Contains(out, "is not on main") {
		t.Errorf("a commit off main: exit %d, want 1\n%s", code, out)
	}
	if code, out := script(t, dir, "on-main", reviewed, "main"); code != 0 || !strings.Contains(out, "on-main=true") {
		t.Errorf("a commit on main: exit %d, want 0\n%s", code, out)
	}
	if code, _ := script(t, dir, "on-main", "main"); code != 2 {
		t.Errorf("a ref that is not a commit: exit %d, want 2", code)
	}
}

// The release's workflows name no moving ref: every use of slipway's own actions is the release
// commit's, and the workflows still pass the contract test then.
func TestRelease_PinnedWorkflowsNameNoMovingRef(t *testing.T) {
	t.Parallel()
	dir := releaseTree(t)
	commit := strings.Repeat("ab", 20)
	if code, out := script(t, dir, "pin-workflows", commit); code != 0 {
		t.Fatalf("pin-workflows: exit %d\n%s", code, out)
	}
	uses := regexp.MustCompile(`uses:\s*(slipway-actions/slipway[^\s]*)`)
	files, _ := filepath.Glob(filepath.Join(dir, ".github", "workflows", "*.yml"))
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range uses.FindAllStringSubmatch(string(data), -1) {
			n++
			if !strings.HasSuffix(m[1], "@"+commit) {
				t.Errorf("%s: %s is not pinned to the release commit", filepath.Base(f), m[1])
			}
		}
	}
	if n == 0 {
		t.Fatal("no use of slipway's actions in the workflows")
	}
	if code, _ := script(t, dir, "pin-workflows", "v1"); code != 2 {
		t.Errorf("pin-workflows with a tag: exit %d, want 2", code)
	}
}

// makeRelease makes TAG as publish.yml does, on top of base (a commit of dir's repository, a releaseTree):
// the commit pinning the image, the one pinning the workflows to it, the tag on the second. extra, when
// given, is a file the forger slips into the first. It returns the tagged commit.
func makeRelease(t *testing.T, dir, base, tag, digest string, extra ...string) string {
	t.Helper()
	git := func(args ...string) string { return gitIn(t, dir, args...) }
	git("checkout", "-q", "--detach", base)
	if code, out := script(t, dir, "pin-image", "ghcr.io/slipway-actions/slipway@"+digest); code != 0 {
		t.Fatalf("pin-image: exit %d\n%s", code, out)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if err := os.WriteFile(filepath.Join(dir, extra[i]), []byte(extra[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", extra[i])
	}
	git("commit", "-q", "-am", "release "+tag+": the actions run ghcr.io/slipway-actions/slipway@"+digest)
	actions := git("rev-parse", "HEAD")
	if code, out := script(t, dir, "pin-workflows", actions); code != 0 {
		t.Fatalf("pin-workflows: exit %d\n%s", code, out)
	}
	git("commit", "-q", "-am", "release "+tag+": the workflows use the actions of "+actions)
	git("tag", "-a", tag, "-m", tag)
	return git("rev-parse", "HEAD")
}

// Two publishes finishing together end with the major tag on the higher release, whichever moves it
// last: each moves it to the highest release there is, leased on what it read. The older release's
// publish finishing last (the old bug: it moved the major back) leaves it where it is. Only what
// .ci/release-of proves a release of main counts: a forged release tag (a commit off main, or a
// release commit that changes more than the pin scripts) never gets the major.
func TestRelease_ConcurrentPublishesEndWithTheMajorOnTheHigherRelease(t *testing.T) {
	t.Parallel()
	setup := func(tags ...string) (origin string, commits map[string]string) {
		origin = filepath.Join(t.TempDir(), "origin.git")
		gitIn(t, ".", "init", "-q", "--bare", origin)
		seed := releaseTree(t)
		gitIn(t, seed, "init", "-q", "-b", "main")
		gitIn(t, seed, "remote", "add", "origin", origin)
		gitIn(t, seed, "add", ".")
		gitIn(t, seed, "commit", "-q", "-m", "main")
		commits = map[string]string{}
		for _, tag := range tags {
			gitIn(t, seed, "checkout", "-q", "main")
			gitIn(t, seed, "commit", "-q", "--allow-empty", "-m", "work for "+tag)
			commits[tag] = makeRelease(t, seed, gitIn(t, seed, "rev-parse", "main"), tag, digestA)
		}
		gitIn(t, seed, "tag", "v1", commits[tags[0]])
		gitIn(t, seed, "push", "-q", "origin", "main", "--tags")
		return origin, commits
	}
	major := func(origin string) string {
		return strings.Fields(gitIn(t, ".", "ls-remote", origin, "refs/tags/v1") + " none")[0]
	}
	clone := func(origin string) string {
		dir := filepath.Join(t.TempDir(), "clone")
		gitIn(t, ".", "clone", "-q", "-b", "main", origin, dir)
		return dir
	}
	// In order, newer first: the older one's publish finishing last leaves v1 on v1.3.0.
	origin, commits := setup("v1.1.0", "v1.2.0", "v1.3.0")
	for _, tag := range []string{"v1.3.0", "v1.2.0"} {
		if code, out := script(t, clone(origin), "move-major", tag); code != 0 {
			t.Fatalf("%s: move-major exit %d\n%s", tag, code, out)
		}
	}
	if got := major(origin); got != commits["v1.3.0"] {
		t.Errorf("after v1.3.0's then v1.2.0's publish, v1 names %s, want v1.3.0's commit %s", got, commits["v1.3.0"])
	}

	// Forged releases: v1.9.0 made from a commit that is not on main, v1.8.0 whose release commit also
	// changes the entrypoint. Neither takes v1.
	dir := clone(origin)
	gitIn(t, dir, "checkout", "-q", "-b", "unreviewed")
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", "nobody looked")
	makeRelease(t, dir, gitIn(t, dir, "rev-parse", "HEAD"), "v1.9.0", digestA)
	makeRelease(t, dir, gitIn(t, dir, "rev-parse", "origin/main"), "v1.8.0", digestA, "Dockerfile", "FROM evil\n")
	gitIn(t, dir, "push", "-q", "origin", "v1.9.0", "v1.8.0")
	if code, out := script(t, clone(origin), "move-major", "v1.3.0"); code != 0 || major(origin) != commits["v1.3.0"] {
		t.Errorf("forged releases: move-major exit %d, v1 names %s, want v1.3.0's %s\n%s", code, major(origin), commits["v1.3.0"], out)
	}

	// The race itself, made certain: v1.3.0's publish finishes between v1.2.0's reading of the tags
	// and its push (a git on PATH plays it, once, just before the push). The lease refuses v1.2.0's
	// push, which reads the tags again and leaves v1 on v1.3.0; an unleased push moved it back.
	origin, commits = setup("v1.1.0", "v1.2.0", "v1.3.0")
	gitIn(t, ".", "--git-dir", origin, "update-ref", "refs/pending/v1.3.0", "refs/tags/v1.3.0")
	gitIn(t, ".", "--git-dir", origin, "update-ref", "-d", "refs/tags/v1.3.0")
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	wrapper := "#!/bin/sh\nif [ \"$1\" = push ] && [ ! -e " + bin + "/raced ]; then\n  touch " + bin + "/raced\n" +
		"  " + real + " --git-dir " + origin + " update-ref refs/tags/v1.3.0 refs/pending/v1.3.0\n" +
		"  " + real + " --git-dir " + origin + " update-ref refs/tags/v1 " + commits["v1.3.0"] + "\nfi\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join("..", ".ci", "move-major"), "v1.2.0")
	cmd.Dir = clone(origin)
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	if abs, err := filepath.Abs(cmd.Path); err == nil {
		cmd.Path = abs
	}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "moved while this run read it") {
		t.Errorf("v1.2.0 racing v1.3.0: move-major %v, want success after a lost lease\n%s", err, out)
	}
	if got := major(origin); got != commits["v1.3.0"] {
		t.Errorf("v1.2.0 racing v1.3.0: v1 names %s, want v1.3.0's commit %s", got, commits["v1.3.0"])
	}
	// At once, a few times over.
	for round := range 3 {
		origin, commits := setup("v1.1.0", "v1.2.0", "v1.3.0")
		var wg sync.WaitGroup
		for _, tag := range []string{"v1.2.0", "v1.3.0"} {
			dir := clone(origin)
			wg.Go(func() {
				if code, out := script(t, dir, "move-major", tag); code != 0 {
					t.Errorf("round %d, %s: move-major exit %d\n%s", round, tag, code, out)
				}
			})
		}
		wg.Wait()
		if got := major(origin); got != commits["v1.3.0"] {
			t.Errorf("round %d: v1 names %s, want v1.3.0's commit %s", round, got, commits["v1.3.0"])
		}
	}
}

// The release's index lists the tested image of each platform, by the digests push-image read back,
// under the version alone; a re-run writes the same index again, and an index of other images is
// never overwritten.
func TestRelease_PushIndexListsEachPlatformsTestedImage(t *testing.T) {
	t.Parallel()
	dockertest.Client(t)
	reg := registrytest.Start(t, registrytest.Options{})
	repo := reg.Host + "/slipway-actions/slipway"
	dir := t.TempDir()
	var made []string
	t.Cleanup(func() { _ = exec.Command("docker", append([]string{"rmi", "-f"}, made...)...).Run() })
	// A FROM scratch image for PLATFORM, pushed as push-image pushes the release's: its digest.
	push := func(tag, platform, content string) string {
		ctx := t.TempDir()
		if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM scratch\nCOPY release /release\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ctx, "release"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		ref := repo + ":" + tag
		_ = exec.Command("docker", "rmi", "-f", ref).Run()
		made = append(made, ref)
		id, err := exec.Command("docker", "build", "-q", "--platform", platform, "-t", ref, ctx).Output()
		if err != nil {
			t.Fatalf("docker build --platform %s: %v", platform, err)
		}
		code, out := script(t, dir, "push-image", ref, strings.TrimSpace(string(id)))
		if code != 0 {
			t.Fatalf("push-image %s: exit %d\n%s", ref, code, out)
		}
		return strings.TrimSpace(out[strings.LastIndex(out, "digest=")+len("digest="):])
	}
	amd64 := push("1.2.3-amd64", "linux/amd64", "amd64")
	arm64 := push("1.2.3-arm64", "linux/arm64", "arm64")

	code, out := script(t, dir, "push-index", repo+":1.2.3", amd64, arm64)
	digest := strings.TrimSpace(out[strings.LastIndex(out, "digest=")+len("digest="):])
	if code != 0 || !strings.Contains(out, "platforms=linux/amd64,linux/arm64") {
		t.Fatalf("push-index: exit %d\n%s", code, out)
	}
	idx, err := remote.Index(mustDigest(t, repo+"@"+digest))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range im.Manifests {
		got[m.Platform.OS+"/"+m.Platform.Architecture] = m.Digest.String()
	}
	if want := map[string]string{"linux/amd64": amd64, "linux/arm64": arm64}; !maps.Equal(got, want) {
		t.Errorf("the index lists %v, want %v", got, want)
	}
	if tags := registrytest.Tags(t, repo, authn.Anonymous); tags["1.2.3"] != digest {
		t.Errorf("the registry holds %v, want 1.2.3 at the index %s", tags, digest)
	}
	// A re-run of the release writes the same index.
	if code, out := script(t, dir, "push-index", repo+":1.2.3", arm64, amd64); code != 0 || !strings.Contains(out, "digest="+digest) {
		t.Errorf("the same images again: exit %d, want the index %s again\n%s", code, digest, out)
	}
	// Another index under the tag is refused and left as it was; so is one of two images of one
	// platform, before anything is pushed.
	if code, out := script(t, dir, "push-index", repo+":1.2.3", amd64); code != 1 || !strings.Contains(out, "not an index of these images") {
		t.Errorf("another index under the tag: exit %d, want 1\n%s", code, out)
	}
	other := push("1.2.4-amd64", "linux/amd64", "another amd64")
	if code, out := script(t, dir, "push-index", repo+":1.2.4", amd64, other); code != 1 || !strings.Contains(out, "not one image per platform") {
		t.Errorf("two amd64 images: exit %d, want 1\n%s", code, out)
	}
	if tags := registrytest.Tags(t, repo, authn.Anonymous); tags["1.2.3"] != digest || tags["1.2.4"] != "" {
		t.Errorf("after the refusals the registry holds %v, want 1.2.3 at %s and no 1.2.4", tags, digest)
	}
	if code, _ := script(t, dir, "push-index", repo+":1.2.3", "latest"); code != 2 {
		t.Errorf("a digest that is not one: exit %d, want 2", code)
	}
}

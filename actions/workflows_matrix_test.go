package actions_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/slipway-actions/slipway/internal/testenv"
)

// The reusable workflows' matrix jobs: merge.yml's and release.yml's platforms (one runner per
// platform, pushed by digest, merged in the images job) and pull-request.yml's test images (built once,
// loaded by the test jobs) and E2E shards (a matrix of run-e2e shards, one merge job).

type matrixStep struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
	With map[string]any    `yaml:"with"`
}

type matrixJob struct {
	Needs       yaml.Node         `yaml:"needs"`
	If          string            `yaml:"if"`
	Name        string            `yaml:"name"`
	RunsOn      string            `yaml:"runs-on"`
	Permissions yaml.Node         `yaml:"permissions"`
	Outputs     map[string]string `yaml:"outputs"`
	Strategy    struct {
		FailFast *bool     `yaml:"fail-fast"`
		Matrix   yaml.Node `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []matrixStep `yaml:"steps"`
}

func (j matrixJob) needs() []string {
	if j.Needs.Kind == yaml.ScalarNode {
		return []string{j.Needs.Value}
	}
	var list []string
	_ = j.Needs.Decode(&list)
	return list
}

// step is the job's first step that uses what (an action's name) or has that id or name.
func (j matrixJob) step(t *testing.T, job, what string) matrixStep {
	t.Helper()
	for _, s := range j.Steps {
		if s.ID == what || s.Name == what || strings.Contains(s.Uses, what+"@") {
			return s
		}
	}
	t.Fatalf("job %s has no step %s", job, what)
	return matrixStep{}
}

// with is a with: value as a string.
func (s matrixStep) with(key string) string {
	v, _ := s.With[key].(string)
	return v
}

func readMatrixJobs(t *testing.T, name string) map[string]matrixJob {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]matrixJob `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	return wf.Jobs
}

// runScript runs a run: script as GitHub's bash does, with env and a GITHUB_OUTPUT file; it returns
// the log, the outputs file and the exit error.
func runScript(t *testing.T, script string, env ...string) (string, string, error) {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		testenv.Require(t, "jq (.ci/setup installs it)", err)
	}
	out := filepath.Join(t.TempDir(), "output")
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), append(env, "GITHUB_OUTPUT="+out, "RUNNER_TEMP="+t.TempDir())...)
	log, err := cmd.CombinedOutput()
	outputs, _ := os.ReadFile(out)
	return string(log), string(outputs), err
}

// leg is one entry of the platforms job's matrix.
type leg struct {
	Platform string `json:"platform"`
	Runner   string `json:"runner"`
	QEMU     bool   `json:"qemu"`
	Key      string `json:"key"`
}

func TestWorkflows_PlatformsEachOnItsOwnRunnerThenOneMerge(t *testing.T) {
	t.Parallel()
	merge, release := readMatrixJobs(t, "merge.yml"), readMatrixJobs(t, "release.yml")
	for _, job := range []string{"platforms", "images"} {
		for _, id := range []string{"plan", "digests"} {
			a, b := findStep(merge[job], id), findStep(release[job], id)
			if a.Run != b.Run {
				t.Errorf("job %s step %s: merge.yml's script and release.yml's differ; they are one script", job, id)
			}
		}
	}
	for name, jobs := range map[string]map[string]matrixJob{"merge.yml": merge, "release.yml": release} {
		checkPlatformJobs(t, name, jobs)
	}
}

// checkReRunnable: a job's uploads replace the artifact an earlier attempt uploaded, so that
// "Re-run failed jobs" works (upload-artifact v4 refuses a second artifact of one name in a run) and
// the job after it reads the re-run's.
func checkReRunnable(t *testing.T, name, job string, j matrixJob) {
	t.Helper()
	for _, s := range j.Steps {
		if strings.Contains(s.Uses, "actions/upload-artifact@") && s.With["overwrite"] != true {
			t.Errorf("%s: job %s uploads %q without overwrite: a re-run of the job would fail there", name, job, s.with("name"))
		}
	}
}

func findStep(j matrixJob, id string) matrixStep {
	for _, s := range j.Steps {
		if s.ID == id {
			return s
		}
	}
	return matrixStep{}
}

// checkPlatformJobs: the plan runs only with platforms and holds no token; each leg builds its
// platform on the runner the plan chose and hands its digests on as an artifact; the images job
// needs the legs, runs when one failed (to fail), and merges what the artifacts hold.
func checkPlatformJobs(t *testing.T, name string, jobs map[string]matrixJob) {
	plan, leg, images := jobs["platforms"], jobs["images-platform"], jobs["images"]
	checkReRunnable(t, name, "images-platform", leg)
	if plan.If != "inputs.platforms != ''" || plan.Permissions.Kind != yaml.MappingNode || len(plan.Permissions.Content) != 0 {
		t.Errorf("%s: platforms job if %q: want it only with platforms, and no permissions", name, plan.If)
	}
	// No if: a leg runs only after the plan succeeded, never on the matrix that stands in without it.
	if !slices.Equal(leg.needs(), []string{"platforms"}) || leg.If != "" || leg.RunsOn != "${{ matrix.runner }}" ||
		!strings.HasPrefix(leg.Strategy.Matrix.Value, "${{ fromJSON(needs.platforms.outputs.matrix || ") || leg.Strategy.FailFast == nil || *leg.Strategy.FailFast {
		t.Errorf("%s: images-platform needs %v, runs on %q, matrix %q: want the plan's matrix, each leg on its runner, no fail-fast", name, leg.needs(), leg.RunsOn, leg.Strategy.Matrix.Value)
	}
	if q := leg.step(t, "images-platform", "docker/setup-qemu-action"); q.If != "matrix.qemu" {
		t.Errorf("%s: QEMU set up if %q: want only on the leg of platforms without a runner of their own", name, q.If)
	}
	build, merge := leg.step(t, "images-platform", "build-push-images"), images.step(t, "images", "build-push-images")
	firstRegistry := strings.TrimSpace(strings.Split(strings.TrimSpace(merge.with("registries")), "\n")[0])
	if build.with("platforms") != "${{ matrix.platform }}" || build.with("push-by-digest") != "true" || build.with("registries") != firstRegistry {
		t.Errorf("%s: a leg builds platforms %q push-by-digest %q to %q: want its platform, by digest, to the merge's first registry %q",
			name, build.with("platforms"), build.with("push-by-digest"), build.with("registries"), firstRegistry)
	}
	hand, upload := leg.step(t, "images-platform", "Hand the digests on"), leg.step(t, "images-platform", "actions/upload-artifact")
	if hand.Env["DIGESTS"] != "${{ steps.build.outputs.digests }}" || !strings.Contains(hand.Run, `"$RUNNER_TEMP/digests"`) ||
		upload.with("path") != "${{ runner.temp }}/digests" || upload.with("if-no-files-found") != "error" {
		t.Errorf("%s: the digests are not handed on as the artifact the leg uploads", name)
	}
	if !slices.Equal(images.needs(), []string{"platforms", "images-platform"}) || images.If != "${{ !cancelled() }}" {
		t.Errorf("%s: images needs %v if %q: want both, and to run when a leg failed (it then fails)", name, images.needs(), images.If)
	}
	download := images.step(t, "images", "actions/download-artifact")
	pattern := download.with("pattern")
	if ok, _ := path.Match(pattern, strings.ReplaceAll(upload.with("name"), "${{ matrix.key }}", "linux-arm64")); !ok || download.With["merge-multiple"] != nil {
		t.Errorf("%s: the images job downloads %q, the legs upload %q: want every leg's artifact, each in its own directory", name, pattern, upload.with("name"))
	}
	digests := images.step(t, "images", "digests")
	if digests.Env["DIR"] != download.with("path") || merge.with("merge-digests") != "${{ steps.digests.outputs.digests }}" {
		t.Errorf("%s: merge-digests %q does not come from the downloaded artifacts", name, merge.with("merge-digests"))
	}
	for _, s := range []matrixStep{download, digests} {
		if !strings.HasPrefix(s.If, "inputs.platforms != ''") {
			t.Errorf("%s: images step %q runs without platforms (if %q)", name, s.Uses+s.Name, s.If)
		}
	}
}

func TestWorkflows_PlatformsPlanMapsEachToItsNativeRunner(t *testing.T) {
	t.Parallel()
	script := findStep(readMatrixJobs(t, "merge.yml")["platforms"], "plan").Run
	amd := leg{"linux/amd64", "ubuntu-latest", false, "linux-amd64"}
	arm := leg{"linux/arm64", "ubuntu-24.04-arm", false, "linux-arm64"}
	for _, c := range []struct {
		platforms string
		want      []leg
		says      string
	}{
		{"linux/amd64,linux/arm64", []leg{amd, arm}, ""},
		{"linux/arm64", []leg{arm}, ""},
		{" linux/amd64\nlinux/arm64/v8 , linux/amd64,", []leg{amd, arm}, ""},
		{"linux/amd64,linux/arm/v7,linux/s390x", []leg{amd, {"linux/arm/v7,linux/s390x", "ubuntu-latest", true, "qemu-linux-arm-v7-linux-s390x"}}, ""},
		{"linux/riscv64", []leg{{"linux/riscv64", "ubuntu-latest", true, "qemu-linux-riscv64"}}, ""},
		{"linux,linux/arm64,linux/*", nil, `::error::input platforms: "linux" is not os/arch`},
		{" , ", nil, "::error::input platforms: no platform in it"},
	} {
		log, outputs, err := runScript(t, script, "PLATFORMS="+c.platforms)
		if c.says != "" {
			if err == nil || !strings.Contains(log, c.says) || outputs != "" {
				t.Errorf("platforms %q: %v, outputs %q, want a failure saying %q\n%s", c.platforms, err, outputs, c.says, log)
			}
			continue
		}
		if err != nil {
			t.Errorf("platforms %q: %v\n%s", c.platforms, err, log)
			continue
		}
		var m struct {
			Include []leg `json:"include"`
		}
		lines := strings.Split(strings.TrimSpace(outputs), "\n")
		if len(lines) != 2 || json.Unmarshal([]byte(strings.TrimPrefix(lines[0], "matrix=")), &m) != nil ||
			!slices.Equal(m.Include, c.want) || lines[1] != "legs="+strconv.Itoa(len(c.want)) {
			t.Errorf("platforms %q: outputs\n%s\nwant legs %+v", c.platforms, outputs, c.want)
		}
	}
	// Two errors at once: every bad platform is named before the job fails.
	log, _, _ := runScript(t, script, "PLATFORMS=linux,linux/arm64,windows")
	if strings.Count(log, "::error::") != 2 {
		t.Errorf("want both bad platforms named:\n%s", log)
	}
}

func TestWorkflows_PlatformsMergeTagsNothingUnlessEveryPlatformBuilt(t *testing.T) {
	t.Parallel()
	script := findStep(readMatrixJobs(t, "merge.yml")["images"], "digests").Run
	digest := func(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }
	write := func(dir, leg string, lines ...string) {
		t.Helper()
		d := filepath.Join(dir, "slipway-digests-"+leg)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "digests"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	both := t.TempDir()
	write(both, "linux-amd64", "api@"+digest('a'), "web@"+digest('b'))
	write(both, "linux-arm64", "api@"+digest('c'), "web@"+digest('d'))
	one := t.TempDir()
	write(one, "linux-amd64", "api@"+digest('a'))
	forged := t.TempDir()
	write(forged, "linux-amd64", "api@"+digest('a'))
	write(forged, "linux-arm64", "::warning::x")
	for _, c := range []struct {
		plan, builds, legs, dir string
		ok                      bool
		says                    string
	}{
		{"success", "success", "2", both, true, ""},
		{"success", "failure", "2", both, false, "builds: failure"},
		{"success", "cancelled", "2", both, false, "builds: cancelled"},
		{"failure", "skipped", "", both, false, "plan: failure"},
		{"success", "success", "2", one, false, "digests of 1 of 2 platform builds"},
		{"success", "success", "2", forged, false, "not name@sha256"},
	} {
		log, outputs, err := runScript(t, script, "PLAN="+c.plan, "BUILDS="+c.builds, "LEGS="+c.legs, "DIR="+c.dir)
		if (err == nil) != c.ok || !strings.Contains(log, c.says) {
			t.Errorf("plan %s builds %s legs %s: %v, want ok %v saying %q\n%s", c.plan, c.builds, c.legs, err, c.ok, c.says, log)
		}
		if !c.ok && outputs != "" {
			t.Errorf("plan %s builds %s: a refused merge wrote outputs %q", c.plan, c.builds, outputs)
		}
		if c.ok {
			lines := strings.Split(strings.TrimSpace(outputs), "\n")
			got := lines[1 : len(lines)-1]
			want := []string{"api@" + digest('a'), "web@" + digest('b'), "api@" + digest('c'), "web@" + digest('d')}
			if !strings.HasPrefix(lines[0], "digests<<") || lines[len(lines)-1] != strings.TrimPrefix(lines[0], "digests<<") || !slices.Equal(got, want) {
				t.Errorf("outputs:\n%s\nwant the digests of both legs, %v", outputs, want)
			}
		}
	}
}

// With test-images, the build job builds the images as the images job does and the test images
// beside them, once, and hands the latter on as one archive; every test job loads it before run-e2e,
// which then builds only what is missing. The images job and the build job never both run.
func TestWorkflows_TestImagesBuiltOnceAndLoadedByEveryTestJob(t *testing.T) {
	t.Parallel()
	jobs := readMatrixJobs(t, "pull-request.yml")
	build, images := jobs["build"], jobs["images"]
	if build.If != "inputs.test-images != ''" || images.If != "inputs.test-images == ''" {
		t.Errorf("build if %q, images if %q: want exactly one of them", build.If, images.If)
	}
	shipped, same := build.step(t, "build", "images"), images.step(t, "images", "build-push-images")
	if !equalWith(shipped.With, same.With) || shipped.ID != same.ID {
		t.Errorf("the build job builds the images with %v (id %s), the images job with %v (id %s): want the same", shipped.With, shipped.ID, same.With, same.ID)
	}
	if build.Outputs["images"] != images.Outputs["images"] {
		t.Errorf("build job's images output %q, images job's %q", build.Outputs["images"], images.Outputs["images"])
	}
	tests := build.step(t, "build", "test-images")
	if tests.with("images") != "${{ inputs.test-images }}" || tests.with("push") != "false" ||
		tests.with("tags") != "type=raw,value=${{ inputs.test-images-tag }}" || tests.with("flavor") != "latest=false" {
		t.Errorf("test images built with %v: want test-images, not pushed, tagged test-images-tag alone", tests.With)
	}
	hand, upload := build.step(t, "build", "Hand the test images on"), build.step(t, "build", "actions/upload-artifact")
	if hand.Env["IMAGES"] != "${{ steps.test-images.outputs.images }}" || upload.with("path") != "${{ runner.temp }}/test-images.tar" {
		t.Errorf("the test images are not handed on as the artifact the build job uploads")
	}
	// The hand-on script saves every tag of every test image, with docker standing in on PATH.
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte("#!/bin/sh\necho \"docker $*\" >>\""+bin+"/log\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	imagesOut := `[{"name":"acme/api","id":"sha256:1","tags":["acme/api:e2e"]},{"name":"acme/e2e","id":"sha256:2","tags":["acme/e2e:e2e"]}]`
	if log, _, err := runScript(t, hand.Run, "PATH="+bin+":"+os.Getenv("PATH"), "IMAGES="+imagesOut); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if log, _ := os.ReadFile(filepath.Join(bin, "log")); !regexpMatch(`^docker save -o \S+/test-images\.tar acme/api:e2e acme/e2e:e2e\n$`, string(log)) {
		t.Errorf("saved: %q", log)
	}
	for _, name := range []string{"unit", "e2e", "e2e-shard"} {
		checkLoadsTestImages(t, name, jobs[name], upload.with("name"))
	}
	checkReRunnable(t, "pull-request.yml", "build", build)
}

func equalWith(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func regexpMatch(re, s string) bool {
	return regexp.MustCompile(re).MatchString(s)
}

// checkLoadsTestImages: a test job waits for the build job (and runs when it was skipped), loads the
// archive when there is one, and lets run-e2e build only what is missing then.
func checkLoadsTestImages(t *testing.T, name string, j matrixJob, artifact string) {
	t.Helper()
	if !slices.Contains(j.needs(), "build") || !strings.Contains(j.If, "(needs.build.result == 'success' || needs.build.result == 'skipped')") {
		t.Errorf("%s: needs %v if %q: want it after the build job, and without it when skipped", name, j.needs(), j.If)
	}
	download, load, run := -1, -1, -1
	for i, s := range j.Steps {
		switch {
		case strings.Contains(s.Uses, "actions/download-artifact@") && s.with("name") == artifact:
			download = i
			if s.If != "inputs.test-images != ''" || s.with("path") != "${{ runner.temp }}" {
				t.Errorf("%s: the archive is downloaded if %q to %q", name, s.If, s.with("path"))
			}
		case s.Name == "Load the test images":
			load = i
			if s.If != "inputs.test-images != ''" || !strings.Contains(s.Run, `docker load -i "$RUNNER_TEMP/test-images.tar"`) {
				t.Errorf("%s: the archive is loaded if %q by %q", name, s.If, s.Run)
			}
		case strings.Contains(s.Uses, "/actions/run-e2e@"):
			run = i
			if s.with("build") != "${{ inputs.test-images == '' }}" {
				t.Errorf("%s: run-e2e build %q: want false only when the test images were loaded", name, s.with("build"))
			}
		}
	}
	if download < 0 || download > load || load > run {
		t.Errorf("%s: download at step %d, load at %d, run-e2e at %d: want them in that order", name, download, load, run)
	}
}

// With e2e-shards, a matrix of shards each runs run-e2e's shard i/n and uploads its reports; one job
// merges them whatever the shards' outcome (not when the run is cancelled), fails when a shard
// failed or is missing, and its result is the workflow's e2e-result.
func TestWorkflows_E2EShardsMergedIntoOneReport(t *testing.T) {
	t.Parallel()
	jobs := readMatrixJobs(t, "pull-request.yml")
	plan, shard, merge := jobs["e2e-plan"], jobs["e2e-shard"], jobs["e2e-merge"]
	checkReRunnable(t, "pull-request.yml", "e2e-shard", shard)
	checkReRunnable(t, "pull-request.yml", "e2e-merge", merge)
	if plan.If != "inputs.e2e-shards > 1" || !strings.Contains(jobs["e2e"].If, "inputs.e2e-shards <= 1") {
		t.Errorf("e2e-plan if %q, e2e if %q: want the shards with e2e-shards > 1, the one job otherwise", plan.If, jobs["e2e"].If)
	}
	if !slices.Contains(shard.needs(), "e2e-plan") || !strings.Contains(shard.If, "needs.e2e-plan.result == 'success'") || shard.Strategy.Matrix.Kind != yaml.MappingNode ||
		shard.Strategy.FailFast == nil || *shard.Strategy.FailFast {
		t.Fatalf("e2e-shard: needs %v: want a matrix of the plan's shards without fail-fast", shard.needs())
	}
	var m map[string]string
	_ = shard.Strategy.Matrix.Decode(&m)
	run := shard.step(t, "e2e-shard", "run-e2e")
	if !strings.HasPrefix(m["shard"], "${{ fromJSON(needs.e2e-plan.outputs.shards || ") || run.with("shard") != "${{ matrix.shard }}/${{ inputs.e2e-shards }}" {
		t.Errorf("e2e-shard: matrix %v, shard %q: want i/n of the plan's shards", m, run.with("shard"))
	}
	var upload matrixStep
	for _, s := range shard.Steps {
		if strings.Contains(s.Uses, "actions/upload-artifact@") && s.with("path") == "${{ steps.e2e.outputs.reports-dir }}" {
			upload = s
		}
	}
	if !strings.HasPrefix(upload.If, "always()") {
		t.Errorf("e2e-shard: reports uploaded if %q: a failed shard's reports must reach the merge", upload.If)
	}
	if !slices.Equal(merge.needs(), []string{"e2e-plan", "e2e-shard"}) || !strings.HasPrefix(merge.If, "${{ !cancelled()") || strings.Contains(merge.If, "always()") {
		t.Errorf("e2e-merge: needs %v if %q: want it after the shards, whatever their outcome, not after a cancel", merge.needs(), merge.If)
	}
	download, merged := merge.step(t, "e2e-merge", "actions/download-artifact"), merge.step(t, "e2e-merge", "merge")
	shardArtifact := strings.ReplaceAll(upload.with("name"), "${{ matrix.shard }}", "3")
	if ok, _ := path.Match(download.with("pattern"), shardArtifact); !ok || download.With["merge-multiple"] != nil || merged.with("merge-shards") != download.with("path") {
		t.Errorf("e2e-merge: downloads %q to %q, merges %q: want every shard's artifact %s, each in its own directory", download.with("pattern"), download.with("path"), merged.with("merge-shards"), shardArtifact)
	}
	var final matrixStep
	for _, s := range merge.Steps {
		if strings.Contains(s.Uses, "actions/upload-artifact@") {
			final = s
		}
	}
	if ok, _ := path.Match(download.with("pattern"), final.with("name")); final.with("name") != "slipway-e2e-reports" || ok {
		t.Errorf("e2e-merge uploads %q: want slipway-e2e-reports, which the report job reads and the merge's pattern does not take", final.with("name"))
	}
	if !strings.Contains(merge.Outputs["result"], "needs.e2e-shard.result == 'success' && steps.merge.outputs.result || 'failed'") {
		t.Errorf("e2e-merge result %q: want passed only when every shard's job passed", merge.Outputs["result"])
	}
	guard := merge.step(t, "e2e-merge", "Every shard's job succeeded")
	if guard.If != "needs.e2e-shard.result != 'success'" || !strings.Contains(guard.Run, "exit 1") {
		t.Errorf("e2e-merge: a failed or cancelled shard's job does not fail it (if %q)", guard.If)
	}
	if r := jobs["report"]; !slices.Contains(r.needs(), "e2e-merge") {
		t.Errorf("report needs %v: want the merge's report too", r.needs())
	}
	// The plan: 1..n, or a failure naming the input.
	script := plan.step(t, "e2e-plan", "plan").Run
	for _, c := range []struct {
		n, want string
	}{{"3", "shards=[1,2,3]\n"}, {"2", "shards=[1,2]\n"}, {"1", ""}, {"65", ""}, {"2.5", ""}, {"x", ""}} {
		log, outputs, err := runScript(t, script, "SHARDS="+c.n)
		if outputs != c.want || (err == nil) != (c.want != "") || c.want == "" && !strings.Contains(log, "::error::input e2e-shards") {
			t.Errorf("e2e-shards %s: %v, outputs %q, want %q\n%s", c.n, err, outputs, c.want, log)
		}
	}
}

package actions_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
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
// the exit error, the log and the outputs file.
func runScript(t *testing.T, script string, env ...string) (error, string, string) {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		testenv.Require(t, "jq (.ci/setup installs it)", err)
	}
	out := filepath.Join(t.TempDir(), "output")
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), append(env, "GITHUB_OUTPUT="+out, "RUNNER_TEMP="+t.TempDir())...)
	log, err := cmd.CombinedOutput()
	outputs, _ := os.ReadFile(out)
	return err, string(log), string(outputs)
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
	if plan.If != "inputs.platforms != ''" || plan.Permissions.Kind != yaml.MappingNode || len(plan.Permissions.Content) != 0 {
		t.Errorf("%s: platforms job if %q: want it only with platforms, and no permissions", name, plan.If)
	}
	if !slices.Equal(leg.needs(), []string{"platforms"}) || leg.RunsOn != "${{ matrix.runner }}" ||
		leg.Strategy.Matrix.Value != "${{ fromJSON(needs.platforms.outputs.matrix) }}" || leg.Strategy.FailFast == nil || *leg.Strategy.FailFast {
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
		err, log, outputs := runScript(t, script, "PLATFORMS="+c.platforms)
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
	_, log, _ := runScript(t, script, "PLATFORMS=linux,linux/arm64,windows")
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
		err, log, outputs := runScript(t, script, "PLAN="+c.plan, "BUILDS="+c.builds, "LEGS="+c.legs, "DIR="+c.dir)
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

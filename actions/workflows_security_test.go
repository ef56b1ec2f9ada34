package actions_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/slipway-actions/slipway/internal/testenv"
)

// The workflows' security rules, checked as a scanner would (no GitHub workflow scanner — zizmor,
// ghalint, poutine, octoscan, scorecard — is to be had from this machine's Go module proxy or Debian):
// every job says its permissions, no checkout leaves its token in .git/config, and a job with write
// access or a cloud role never runs a pull request's code.

type secJob struct {
	Needs       yaml.Node         `yaml:"needs"`
	If          string            `yaml:"if"`
	Environment yaml.Node         `yaml:"environment"`
	Permissions yaml.Node         `yaml:"permissions"`
	Timeout     int               `yaml:"timeout-minutes"`
	Uses        string            `yaml:"uses"`
	Env         map[string]string `yaml:"env"`
	Steps       []struct {
		Name string            `yaml:"name"`
		If   string            `yaml:"if"`
		Uses string            `yaml:"uses"`
		Run  string            `yaml:"run"`
		Env  map[string]string `yaml:"env"`
		With map[string]any    `yaml:"with"`
	} `yaml:"steps"`
}

type secWorkflow struct {
	Permissions yaml.Node         `yaml:"permissions"`
	Jobs        map[string]secJob `yaml:"jobs"`
}

func readSec(t *testing.T, path string) secWorkflow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf secWorkflow
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return wf
}

func TestWorkflows_SecurityRules(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../.github/workflows/*.yml")
	for _, f := range files {
		wf := readSec(t, f)
		name := filepath.Base(f)
		for jn, j := range wf.Jobs {
			if j.Permissions.Kind == 0 && wf.Permissions.Kind == 0 && j.Uses == "" {
				t.Errorf("%s: job %s has no permissions: it gets the repository's default token", name, jn)
			}
			for i, s := range j.Steps {
				if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["persist-credentials"] != false {
					t.Errorf("%s: job %s step %d: checkout keeps the token in .git/config for every later step", name, jn, i)
				}
				if strings.Contains(s.Run, "${{ github.event.") {
					t.Errorf("%s: job %s step %d: event text is pasted into a script", name, jn, i)
				}
			}
		}
	}
}

// Production's deploy role is reachable only through production's approval: a job that assumes it
// runs in an environment; the images job, which has none, assumes the push role.
func TestWorkflows_DeployRoleOnlyBehindTheEnvironment(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"release.yml", "merge.yml"} {
		wf := readSec(t, filepath.Join("..", ".github", "workflows", name))
		deployers := 0
		for jn, j := range wf.Jobs {
			for _, s := range j.Steps {
				role, _ := s.With["role-to-assume"].(string)
				switch {
				case strings.Contains(role, "inputs.aws-deploy-role"):
					deployers++
					if j.Environment.Kind == 0 {
						t.Errorf("%s: job %s assumes the deploy role outside an environment", name, jn)
					}
				case strings.Contains(role, "inputs.aws-push-role"):
					// The images job pushes with it (and with platforms, each platform's job by digest);
					// the dockerhub job reads what it pushed.
					if jn != "images" && jn != "images-platform" && jn != "dockerhub" {
						t.Errorf("%s: job %s assumes the push role", name, jn)
					}
				case role != "":
					t.Errorf("%s: job %s assumes %s", name, jn, role)
				}
			}
		}
		if deployers == 0 {
			t.Errorf("%s: no job assumes the deploy role", name)
		}
	}
}

// duration parses a with: value such as 15m; an expression counts as the action's default.
var goDuration = regexp.MustCompile(`^(\d+h)?(\d+m)?(\d+s)?$`)

func withDuration(t *testing.T, with map[string]any, key, def string) time.Duration {
	t.Helper()
	v, _ := with[key].(string)
	if v == "" || strings.Contains(v, "${{") || !goDuration.MatchString(v) {
		v = def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s %q: %v", key, v, err)
	}
	return d
}

// Every job's timeout-minutes covers the worst case of its steps, from the inputs' maxima: an
// ecs-deploy waits out its migration, its deployment and a rollback's deployment; a flag-rollout step
// its step-wait (at most 45m, rollout.yml's plan refuses more) and its gate; a bake its step-wait; a
// run-e2e its timeout, except one that merges shards' reports and runs nothing. Five minutes more for
// the runner's own steps.
func TestWorkflows_JobLimitsCoverTheWorstCase(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../.github/workflows/*.yml")
	for _, f := range files {
		wf := readSec(t, f)
		for jn, j := range wf.Jobs {
			if j.Uses != "" {
				continue
			}
			worst := 5 * time.Minute
			// flag-rollout waits its step-wait only with a gate; the bake step runs only without one.
			var stepWait, bake time.Duration
			for _, s := range j.Steps {
				switch {
				case strings.Contains(s.Uses, "/actions/ecs-deploy@"):
					deploy := withDuration(t, s.With, "timeout", "15m")
					if v, _ := s.With["migration-container"].(string); v != "" {
						worst += withDuration(t, s.With, "migration-timeout", "10m")
					}
					worst += deploy
					rollbackMode, _ := s.With["rollback"].(string)
					if v, _ := s.With["rollback-on-failure"].(string); v != "false" && rollbackMode != "true" {
						worst += deploy
					}
				case strings.Contains(s.Uses, "/actions/flag-rollout@"):
					if hold, _ := s.With["hold"].(string); hold == "true" {
						// a held step waits out no bake, at most a change request's approval
						worst += withDuration(t, s.With, "approval-wait", "10m")
					} else if v, _ := s.With["step-wait"].(string); v != "" {
						stepWait = 45 * time.Minute
					}
					worst += withDuration(t, s.With, "gate-timeout", "5m")
				case strings.Contains(s.Run, "sleep $(") && strings.Contains(s.Name, "Bake"):
					bake = 45 * time.Minute
				case strings.Contains(s.Uses, "/actions/run-e2e@") && s.With["merge-shards"] == nil:
					worst += withDuration(t, s.With, "timeout", "30m")
				}
			}
			worst += max(stepWait, bake)
			if limit := time.Duration(j.Timeout) * time.Minute; limit < worst {
				t.Errorf("%s: job %s: timeout-minutes %d, its steps may take %s", filepath.Base(f), jn, j.Timeout, worst)
			}
		}
	}
}

// rollout.yml's plan refuses, before any job holds the key, a rollout that would run away; a
// cancelled run restores the flag.
func TestRollout_PlanRefusesARunawayAndACancelRestores(t *testing.T) {
	t.Parallel()
	wf := readSec(t, "../.github/workflows/rollout.yml")
	plan, ok := wf.Jobs["plan"]
	if !ok || plan.Permissions.Kind != yaml.MappingNode || len(plan.Permissions.Content) != 0 {
		t.Fatalf("rollout.yml: no plan job without permissions")
	}
	if u := wf.Jobs["users"]; u.Needs.Value != "plan" {
		t.Errorf("users needs %q, want plan: nothing touches Flagsmith before the plan is checked", u.Needs.Value)
	}
	rb := wf.Jobs["rollback"]
	if !strings.Contains(rb.If, "cancelled()") || !strings.Contains(rb.If, "failure()") || rb.Environment.Kind == 0 {
		t.Errorf("rollback: if %q, environment %v: a cancelled run must restore, with the key of an environment", rb.If, rb.Environment.Value)
	}
	if _, err := exec.LookPath("jq"); err != nil {
		testenv.Require(t, "jq (.ci/setup installs it)", err)
	}
	script := plan.Steps[0].Run
	for _, c := range []struct {
		percentages, gate, wait, apiURL, allowHTTP string
		ok                                         bool
		says                                       string
	}{
		{"[5, 25, 50]", "https://example.com/health", "", "https://api.flagsmith.com/api/v1/", "false", true, ""},
		{"[5, 25, 50]", "", "30m", "https://api.flagsmith.com/api/v1/", "false", true, ""},
		{"[5, 25, 50]", "", "", "https://api.flagsmith.com/api/v1/", "false", false, "needs gate-url, analysis or a step-wait"},
		{"[5, 25, 50]", "", "0s", "https://api.flagsmith.com/api/v1/", "false", false, "needs gate-url, analysis or a step-wait"},
		{"[5, 25, 50]", "", "0m0s", "https://api.flagsmith.com/api/v1/", "false", false, "needs gate-url, analysis or a step-wait"},
		{"[5, 25, 50]", "", "0h00m", "https://api.flagsmith.com/api/v1/", "false", false, "needs gate-url, analysis or a step-wait"},
		{"[5, 25, 50]", "", "ten minutes", "https://api.flagsmith.com/api/v1/", "false", false, "is not a duration"},
		{"[5, 25, 50]", "", "1h", "https://api.flagsmith.com/api/v1/", "false", false, "longer than 45m"},
		{"[50, 25]", "https://g", "", "https://f", "false", false, "does not rise"},
		{"[5, 5, 50]", "https://g", "", "https://f", "false", false, "does not rise"},
		{"[0, 150]", "https://g", "", "https://f", "false", false, "between 0 and 100"},
		{"[5]", "https://g", "2h", "https://f", "false", false, "longer than 45m"},
		{"[5]", "https://g", "", "http://flagsmith.internal/api/v1/", "false", false, "is not https"},
		{"[5]", "https://g", "", "http://flagsmith.internal/api/v1/", "true", true, ""},
	} {
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
		cmd.Env = append(os.Environ(), "PERCENTAGES="+c.percentages, "GATE_URL="+c.gate, "STEP_WAIT="+c.wait,
			"API_URL="+c.apiURL, "ALLOW_HTTP="+c.allowHTTP)
		out, err := cmd.CombinedOutput()
		if (err == nil) != c.ok || !strings.Contains(string(out), c.says) {
			t.Errorf("percentages %s gate %q wait %q api %s allow-http %s: %v, want ok %v saying %q\n%s",
				c.percentages, c.gate, c.wait, c.apiURL, c.allowHTTP, err, c.ok, c.says, out)
		}
	}
	// An analysis decides a step as a gate does: no step-wait needed beside it.
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Env = append(os.Environ(), "PERCENTAGES=[5, 25, 50]", "ANALYSIS=- {name: errors, count: 3, prometheus: {address: http://p, query: x}}",
		"STEP_WAIT=", "API_URL=https://f")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("an analysis without gate-url or step-wait: %v, want ok\n%s", err, out)
	}
	// A held rollout's bake holds no job: its step-wait may be hours, but it still needs one or a gate.
	for _, c := range []struct {
		wait, says string
		ok         bool
	}{{"6h", "", true}, {"0s", "needs gate-url, analysis or a step-wait", false}} {
		cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
		cmd.Env = append(os.Environ(), "PERCENTAGES=[5, 25, 50]", "STEP_WAIT="+c.wait, "API_URL=https://f", "HOLD=true")
		out, err := cmd.CombinedOutput()
		if (err == nil) != c.ok || !strings.Contains(string(out), c.says) {
			t.Errorf("hold, wait %q: %v, want ok %v saying %q\n%s", c.wait, err, c.ok, c.says, out)
		}
	}
}

// Docker Hub, which users pull from, gets nothing before production's approval unless the caller asks
// for it: the images job pushes to ECR alone, and the dockerhub job, after the deploy and its
// end-to-end tests, copies the digests the images job pushed under the tags it gave them.
func TestRelease_DockerHubOnlyAfterTheDeploysApproval(t *testing.T) {
	t.Parallel()
	wf := readSec(t, "../.github/workflows/release.yml")
	// With platforms, each platform's job pushes by digest to ECR alone, with no Docker Hub login.
	for _, s := range wf.Jobs["images-platform"].Steps {
		if !strings.Contains(s.Uses, "/actions/build-push-images@") {
			continue
		}
		if s.With["registries"] != "${{ inputs.ecr-registry }}" || s.With["username"] != nil || s.With["password"] != nil {
			t.Errorf("images-platform: registries %q, username %v, password %v: want ECR alone, no login", s.With["registries"], s.With["username"], s.With["password"])
		}
	}
	for _, s := range wf.Jobs["images"].Steps {
		if !strings.Contains(s.Uses, "/actions/build-push-images@") {
			continue
		}
		for _, key := range []string{"username", "password"} {
			if v, _ := s.With[key].(string); v != "" && !strings.HasPrefix(v, "${{ inputs.dockerhub-before-approval && ") {
				t.Errorf("images: %s %q reaches Docker Hub before the approval", key, v)
			}
		}
		for _, line := range strings.Split(fmt.Sprint(s.With["registries"]), "\n") {
			if strings.Contains(line, "docker.io") && !strings.Contains(line, "inputs.dockerhub-before-approval &&") {
				t.Errorf("images: registry %q is pushed before the approval", line)
			}
		}
	}
	hub := wf.Jobs["dockerhub"]
	var needs []string
	_ = hub.Needs.Decode(&needs)
	if !slices.Contains(needs, "deploy") || !slices.Contains(needs, "e2e") || !strings.Contains(hub.If, "!inputs.dockerhub-before-approval") {
		t.Fatalf("dockerhub: needs %v if %q: it must follow the deploy and its tests", needs, hub.If)
	}
	// The copy, with skopeo and aws standing in on PATH: every ECR tag of every image, by digest.
	if _, err := exec.LookPath("jq"); err != nil {
		testenv.Require(t, "jq (.ci/setup installs it)", err)
	}
	bin := t.TempDir()
	log := filepath.Join(bin, "log")
	for name, script := range map[string]string{
		"skopeo": "#!/bin/sh\necho \"skopeo $*\" >>" + log + "\ncat >/dev/null\n",
		"aws":    "#!/bin/sh\necho ecr-password\n",
	} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	step := hub.Steps[len(hub.Steps)-1]
	ecr := "123456789012.dkr.ecr.eu-west-2.amazonaws.com"
	images := `[{"name":"api","id":"sha256:1","digest":"sha256:aaa","tags":["` + ecr + `/api:1.2.3","` + ecr + `/api:latest"]},` +
		`{"name":"web","id":"sha256:2","digest":"sha256:bbb","tags":["` + ecr + `/web:1.2.3"]}]`
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", step.Run)
	cmd.Stdin = strings.NewReader("")
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "IMAGES="+images, "ECR="+ecr, "HUB=docker.io/acme",
		"HUB_USER=acmebot", "HUB_TOKEN=hub-token", "REGION=eu-west-2")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	data, _ := os.ReadFile(log)
	for _, want := range []string{
		"skopeo copy --all --preserve-digests docker://" + ecr + "/api@sha256:aaa docker://docker.io/acme/api:1.2.3",
		"skopeo copy --all --preserve-digests docker://" + ecr + "/api@sha256:aaa docker://docker.io/acme/api:latest",
		"skopeo copy --all --preserve-digests docker://" + ecr + "/web@sha256:bbb docker://docker.io/acme/web:1.2.3",
		"skopeo logout --all",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("no %q in:\n%s", want, data)
		}
	}
	if strings.Contains(string(data), "hub-token") {
		t.Errorf("the token is on a command line:\n%s", data)
	}
}

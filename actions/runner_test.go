package actions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
	"github.com/slipway-actions/slipway/internal/lint"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
	"github.com/slipway-actions/slipway/internal/rollout"
	"github.com/slipway-actions/slipway/internal/runnertest"
)

// The tests below run each action as a GitHub-hosted runner does (internal/runnertest): in the image
// built from the root Dockerfile, with the runner's mounts and environment, in a workspace owned by
// uid 1001; a host step then reads what the next step of a job would.

func TestMain(m *testing.M) { os.Exit(runnertest.Main(m)) }

const planted = "../internal/lint/testdata/planted"

// annotation is one ::error/::warning/::notice line of a log; its properties are parsed by annotated.
var annotation = regexp.MustCompile(`(?m)^::(?:error|warning|notice) ([^:]*)::`)

// annotated lists the file:line of every annotation in a log.
func annotated(log string) []string {
	var out []string
	for _, m := range annotation.FindAllStringSubmatch(log, -1) {
		props := map[string]string{}
		for _, p := range strings.Split(m[1], ",") {
			k, v, _ := strings.Cut(p, "=")
			props[k] = v
		}
		out = append(out, props["file"]+":"+props["line"])
	}
	return out
}

// On a pull request, only-changed lints the checked-out merge commit of a repository that belongs to
// the runner's user while the action runs as root: git must accept it, and only the pull request's
// lines are reported. (Before the fix git refused the workspace: "dubious ownership".)
func TestRunner_LintPythonOnlyChangedOnATwoCommitPullRequest(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	j := runnertest.NewJob(t)
	j.CopyDir(planted, "api")
	checkout := j.Run(`
git init -q -b main
git -c user.name=dev -c user.email=dev@example.com commit -q --allow-empty -m empty
git add -A && git -c user.name=dev -c user.email=dev@example.com commit -q -m base
git checkout -q -b feature
cat >>api/app/clean.py <<'EOF'


def twice(value: int) -> str:
    unused = 1
    return value * 2
EOF
git -c user.name=dev -c user.email=dev@example.com commit -q -am "add twice"
git checkout -q main
git -c user.name=dev -c user.email=dev@example.com merge -q --no-ff feature -m "Merge feature into main"
git checkout -q --detach
git rev-parse HEAD`, nil)
	if checkout.ExitCode != 0 {
		t.Fatalf("checkout: %v", checkout)
	}
	sha := strings.TrimSpace(checkout.Log)
	j.Context["GITHUB_EVENT_NAME"], j.Context["GITHUB_REF"], j.Context["GITHUB_SHA"] = "pull_request", "refs/pull/1/merge", sha
	j.Context["GITHUB_BASE_REF"], j.Context["GITHUB_HEAD_REF"] = "main", "feature"
	j.Event = map[string]any{"number": 1, "pull_request": map[string]any{"number": 1,
		"base": map[string]any{"ref": "main"}, "head": map[string]any{"ref": "feature"}}}

	res := j.Uses(runnertest.Step{Action: "lint-python", Image: img,
		With: map[string]string{"working-directory": "api", "only-changed": "true"}})
	if res.ExitCode != 1 {
		t.Fatalf("want exit 1 (findings on the changed lines): %v", res)
	}
	found := annotated(res.Log)
	if len(found) == 0 {
		t.Fatalf("no annotations: %v", res)
	}
	for _, a := range found {
		file, line, _ := strings.Cut(a, ":")
		if n, _ := strconv.Atoi(line); file != "api/app/clean.py" || n < 3 {
			t.Errorf("annotation at %s is outside the pull request's lines (api/app/clean.py 3-7)", a)
		}
	}
	if n, _ := strconv.Atoi(res.Outputs["findings"]); n != len(found) {
		t.Errorf("findings output %q, %d annotations", res.Outputs["findings"], len(found))
	}
}

// The report and SARIF file that lint-python names in its outputs are read by the next step (an
// upload-artifact or upload-sarif step on the host). (Before the fix the
// default report was written to RUNNER_TEMP, which the container does not share, and the outputs were
// container paths.)
func TestRunner_LintPythonReportsReachTheNextStep(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	j := runnertest.NewJob(t)
	j.CopyDir(planted, "api")
	res := j.Uses(runnertest.Step{Action: "lint-python", Image: img,
		With: map[string]string{"working-directory": "api", "sarif-file": "lint.sarif"}})
	if res.ExitCode != 1 {
		t.Fatalf("want exit 1 (the planted findings): %v", res)
	}
	var rep lint.Report
	if err := json.Unmarshal(j.ReadOutputFile(res, "report"), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	tools := map[string]bool{}
	for _, f := range rep.Findings {
		tools[f.Tool] = true
	}
	for _, tool := range []string{"flake8", "black", "isort", "pylint", "mypy"} {
		if !tools[tool] {
			t.Errorf("no finding of %s in the image's run: %v", tool, tools)
		}
	}
	// The SARIF file as upload-sarif reads it: every finding of the report a result with the fields
	// code scanning requires (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning).
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name string `json:"name"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(j.ReadOutputFile(res, "sarif-file"), &sarif); err != nil || sarif.Version != "2.1.0" {
		t.Errorf("sarif-file: version %q, %v", sarif.Version, err)
	}
	want := map[string]int{} // tool file:line, per finding
	for _, f := range rep.Findings {
		want[fmt.Sprintf("%s %s:%d", f.Tool, f.File, max(f.Line, 1))]++
	}
	for _, run := range sarif.Runs {
		for _, r := range run.Results {
			if r.RuleID == "" || (r.Level != "error" && r.Level != "warning" && r.Level != "note") || len(r.Locations) != 1 {
				t.Errorf("%s: SARIF result %+v lacks a ruleId, a level or its one location", run.Tool.Driver.Name, r)
				continue
			}
			loc := r.Locations[0].PhysicalLocation
			key := fmt.Sprintf("%s %s:%d", run.Tool.Driver.Name, loc.ArtifactLocation.URI, loc.Region.StartLine)
			if want[key] == 0 {
				t.Errorf("SARIF result %s is no finding of the report", key)
				continue
			}
			want[key]--
		}
	}
	for key, n := range want {
		if n > 0 {
			t.Errorf("finding %s is not in the SARIF file", key)
		}
	}
}

// run-e2e's reports-dir and artifacts-dir outputs are what pull-request.yml's upload-artifact step
// uploads: the next step must find the JUnit report and the failed service's log there. (Before the
// fix both were container paths under /github/workspace.)
func TestRunner_RunE2EReportsAndArtifactsReachTheNextStep(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	j := runnertest.NewJob(t)
	junit := `<testsuite name="e2e" tests="2" failures="1"><testcase classname="e2e" name="ok"/>` +
		`<testcase classname="e2e" name="checkout"><failure message="boom">boom</failure></testcase></testsuite>`
	j.WriteFile("docker-compose.yml", `services:
  api:
    image: `+img+`
    entrypoint: ["sh", "-c"]
    command: ["echo api up; exec sleep 600"]
  e2e:
    image: `+img+`
    depends_on: [api]
    entrypoint: ["sh", "-c"]
    command:
      - |
        mkdir -p /reports
        cat >/reports/junit.xml <<'EOF'
        `+junit+`
        EOF
        echo e2e failed
        exit 1
`)
	res := j.Uses(runnertest.Step{Action: "run-e2e", Image: img, With: map[string]string{
		"test-service": "e2e", "reports": "/reports/*.xml", "project-name": dockertest.UniqueName(t, "e2e"), "wait-timeout": "1m",
	}})
	if res.ExitCode != 1 || res.Outputs["result"] != "failed" || res.Outputs["tests"] != "2" || res.Outputs["failures"] != "1" {
		t.Fatalf("want exit 1 with 2 tests, 1 failure: %v", res)
	}
	reports := j.HostPath(res.Outputs["reports-dir"])
	if b, err := os.ReadFile(filepath.Join(reports, "junit.xml")); err != nil || !strings.Contains(string(b), `name="checkout"`) {
		t.Errorf("reports-dir output %q: the next step finds no junit.xml in %s (%v)", res.Outputs["reports-dir"], reports, err)
	}
	artifacts := j.HostPath(res.Outputs["artifacts-dir"])
	if b, err := os.ReadFile(filepath.Join(artifacts, "e2e.log")); err != nil || !strings.Contains(string(b), "e2e failed") {
		t.Errorf("artifacts-dir output %q: the next step finds no e2e.log in %s (%v)", res.Outputs["artifacts-dir"], artifacts, err)
	}
}

// docker/login-action runs `docker login` on the host, which writes the runner user's
// ~/.docker/config.json: a container action cannot see it (HOME there is /github/home, the host's
// $RUNNER_TEMP/_github_home). build-push-images says so and how to pass the login; followed, the
// advice works: DOCKER_CONFIG under $RUNNER_TEMP/_github_home, which the runner translates.
func TestRunner_BuildPushImagesLogsInThroughDockerLoginActionsConfig(t *testing.T) {
	t.Parallel()
	_, err := exec.LookPath("docker")
	dockertest.Require(t, "the docker CLI (docker/login-action runs docker login)", err)
	img := runnertest.Image(t)
	reg := registrytest.Start(t, registrytest.Options{User: "bot", Password: "login-action-pass"})
	j := runnertest.NewJob(t)
	j.WriteFile("Dockerfile", "FROM scratch\nCOPY api.txt /\n")
	j.WriteFile("api.txt", "api\n")
	login := `echo "$PASSWORD" | docker login --username bot --password-stdin "$REGISTRY"`
	loginEnv := map[string]string{"PASSWORD": "login-action-pass", "REGISTRY": reg.Host}
	push := runnertest.Step{Action: "build-push-images", Image: img, Network: "host", With: map[string]string{
		"images": "api", "registries": reg.Host, "tags": "type=raw,value=v1",
	}}
	auth := authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "login-action-pass"})

	if l := j.Run(login, loginEnv); l.ExitCode != 0 {
		t.Fatalf("docker login: %v", l)
	}
	if _, err := os.Stat(filepath.Join(j.Home, ".docker", "config.json")); err != nil {
		t.Fatalf("docker login wrote no ~/.docker/config.json on the host: %v", err)
	}
	res := j.Uses(push)
	removeBuilt(t, res)
	if res.ExitCode != 2 || !strings.Contains(res.Log, `echo "DOCKER_CONFIG=$RUNNER_TEMP/_github_home/.docker" >> "$GITHUB_ENV"`) {
		t.Fatalf("with the login in the host's ~/.docker, want exit 2 saying how to pass it: %v", res)
	}
	if got := registrytest.Tags(t, reg.Host+"/api", auth); len(got) != 0 {
		t.Fatalf("pushed %v", got)
	}

	// The advice, as two steps of a workflow: GITHUB_ENV reaches the steps after the one that writes it.
	if s := j.Run(`echo "DOCKER_CONFIG=$RUNNER_TEMP/_github_home/.docker" >> "$GITHUB_ENV"`, nil); s.ExitCode != 0 {
		t.Fatalf("%v", s)
	}
	if l := j.Run(login, loginEnv); l.ExitCode != 0 {
		t.Fatalf("docker login: %v", l)
	}
	res = j.Uses(push)
	removeBuilt(t, res)
	if res.ExitCode != 0 {
		t.Fatalf("with DOCKER_CONFIG under $RUNNER_TEMP/_github_home: %v", res)
	}
	if got := registrytest.Tags(t, reg.Host+"/api", auth); got["v1"] == "" || got["v1"] != res.Outputs["digest"] {
		t.Errorf("registry holds %v, digest output %q", got, res.Outputs["digest"])
	}
	if strings.Contains(res.Log+res.Summary, "login-action-pass") {
		t.Errorf("the password reached the log or the summary:\n%s", res.Log)
	}
}

// removeBuilt removes the images a build-push-images step built on the engine.
func removeBuilt(t *testing.T, res *runnertest.Result) {
	var built []struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal([]byte(res.Outputs["images"]), &built)
	cli := dockertest.Client(t)
	for _, b := range built {
		_, _ = cli.ImageRemove(context.Background(), b.ID, image.RemoveOptions{Force: true, PruneChildren: true})
	}
}

const apiTaskDefinition = `{"family":"api","containerDefinitions":[{"name":"api","image":"acme/api:1.0.0","essential":true,"memory":512}]}`

// ecs-deploy against the fake ECS on the host's loopback (the step on the host's network: the one
// deviation from the runner), its credentials from the step's env as configure-aws-credentials exports them.
func TestRunner_ECSDeployDeploysThroughTheFakeECS(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	f := ecstest.New(t)
	f.AddService("api", apiTaskDefinition, 2)
	j := runnertest.NewJob(t)
	j.WriteFile("deploy/api.json", apiTaskDefinition)
	res := j.Uses(runnertest.Step{Action: "ecs-deploy", Image: img, Network: "host",
		With: map[string]string{"cluster": "main", "services": "api=deploy/api.json", "images": "api=acme/api:2.0.0", "poll-interval": "10ms",
			"verify": "false", "scheduled-tasks": "leave"}, // the fake speaks ECS only
		Env: map[string]string{"AWS_ENDPOINT_URL": f.URL, "AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
			"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", "AWS_EC2_METADATA_DISABLED": "true"}})
	if res.ExitCode != 0 || res.Outputs["status"] != "COMPLETED" || !strings.HasSuffix(res.Outputs["task-definition-arn"], "api:2") {
		t.Fatalf("%v", res)
	}
	if got := f.ServiceTaskDefinition("api"); !strings.HasSuffix(got, "api:2") {
		t.Errorf("the service runs %s", got)
	}
	if !strings.Contains(res.Summary, "| api | COMPLETED | api:2 | api:1 |") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

// flag-rollout against the fake Flagsmith on the host's loopback, with a gate command that runs
// through the image's sh.
func TestRunner_FlagRolloutStepsWithAGateCommand(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", false)
	f.AddFeature(p, "new-checkout", false)
	j := runnertest.NewJob(t)
	res := j.Uses(runnertest.Step{Action: "flag-rollout", Image: img, Network: "host", With: map[string]string{
		"api-url": f.URL, "api-key": f.Key, "project": "web", "environment": "Production", "feature": "new-checkout",
		"steps": "10,50", "gate-command": `echo "gate at $SLIPWAY_PERCENTAGE%"`,
	}})
	if res.ExitCode != 0 {
		t.Fatalf("%v", res)
	}
	st, err := rollout.ParseState(res.Outputs["state"])
	if err != nil || st.Describe() != "on for 50%, off for the rest" {
		t.Errorf("state output %q (%v)", res.Outputs["state"], err)
	}
	for _, want := range []string{"gate at 10%", "gate at 50%"} {
		if !strings.Contains(res.Log, want) {
			t.Errorf("log lacks the gate's %q:\n%s", want, res.Log)
		}
	}
}

// The root action (the Marketplace entry) dispatches by its command input to the action's binary.
func TestRunner_RootActionDispatchesByCommand(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	j := runnertest.NewJob(t)
	res := j.Uses(runnertest.Step{Action: "..", Image: img, With: map[string]string{"command": "ecs-deploy", "services": "api"}})
	if res.ExitCode != 2 || !strings.Contains(res.Log, `input "cluster" is required`) {
		t.Errorf("want exit 2 from ecs-deploy's own input check: %v", res)
	}
}

// In the action's container slipway runs as root beside the runner's Docker socket, and a gate command
// runs what its user wrote. It runs in the sandbox (internal/sandbox): it can neither ask the Docker
// API for the container's environment (the API key, the runner's tokens) nor read that of the
// action's first process, which the runner started with every input; the rollout still goes on.
func TestRunner_FlagRolloutGateCannotAskDockerForTheInputs(t *testing.T) {
	t.Parallel()
	img := runnertest.Image(t)
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", false)
	f.AddFeature(p, "new-checkout", false)
	j := runnertest.NewJob(t)
	gate := `id
python3 -c '
import http.client, json, socket
class Docker(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect("/var/run/docker.sock")
def get(path):
    c = Docker("docker")
    c.request("GET", path)
    return json.load(c.getresponse())
for c in get("/containers/json"):
    for kv in get("/containers/%s/json" % c["Id"])["Config"]["Env"] or []:
        if kv.startswith(("INPUT_", "ACTIONS_")):
            print("docker API:", kv.split("=")[0])
' 2>&1 | grep -e "docker API" -e "PermissionError"
tr '\0' '\n' </proc/1/environ | cut -d= -f1
true`
	res := j.Uses(runnertest.Step{Action: "flag-rollout", Image: img, Network: "host", With: map[string]string{
		"api-url": f.URL, "api-key": f.Key, "project": "web", "environment": "Production", "feature": "new-checkout",
		"percentage": "10", "gate-command": gate,
	}})
	if res.ExitCode != 0 {
		t.Fatalf("%v", res)
	}
	_, gateLog, _ := strings.Cut(res.Log, "::group::gate after")
	gateLog, _, _ = strings.Cut(gateLog, "::endgroup::")
	for _, leak := range []string{"INPUT_", "ACTIONS_", "docker API", f.Key} {
		if strings.Contains(gateLog, leak) {
			t.Errorf("the gate command got %q:\n%s", leak, res.Log)
		}
	}
	for _, want := range []string{"uid=65532(slipway-sandbox) gid=65532(slipway-sandbox) groups=65532(slipway-sandbox)", "PermissionError", "/proc/1/environ: Permission denied"} {
		if !strings.Contains(gateLog, want) {
			t.Errorf("the gate's log lacks %q:\n%s", want, res.Log)
		}
	}
}

package ecsdeploy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

const digest = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"

const apiTD = `{"family":"api","containerDefinitions":[{"name":"api","image":"acme/api:1.0.0","essential":true,"memory":512}]}`

// runner points the action at the fake ECS through the step's environment (AWS_ENDPOINT_URL, static
// keys), as a user's job would with configure-aws-credentials. The action builds its clients from the
// environment the Kit is given, so the tests run in parallel.
func runner(t *testing.T) (*ecstest.Fake, *actiontest.Runner) {
	t.Parallel()
	f := ecstest.New(t)
	f.AddService("api", apiTD, 2)
	r := stepOn(t, f)
	ws := t.TempDir()
	r.Env["GITHUB_WORKSPACE"] = ws
	if err := os.WriteFile(filepath.Join(ws, "api.json"), []byte(apiTD), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Input("cluster", "main").Input("services", "api=api.json").Input("poll-interval", "1ms")
	return f, r
}

// stepOn is a step whose job reaches the fake ECS with static keys.
func stepOn(t *testing.T, f *ecstest.Fake) *actiontest.Runner {
	r := actiontest.NewRunner(t)
	// The fake speaks ECS only: verify (IAM, Secrets Manager …) and scheduled tasks (EventBridge,
	// Scheduler) are tested against moto, in moto_test.go.
	r.Input("verify", "false").Input("scheduled-tasks", "leave")
	r.Env["AWS_ENDPOINT_URL"] = f.URL
	r.Env["AWS_REGION"] = "eu-west-2"
	r.Env["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE"
	r.Env["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
	r.Env["AWS_CONFIG_FILE"] = filepath.Join(t.TempDir(), "none")
	r.Env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(t.TempDir(), "none")
	return r
}

func TestECSDeploy_DeploysAndReports(t *testing.T) {
	f, r := runner(t)
	r.Input("images", `[{"name":"api","tags":["registry.example:5000/acme/api:2.0.0"],"digest":"`+digest+`"}]`)
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if res.Outputs["status"] != "COMPLETED" || !strings.HasSuffix(res.Outputs["task-definition-arn"], "api:2") || !strings.HasSuffix(res.Outputs["previous-task-definition-arn"], "api:1") {
		t.Errorf("outputs = %v", res.Outputs)
	}
	var results []ecs.ServiceResult
	if err := json.Unmarshal([]byte(res.Outputs["results"]), &results); err != nil || len(results) != 1 || results[0].DeploymentID == "" {
		t.Errorf("results = %s (%v)", res.Outputs["results"], err)
	}
	img := f.TaskDefinition(res.Outputs["task-definition-arn"])["containerDefinitions"].([]any)[0].(map[string]any)["image"]
	if img != "registry.example:5000/acme/api@"+digest {
		t.Errorf("image = %v, want the pushed digest", img)
	}
	if !strings.Contains(res.Summary, "| api | COMPLETED | api:2 | api:1 |") || !strings.Contains(res.Summary, "Task definition diff: api") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

func TestECSDeploy_FailedDeployExits1AfterRollback(t *testing.T) {
	f, r := runner(t)
	f.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 2})
	r.Input("images", "api=acme/api:2.0.0")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 || res.Outputs["status"] != "ROLLED_BACK" {
		t.Fatalf("exit %d, status %q; log:\n%s", res.Code, res.Outputs["status"], res.Stdout)
	}
	if got := f.ServiceTaskDefinition("api"); !strings.HasSuffix(got, "api:1") {
		t.Errorf("service runs %s, want api:1", got)
	}
}

// ECS events and stopped reasons are untrusted: a container that logs a workflow command in its
// stop reason cannot issue it.
func TestECSDeploy_EventsCannotIssueCommands(t *testing.T) {
	f, r := runner(t)
	f.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 2})
	f.ScriptMigration(ecstest.Migration{Ticks: 1, ExitCode: new(int), Log: []string{"::set-output name=status::COMPLETED", "::add-mask::x"}})
	r.Input("images", "api=acme/api:2.0.0").Input("migration-container", "api").Input("migration-command", "migrate")
	res := r.Run(t, context.Background(), Main)
	for _, c := range actiontest.Commands(res.Stdout) {
		if c.Name == "set-output" || (c.Name == "add-mask" && c.Message == "x") {
			t.Errorf("untrusted text issued %s:\n%s", c.Name, res.Stdout)
		}
	}
	if res.Outputs["status"] != "ROLLED_BACK" {
		t.Errorf("status = %q", res.Outputs["status"])
	}
}

func TestECSDeploy_BadInputTouchesNothing(t *testing.T) {
	f, r := runner(t)
	r.Input("services", "api=api.json\nworker=missing.json").Input("images", "frontend=acme/web:1")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if !strings.Contains(res.Stdout, "missing.json: no such file") {
		t.Errorf("log:\n%s", res.Stdout)
	}
	if calls, _ := f.Calls(); calls["RegisterTaskDefinition"]+calls["UpdateService"] != 0 {
		t.Errorf("calls = %v", calls)
	}
}

func TestECSDeploy_NoCredentialsIsBadInput(t *testing.T) {
	f, r := runner(t)
	delete(r.Env, "AWS_ACCESS_KEY_ID")
	delete(r.Env, "AWS_SECRET_ACCESS_KEY")
	r.Env["AWS_EC2_METADATA_DISABLED"] = "true"
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "no AWS credentials") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if _, n := f.Calls(); n != 0 {
		t.Errorf("%d calls reached ECS", n)
	}
}

func TestECSDeploy_RecordsAGitHubDeployment(t *testing.T) {
	f, r := runner(t)
	f.Script("api", ecstest.Scenario{Kind: ecstest.FailAt, Ticks: 1})
	var mu sync.Mutex
	var states []string
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(req.Body).Decode(&body)
		mu.Lock()
		defer mu.Unlock()
		if strings.HasSuffix(req.URL.Path, "/statuses") {
			states = append(states, body["state"].(string))
		} else {
			states = append(states, "created for "+body["environment"].(string))
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id": 7}`))
	}))
	defer gh.Close()
	r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"], r.Env["GITHUB_SHA"] = gh.URL+"/api/v3", "acme/web", "abc"
	r.Input("images", "api=acme/api:2").Input("github-token", "ghs_deploytoken987").Input("environment-url", "https://staging.example")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if got := strings.Join(states, ","); got != "created for main,in_progress,failure" {
		t.Errorf("GitHub saw %s", got)
	}
	if strings.Count(res.Stdout, "ghs_deploytoken987") != 1 { // only the add-mask command
		t.Errorf("the token reached the log:\n%s", res.Stdout)
	}
}

// mutating lists the calls of an ECS run that change something.
var mutating = []string{"RegisterTaskDefinition", "DeregisterTaskDefinition", "UpdateService", "RunTask", "StopTask", "CreateService", "DeleteService", "TagResource"}

// dry-run: true renders and diffs and changes nothing, as action.yml promises: no call that changes
// ECS, no GitHub Deployment; the log shows the plan (what it would register, run and update) and
// the diff, the summary says it was a dry run.
func TestECSDeploy_DryRunChangesNothingAndPrintsThePlan(t *testing.T) {
	f, r := runner(t)
	var github []string
	var mu sync.Mutex
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		github = append(github, req.Method+" "+req.URL.Path)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id": 7}`))
	}))
	defer gh.Close()
	r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"], r.Env["GITHUB_SHA"] = gh.URL+"/api/v3", "acme/web", "abc"
	r.Input("images", "api=acme/api:2.0.0").Input("dry-run", "true").Input("github-token", "ghs_deploytoken987").
		Input("migration-container", "api").Input("migration-command", "python\nmanage.py\nmigrate")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["status"] != ecs.StatusDryRun {
		t.Fatalf("exit %d, status %q; log:\n%s", res.Code, res.Outputs["status"], res.Stdout)
	}
	calls, _ := f.Calls()
	for _, op := range mutating {
		if calls[op] != 0 {
			t.Errorf("a dry run called %s %d times", op, calls[op])
		}
	}
	if calls["DescribeServices"] == 0 {
		t.Errorf("calls = %v: the dry run did not read the services it plans for", calls)
	}
	if len(github) != 0 {
		t.Errorf("a dry run reached GitHub: %v", github)
	}
	for _, want := range []string{
		"::group::task definition diff for api", `+      "Image": "acme/api:2.0.0",`,
		"dry run: would register a new revision of api for service api",
		"dry run: would run the migration first: python manage.py migrate in container api",
		"dry run: would update api from api:1 to the new revision, then wait for its deployment",
		"dry run: nothing was registered, run or updated",
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	if !strings.Contains(res.Summary, "ecs-deploy to main (dry run)") || !strings.Contains(res.Summary, `| api | DRY\_RUN |`) {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

// wait: false returns once UpdateService is issued, without following the deployment, and says
// so: here a deployment that would never be healthy is IN_PROGRESS, the run exits 0, and no call
// follows the UpdateService (a wait would poll DescribeServices until the 30 s timeout, then fail).
func TestECSDeploy_WaitFalseReturnsAfterUpdateServiceAndSaysSo(t *testing.T) {
	f, r := runner(t)
	f.Script("api", ecstest.Scenario{Kind: ecstest.NeverHealthy})
	r.Input("images", "api=acme/api:2.0.0").Input("wait", "false").Input("timeout", "30s").Input("keep-revisions", "1")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["status"] != ecs.StatusInProgress || res.Outputs["deployment-id"] == "" {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	reqs := f.Requests()
	if last := reqs[len(reqs)-1]; last.Op != "UpdateService" || len(f.Requests("UpdateService")) != 1 {
		t.Errorf("calls %v, want UpdateService last and once", ops(reqs))
	}
	if got := f.ServiceTaskDefinition("api"); got != res.Outputs["task-definition-arn"] {
		t.Errorf("the service's PRIMARY deployment runs %s, want %s", got, res.Outputs["task-definition-arn"])
	}
	if want := "wait: false: not waiting for api (deployment " + res.Outputs["deployment-id"] + "): IN_PROGRESS, whether it works is not known"; !strings.Contains(res.Stdout, want) {
		t.Errorf("log lacks %q:\n%s", want, res.Stdout)
	}
	if !strings.Contains(res.Summary, `| api | IN\_PROGRESS |`) {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

func ops(reqs []ecstest.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Op)
	}
	return out
}

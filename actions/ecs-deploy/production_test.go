package ecsdeploy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

// The runner's cancel (actiontest.Process.Cancel). The real binary (Guard's parent and its child)
// gets the signal while it waits on a deployment whose tasks crash; the rollback must be issued at
// once, before any diagnostics, and the run must end, with its outputs and summary written, within
// the cancel window.
func TestECSDeploy_SignalWhileWaitingRollsBackWithinTheRunnersWindow(t *testing.T) {
	t.Parallel()
	bin := dockertest.GoBinary(t, t.TempDir(), "../../cmd/slipway", "slipway")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			f, r := runner(t)
			previous := f.AddService("web", apiTD, 40) // threshold 20 failed tasks: failing, not yet judged failed
			f.Script("web", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 1000})
			r.Input("services", "web=api.json").Input("images", "api=acme/api:2.0.0").Input("poll-interval", "200ms")
			proc := r.Start(t, bin, []string{"ecs-deploy"})
			exited := make(chan int, 1)
			go func() {
				if code, ended := proc.Wait(5 * time.Minute); ended {
					exited <- code
				}
			}()
			select {
			case <-f.Reached("DescribeServices", 4): // Prepare's, then waiting
			case code := <-exited:
				t.Fatalf("exited %d before it waited on the deployment; log:\n%s", code, proc.Log())
			case <-time.After(2 * time.Minute):
				t.Fatalf("the deploy never waited; log:\n%s", proc.Log())
			}
			sent := time.Now()
			code, took, killed := proc.Cancel(t, sig)
			if killed {
				t.Fatalf("still running when the runner kills it after %s; log:\n%s", sig, proc.Log())
			}
			calls := f.Requests("UpdateService", "ListTasks", "DescribeTasks")
			if len(calls) < 2 || calls[1].Op != "UpdateService" || calls[1].Input["taskDefinition"] != previous {
				t.Fatalf("after the deploy's update: %+v, want the rollback to %s first; log:\n%s", calls, previous, proc.Log())
			}
			issued := calls[1].At.Sub(sent)
			t.Logf("%s: rollback issued %s after the signal, exited after %s", sig, issued.Round(time.Millisecond), took.Round(time.Millisecond))
			if issued > 2*time.Second {
				t.Errorf("rollback issued %s after %s", issued, sig)
			}
			if took > actionkit.CancelWindow+500*time.Millisecond {
				t.Errorf("ended %s after %s, want within the cancel window (%s)", took.Round(time.Millisecond), sig, actionkit.CancelWindow)
			}
			if code != 3 {
				t.Errorf("exit %d, want 3 (cancelled); log:\n%s", code, proc.Log())
			}
			outputs, err := actiontest.ParseFileCommands(read(t, r.OutputFile))
			if err != nil || outputs["status"] != ecs.StatusRolledBack {
				t.Errorf("outputs = %v (%v); log:\n%s", outputs, err, proc.Log())
			}
			if got := f.ServiceTaskDefinition("web"); got != previous {
				t.Errorf("web runs %s after the rollback", got)
			}
			if summary := read(t, r.SummaryFile); !strings.Contains(summary, `| web | ROLLED\_BACK |`) {
				t.Errorf("summary:\n%s", summary)
			}
		})
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestECSDeploy_MigrationThatNeverEndsIsStoppedAtMigrationTimeout(t *testing.T) {
	f, r := runner(t)
	f.ScriptMigration(ecstest.Migration{Forever: true, StopTicks: 3})
	r.Input("images", "api=acme/api:2.0.0").Input("migration-container", "api").Input("migration-command", "python\nmanage.py\nmigrate").
		Input("migration-timeout", "300ms").Input("poll-interval", "10ms")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1; log:\n%s", res.Code, res.Stdout)
	}
	stops := f.Requests("StopTask")
	if len(stops) != 1 || !strings.Contains(stops[0].Input["reason"].(string), "did not finish within migration-timeout 300ms") {
		t.Errorf("StopTask = %+v", stops)
	}
	if !strings.Contains(res.Summary, "Migration: exit 143") || !strings.Contains(res.Summary, "stopped, container api exited 143") {
		t.Errorf("summary:\n%s", res.Summary)
	}
	for _, task := range f.Tasks() {
		if task.LastStatus != "STOPPED" {
			t.Errorf("task %s left %s", task.ARN, task.LastStatus)
		}
	}
	if f.Updates() != 0 || res.Outputs["status"] != ecs.StatusNotStarted {
		t.Errorf("%d services updated, status %q", f.Updates(), res.Outputs["status"])
	}
}

// A run cancelled during its migration ends within the runner's window, outputs and summary
// written: it stops the task first, at once, and the wait for STOPPED (on ECS a stop takes the
// containers' stopTimeout, 30 s by default), deregistering each service's new revision (slow here)
// and the GitHub Deployment's status (GitHub slow too) share one window from the cancel.
func TestECSDeploy_CancelDuringTheMigrationEndsWithinTheWindow(t *testing.T) {
	f, r := runner(t)
	f.AddService("web", webTD, 1)
	if err := os.WriteFile(filepath.Join(r.Env["GITHUB_WORKSPACE"], "web.json"), []byte(webTD), 0o644); err != nil {
		t.Fatal(err)
	}
	f.ScriptMigration(ecstest.Migration{Forever: true, StopTicks: 1 << 30}) // never STOPPED
	f.Slow("DeregisterTaskDefinition", 2500*time.Millisecond)
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(req.Body).Decode(&body)
		if strings.HasSuffix(req.URL.Path, "/statuses") && body["state"] != "in_progress" {
			<-req.Context().Done() // GitHub does not take the final status in time
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id": 7}`))
	}))
	defer gh.Close()
	r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"], r.Env["GITHUB_SHA"] = gh.URL+"/api/v3", "acme/web", "abc"
	r.Input("services", "api=api.json\nweb=web.json").Input("images", "api=acme/api:2.0.0").Input("github-token", "ghs_deploytoken987").
		Input("migration-container", "api").Input("migration-command", "python\nmanage.py\nmigrate").Input("migration-timeout", "1h").
		Input("poll-interval", "50ms")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	running := f.Reached("DescribeTasks", 2) // the migration task is being waited on
	go func() {
		<-running
		cancelled <- time.Now()
		cancel()
	}()
	res := r.Run(t, ctx, Main)
	at := <-cancelled
	took := time.Since(at)
	t.Logf("ended %s after the cancel", took.Round(time.Millisecond))
	if took > actionkit.CancelWindow+500*time.Millisecond {
		t.Errorf("ended %s after the cancel, want within the cancel window (%s)", took.Round(time.Millisecond), actionkit.CancelWindow)
	}
	if res.Code != 3 {
		t.Errorf("exit %d, want 3 (cancelled); log:\n%s", res.Code, res.Stdout)
	}
	calls := f.Requests("StopTask", "DeregisterTaskDefinition")
	if len(calls) == 0 || calls[0].Op != "StopTask" || calls[0].At.Sub(at) > time.Second {
		t.Errorf("after the cancel: %+v, want StopTask first, at once", calls)
	}
	if res.Outputs["status"] != ecs.StatusNotStarted || res.Outputs["results"] == "" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	if !strings.Contains(res.Summary, "slipway ecs-deploy stopped the migration: the run was cancelled") || !strings.Contains(res.Summary, `| web | NOT\_STARTED |`) {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

const webTD = `{"family":"web","containerDefinitions":[{"name":"web","image":"acme/web:1.0.0","essential":true,"memory":512}]}`

func TestECSDeploy_UnreachableAWSExits3(t *testing.T) {
	_, r := runner(t)
	r.Env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"
	r.Input("images", "api=acme/api:2.0.0")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 3 || !strings.Contains(res.Stdout, "describe services in main") {
		t.Fatalf("exit %d, want 3; log:\n%s", res.Code, res.Stdout)
	}
}

func TestECSDeploy_RefusedRegistrationExits3(t *testing.T) {
	f, r := runner(t)
	f.Refuse("RegisterTaskDefinition", 0, "AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/ci/1 is not authorized to perform: ecs:RegisterTaskDefinition")
	r.Input("images", "api=acme/api:2.0.0")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 3 || !strings.Contains(res.Stdout, "register task definition api") {
		t.Fatalf("exit %d, want 3; log:\n%s", res.Code, res.Stdout)
	}
	if f.Updates() != 0 {
		t.Errorf("%d services updated", f.Updates())
	}
}

// A secret given in environment: masked for the runner, absent from every line slipway writes (the
// diff says only that DATABASE_URL changes), from the summary and from every output; the deploy's
// outputs are still written: ordinary values (the region inside every ARN, "start" inside the
// failure's reason) are not masked, which would refuse them.
func TestECSDeploy_ASecretInEnvironmentNeverReachesTheLogSummaryOrOutputs(t *testing.T) {
	const secret = "postgres://app:hunter2-Zq81@db.internal/app"
	f, r := runner(t)
	f.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 2})
	r.Input("images", "api=acme/api:2.0.0").
		Input("environment", "api.DATABASE_URL="+secret+"\napi.AWS_REGION=eu-west-2\napi.WORKERS=4\napi.SERVICE=api\napi.COMMAND=start")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 || res.Outputs["results"] == "" || res.Outputs["status"] != ecs.StatusRolledBack {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	masked := false
	for _, c := range actiontest.Commands(res.Stdout) {
		masked = masked || (c.Name == "add-mask" && c.Message == secret)
	}
	if !masked {
		t.Errorf("the value was not masked for the runner:\n%s", res.Stdout)
	}
	for where, text := range map[string]string{"log": actiontest.WithoutMaskCommands(res.Stdout), "summary": res.Summary, "outputs": strings.Join(mapValues(res.Outputs), "\n")} {
		if strings.Contains(text, "hunter2") {
			t.Errorf("the secret reached the %s:\n%s", where, text)
		}
	}
	if !strings.Contains(res.Stdout, `"Name": "DATABASE_URL"`) || !strings.Contains(res.Summary, "(value not shown)") {
		t.Errorf("the diff does not name the variable:\n%s", res.Stdout)
	}
}

func TestECSDeploy_AMalformedEnvironmentLineIsNotEchoed(t *testing.T) {
	_, r := runner(t)
	r.Input("environment", "DATABASE_URL=postgres://app:hunter2-Zq81@db.internal/app\npostgres://app:hunter2-Zq81@db.internal/app")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || strings.Contains(res.Stdout+res.Summary, "hunter2") || !strings.Contains(res.Stdout, `"DATABASE_URL" is not container.NAME`) ||
		!strings.Contains(res.Stdout, "line 2 is not container.NAME=value (the line is not shown: it may hold a secret)") {
		t.Errorf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func TestECSDeploy_SecretsRenderAsReferences(t *testing.T) {
	f, r := runner(t)
	arn := "arn:aws:secretsmanager:eu-west-2:123456789012:secret:example/database-url-AbCdEf"
	r.Input("images", "api=acme/api:2.0.0").Input("secrets", "api.DATABASE_URL="+arn)
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	c := f.TaskDefinition(res.Outputs["task-definition-arn"])["containerDefinitions"].([]any)[0].(map[string]any)
	if s, _ := json.Marshal(c["secrets"]); string(s) != `[{"name":"DATABASE_URL","valueFrom":"`+arn+`"}]` {
		t.Errorf("secrets = %s", s)
	}
	if !strings.Contains(res.Summary, arn) {
		t.Errorf("the diff does not show the reference:\n%s", res.Summary)
	}
}

func TestECSDeploy_TaskDefinitionFilesStayInTheWorkspace(t *testing.T) {
	f, r := runner(t)
	outside := filepath.Join(t.TempDir(), "api.json")
	if err := os.WriteFile(outside, []byte(apiTD), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Input("services", "api=../../etc/passwd\nweb").Input("task-definition", outside)
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, `input "services": \"../../etc/passwd\" is outside the workspace`) && !strings.Contains(res.Stdout, `input "services": "../../etc/passwd" is outside the workspace`) ||
		!strings.Contains(res.Stdout, `input "task-definition"`) {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if _, n := f.Calls(); n != 0 {
		t.Errorf("%d calls reached ECS", n)
	}
}

// deployed runs a deploy of api and returns its results output.
func deployed(t *testing.T, f *ecstest.Fake, r *actiontest.Runner) string {
	t.Helper()
	r.Input("images", "api=acme/api:2.0.0")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("deploy: exit %d; log:\n%s", res.Code, res.Stdout)
	}
	return res.Outputs["results"]
}

// rollbackRunner is a fresh step of the same job: the rollback job of release.yml.
func rollbackRunner(t *testing.T, f *ecstest.Fake, results string) *actiontest.Runner {
	r := stepOn(t, f)
	return r.Input("cluster", "main").Input("rollback", "true").Input("results", results).Input("poll-interval", "1ms")
}

func TestECSDeploy_RollbackModeMovesBackWhatTheDeploySet(t *testing.T) {
	f, r := runner(t)
	results := deployed(t, f, r)
	res := rollbackRunner(t, f, results).Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["status"] != ecs.StatusRolledBack || !strings.HasSuffix(res.Outputs["task-definition-arn"], "api:1") {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if got := f.ServiceTaskDefinition("api"); !strings.HasSuffix(got, "api:1") {
		t.Errorf("api runs %s", got)
	}
	if !strings.Contains(res.Summary, "ecs-deploy rollback in main") || !strings.Contains(res.Summary, `| api | ROLLED\_BACK | api:1 | api:2 |`) {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

func TestECSDeploy_RollbackModeSkipsAServiceANewerDeployMoved(t *testing.T) {
	f, r := runner(t)
	results := deployed(t, f, r)
	// A newer release moves api to api:3 meanwhile.
	client := awsecs.New(awsecs.Options{Region: "eu-west-2", BaseEndpoint: aws.String(f.URL), Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	td, err := ecs.ReadTaskDefinition(filepath.Join(r.Env["GITHUB_WORKSPACE"], "api.json"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := client.RegisterTaskDefinition(context.Background(), td)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.UpdateService(context.Background(), &awsecs.UpdateServiceInput{Cluster: aws.String("main"), Service: aws.String("api"), TaskDefinition: reg.TaskDefinition.TaskDefinitionArn}); err != nil {
		t.Fatal(err)
	}
	updates := f.Updates()
	res := rollbackRunner(t, f, results).Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["status"] != ecs.StatusSkipped || !strings.Contains(res.Stdout, "api: skipped: it runs api:3 now, not api:2 that the deploy set") {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if f.Updates() != updates || !strings.HasSuffix(f.ServiceTaskDefinition("api"), "api:3") {
		t.Errorf("the rollback moved a service a newer deploy owns: runs %s", f.ServiceTaskDefinition("api"))
	}
}

func TestECSDeploy_RollbackModeRefusesDeployInputs(t *testing.T) {
	f, r := runner(t)
	r.Input("rollback", "true").Input("images", "api=acme/api:2").Input("results", "not json").Input("timeout", "0s")
	res := r.Run(t, context.Background(), Main)
	for _, want := range []string{`input "images": is for a deploy`, `input "results": give results or services, not both`, `input "timeout": must be more than 0`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	if res.Code != 2 {
		t.Errorf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if _, n := f.Calls(); n != 0 {
		t.Errorf("%d calls reached ECS", n)
	}
}

package ecsdeploy

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/ecs/codedeploytest"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

// codeDeployRunner is runner with the api service on the CODE_DEPLOY controller and a fake
// CodeDeploy behind the same AWS_ENDPOINT_URL (calls go to it by their X-Amz-Target), as one
// endpoint serves both in the step's environment.
func codeDeployRunner(t *testing.T, autoRollback bool) (*ecstest.Fake, *codedeploytest.Fake, *actiontest.Runner) {
	f, r := runner(t)
	cd := codedeploytest.New(t)
	f.UseCodeDeploy("api", "api", 8080)
	cd.AddDeploymentGroup("AppECS-main-api", "DgpECS-main-api", "main", "api", f.ServiceTaskDefinition("api"), autoRollback)
	cd.OnDeployed(f.Deployed)
	proxy := func(to string) *httputil.ReverseProxy {
		u, _ := url.Parse(to)
		return httputil.NewSingleHostReverseProxy(u)
	}
	toECS, toCodeDeploy := proxy(f.URL), proxy(cd.URL)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.Header.Get("X-Amz-Target"), "CodeDeploy_20141006.") {
			toCodeDeploy.ServeHTTP(w, req)
			return
		}
		toECS.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.Env["AWS_ENDPOINT_URL"] = srv.URL
	return f, cd, r
}

func TestECSDeploy_CodeDeployServiceDeploysThroughCodeDeploy(t *testing.T) {
	f, cd, r := codeDeployRunner(t, true)
	r.Input("images", "api=acme/api:2.0.0")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["status"] != "COMPLETED" || !strings.HasPrefix(res.Outputs["deployment-id"], "d-") {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if got := f.ServiceTaskDefinition("api"); got != res.Outputs["task-definition-arn"] || f.Updates() != 0 {
		t.Errorf("service runs %s after %d UpdateService calls, want %s through CodeDeploy", got, f.Updates(), res.Outputs["task-definition-arn"])
	}
	if cd.Status(res.Outputs["deployment-id"]) != "Succeeded" {
		t.Errorf("CodeDeploy says %s", cd.Status(res.Outputs["deployment-id"]))
	}
}

func TestECSDeploy_CodeDeployFailureRolledBackExits1WithItsReason(t *testing.T) {
	f, cd, r := codeDeployRunner(t, true)
	cd.Script(codedeploytest.Scenario{Outcome: codedeploytest.Fail, Ticks: 1, FailAt: "BeforeAllowTraffic", Code: "HEALTH_CONSTRAINTS", Message: "hook said no"})
	r.Input("images", "api=acme/api:2.0.0").Input("codedeploy-hooks", "BeforeAllowTraffic=arn:aws:lambda:eu-west-2:123456789012:function:gate")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 || res.Outputs["status"] != "ROLLED_BACK" {
		t.Fatalf("exit %d, status %q; log:\n%s", res.Code, res.Outputs["status"], res.Stdout)
	}
	if !strings.Contains(res.Stdout, "HEALTH_CONSTRAINTS: hook said no") || !strings.Contains(res.Summary, "main:api BeforeAllowTraffic Failed") {
		t.Errorf("log:\n%s\nsummary:\n%s", res.Stdout, res.Summary)
	}
	if got := f.ServiceTaskDefinition("api"); !strings.HasSuffix(got, "api:1") {
		t.Errorf("service runs %s, want api:1", got)
	}
}

func TestECSDeploy_RunTaskAfterReportsItsExitCode(t *testing.T) {
	f, r := runner(t)
	f.ScriptMigration(ecstest.Migration{Ticks: 1, ExitCode: new(0)})
	r.Input("images", "api=acme/api:2.0.0").Input("run-task-container", "api").Input("run-task-command", "smoke\n--all").Input("run-task-when", "after")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["run-task-exit-code"] != "0" {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if !strings.Contains(res.Summary, "One-off task (run-task): exit 0") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

func TestECSDeploy_RunTaskBadCombinationsExit2AllAtOnce(t *testing.T) {
	f, r := runner(t)
	r.Input("services", "api=api.json\nworker=api.json").Input("run-task-container", "api").Input("run-task-when", "alone").
		Input("migration-container", "api").Input("migration-command", "migrate").Input("codedeploy-hooks", "Install=fn")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{`input "run-task-container": run-task-container and run-task-command go together`, `input "codedeploy-hooks": "Install=fn"`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	r.Input("run-task-command", "manage.py\nshell")
	res = r.Run(t, context.Background(), Main)
	for _, want := range []string{"alone runs one task of one service", "a migration has no deploy to go before"} {
		if res.Code != 2 || !strings.Contains(res.Stdout, want) {
			t.Errorf("exit %d, log lacks %q:\n%s", res.Code, want, res.Stdout)
		}
	}
	if _, n := f.Calls(); n != 0 {
		t.Errorf("%d calls reached ECS", n)
	}
}

package ecs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/codedeploytest"
	"github.com/slipway-actions/slipway/internal/failure"
)

// withCodeDeploy makes the api service a CODE_DEPLOY service behind a load balancer on api:8080,
// with the ECS console's application and deployment group, and gives the deployer a CodeDeploy
// client on a fake CodeDeploy that moves the fake ECS service when a deployment succeeds.
func (s *setup) withCodeDeploy(t *testing.T, autoRollback bool) *codedeploytest.Fake {
	t.Helper()
	cd := codedeploytest.New(t)
	s.fake.UseCodeDeploy("api", "api", 8080)
	cd.AddDeploymentGroup("AppECS-main-api", "DgpECS-main-api", "main", "api", s.previous["api"], autoRollback)
	cd.OnDeployed(s.fake.Deployed)
	s.dep.CodeDeploy = codedeploy.New(codedeploy.Options{Region: "eu-west-2", BaseEndpoint: aws.String(cd.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secretExample", "")})
	return cd
}

// appSpec is the AppSpec content of the n-th CreateDeployment, decoded.
func appSpec(t *testing.T, cd *codedeploytest.Fake, n int) map[string]any {
	t.Helper()
	creates := cd.Requests("CreateDeployment")
	if len(creates) <= n {
		t.Fatalf("%d CreateDeployment requests", len(creates))
	}
	content := creates[n].Input["revision"].(map[string]any)["appSpecContent"].(map[string]any)["content"].(string)
	var spec map[string]any
	if err := json.Unmarshal([]byte(content), &spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

func TestDeploy_CodeDeployServiceDeploysThroughCodeDeploy(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cd := s.withCodeDeploy(t, true)
	cd.Script(codedeploytest.Scenario{Outcome: codedeploytest.Succeed, Ticks: 3})
	o := s.options()
	o.CodeDeploy.Hooks = []ecs.Hook{{Event: "AfterAllowTestTraffic", Function: "arn:aws:lambda:eu-west-2:123456789012:function:smoke"}}
	rep, err := s.deploy(t, o)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Services[0]
	if r.Status != ecs.StatusCompleted || !strings.HasPrefix(r.DeploymentID, "d-") || cd.Status(r.DeploymentID) != "Succeeded" {
		t.Errorf("result = %+v, CodeDeploy says %s", r, cd.Status(r.DeploymentID))
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != r.TaskDefinitionARN {
		t.Errorf("service runs %s, want %s", got, r.TaskDefinitionARN)
	}
	if n := s.fake.Updates(); n != 0 {
		t.Errorf("%d UpdateService calls for a CODE_DEPLOY service", n)
	}
	creates := cd.Requests("CreateDeployment")
	if len(creates) != 1 || creates[0].Input["applicationName"] != "AppECS-main-api" || creates[0].Input["deploymentGroupName"] != "DgpECS-main-api" {
		t.Fatalf("CreateDeployment requests = %+v", creates)
	}
	spec := appSpec(t, cd, 0)
	props := spec["Resources"].([]any)[0].(map[string]any)["TargetService"].(map[string]any)["Properties"].(map[string]any)
	lb := props["LoadBalancerInfo"].(map[string]any)
	vpc := props["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
	if props["TaskDefinition"] != r.TaskDefinitionARN || lb["ContainerName"] != "api" || lb["ContainerPort"] != 8080.0 ||
		vpc["Subnets"].([]any)[0] != "subnet-1" || vpc["AssignPublicIp"] != "DISABLED" {
		t.Errorf("AppSpec properties = %v", props)
	}
	if hooks := spec["Hooks"].([]any); len(hooks) != 1 || hooks[0].(map[string]any)["AfterAllowTestTraffic"] == nil {
		t.Errorf("AppSpec hooks = %v", hooks)
	}
	// It waited to the true end: the last GetDeployment saw Succeeded, after three polls.
	if gets := cd.Requests("GetDeployment"); len(gets) != 3 {
		t.Errorf("%d GetDeployment polls, want 3 (the scripted deployment takes 3)", len(gets))
	}
}

func TestDeploy_CodeDeployFailureRolledBackByCodeDeployIsAFailedDeploy(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cd := s.withCodeDeploy(t, true)
	cd.Script(codedeploytest.Scenario{Outcome: codedeploytest.Fail, Ticks: 2, FailAt: "AfterAllowTestTraffic", Code: "HEALTH_CONSTRAINTS", Message: "The smoke test hook failed."})
	rep, err := s.deploy(t, s.options())
	if failure.Of(err) != failure.Checked {
		t.Fatalf("err = %v (class %v), want a failed deploy", err, failure.Of(err))
	}
	r := rep.Services[0]
	if r.Status != ecs.StatusRolledBack || !strings.Contains(r.Reason, "Failed: HEALTH_CONSTRAINTS: The smoke test hook failed.") || !strings.Contains(r.Reason, "CodeDeploy rolled back") {
		t.Errorf("result = %+v", r)
	}
	if !strings.Contains(err.Error(), "HEALTH_CONSTRAINTS") {
		t.Errorf("err = %v, want the reason", err)
	}
	if !slices.Contains(r.LifecycleEvents, "main:api AfterAllowTestTraffic Failed: ScriptFailed: The smoke test hook failed.") {
		t.Errorf("lifecycle events = %q", r.LifecycleEvents)
	}
	if !strings.Contains(s.events.String(), "AfterAllowTestTraffic Failed") {
		t.Errorf("the lifecycle events were not printed: %s", s.events)
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != s.previous["api"] {
		t.Errorf("service runs %s after the rollback, want %s", got, s.previous["api"])
	}
}

func TestDeploy_CodeDeployFailureWithoutAutoRollbackSaysSo(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cd := s.withCodeDeploy(t, false)
	cd.Script(codedeploytest.Scenario{Outcome: codedeploytest.Fail, Ticks: 1})
	rep, err := s.deploy(t, s.options())
	if failure.Of(err) != failure.Checked {
		t.Fatalf("err = %v, want a failed deploy", err)
	}
	if r := rep.Services[0]; r.Status != ecs.StatusFailed || !strings.Contains(r.Reason, "automatic rollback is off") {
		t.Errorf("result = %+v", r)
	}
}

func TestDeploy_CancelStopsTheCodeDeployDeploymentWithRollback(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cd := s.withCodeDeploy(t, true)
	cd.Script(codedeploytest.Scenario{Outcome: codedeploytest.Forever})
	o := s.options()
	rep, err := s.dep.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	go func() {
		<-cd.Reached("GetDeployment", 3)
		cancelled = time.Now()
		cancel()
	}()
	err = s.dep.Deploy(ctx, o, rep)
	if err == nil || failure.Of(err) == failure.Checked || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("err = %v, want a cancelled run, not a failed deploy", err)
	}
	stops := cd.Requests("StopDeployment")
	if len(stops) != 1 || stops[0].Input["autoRollbackEnabled"] != true || stops[0].Input["deploymentId"] != rep.Services[0].DeploymentID {
		t.Fatalf("StopDeployment requests = %+v", stops)
	}
	if took := stops[0].At.Sub(cancelled); took > 2*time.Second { // within the cancel window
		t.Errorf("StopDeployment came %s after the cancel", took)
	}
	if r := rep.Services[0]; r.Status != ecs.StatusRollbackStarted || cd.Status(r.DeploymentID) != "Stopped" {
		t.Errorf("result = %+v, CodeDeploy says %s", r, cd.Status(r.DeploymentID))
	}
}

func TestPrepare_CodeDeployServiceWithoutItsDeploymentGroupIsBadInput(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cd := s.withCodeDeploy(t, true)
	o := s.options()
	o.CodeDeploy.DeploymentGroup = "nope"
	_, err := s.dep.Prepare(context.Background(), o)
	if failure.Of(err) != failure.Input || !strings.Contains(err.Error(), `input "codedeploy-deployment-group"`) {
		t.Fatalf("err = %v, want bad input naming codedeploy-deployment-group", err)
	}
	if len(cd.Requests("CreateDeployment")) != 0 || len(s.fake.Requests("RegisterTaskDefinition")) != 0 {
		t.Errorf("something was touched")
	}
}

// A CodeDeploy deployment not ended within the timeout is stopped with rollback, and is a failed
// deploy (exit 1), not a cancel.
func TestDeploy_CodeDeployDeploymentPastItsTimeoutIsStoppedWithRollback(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cd := s.withCodeDeploy(t, true)
	cd.Script(codedeploytest.Scenario{Outcome: codedeploytest.Forever})
	o := s.options()
	o.Timeout, o.PollInterval = 100*time.Millisecond, 5*time.Millisecond
	rep, err := s.deploy(t, o)
	if failure.Of(err) != failure.Checked || !strings.Contains(err.Error(), "not complete after 100ms") {
		t.Fatalf("err = %v, want a failed deploy naming the timeout", err)
	}
	if stops := cd.Requests("StopDeployment"); len(stops) != 1 || stops[0].Input["autoRollbackEnabled"] != true {
		t.Errorf("StopDeployment requests = %+v", stops)
	}
	if r := rep.Services[0]; r.Status != ecs.StatusRollbackStarted {
		t.Errorf("result = %+v", r)
	}
}

// A dry run reads the deployment group and says the service goes through CodeDeploy; it creates
// nothing.
func TestDeploy_DryRunSaysACodeDeployServiceGoesThroughCodeDeploy(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cd := s.withCodeDeploy(t, true)
	var log strings.Builder
	s.dep.Infof = func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) }
	o := s.options()
	o.DryRun = true
	if _, err := s.deploy(t, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "through CodeDeploy (application AppECS-main-api, deployment group DgpECS-main-api)") {
		t.Errorf("log:\n%s", log.String())
	}
	if len(cd.Requests("GetDeploymentGroup")) != 1 || len(cd.Requests("CreateDeployment")) != 0 || len(s.fake.Requests("RegisterTaskDefinition")) != 0 {
		t.Errorf("calls: CodeDeploy %v, ECS registrations %d", cd.Requests(), len(s.fake.Requests("RegisterTaskDefinition")))
	}
}

// A later rollback (rollback: true) of a CODE_DEPLOY service goes back by a CodeDeploy deployment
// of the previous revision, never by UpdateService, which ECS refuses for it.
func TestRollBack_CodeDeployServiceGoesBackThroughCodeDeploy(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	cd := s.withCodeDeploy(t, true)
	rep, err := s.deploy(t, s.options())
	if err != nil {
		t.Fatal(err)
	}
	deployed := rep.Services[0].TaskDefinitionARN
	back, err := s.dep.RollBack(context.Background(), s.rollbackOptions([]ecs.Target{{Service: "api", Expected: deployed}}))
	if err != nil {
		t.Fatal(err)
	}
	if r := back.Services[0]; r.Status != ecs.StatusRolledBack || r.TaskDefinitionARN != s.previous["api"] {
		t.Errorf("result = %+v", r)
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != s.previous["api"] || s.fake.Updates() != 0 {
		t.Errorf("service runs %s after %d UpdateService calls, want %s", got, s.fake.Updates(), s.previous["api"])
	}
	props := appSpec(t, cd, 1)["Resources"].([]any)[0].(map[string]any)["TargetService"].(map[string]any)["Properties"].(map[string]any)
	if props["TaskDefinition"] != s.previous["api"] {
		t.Errorf("the rollback's AppSpec deploys %v", props["TaskDefinition"])
	}
}

package ecs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"

	"github.com/slipway-actions/slipway/internal/failure"
)

func (s *setup) rollbackOptions(targets []ecs.Target) ecs.RollbackOptions {
	return ecs.RollbackOptions{Cluster: "main", Targets: targets,
		Waiting: ecs.Waiting{Wait: true, Timeout: 10 * time.Second, PollInterval: time.Millisecond}}
}

// results deploys api and worker and returns the deploy's results output, as ecs-deploy prints it.
func (s *setup) results(t *testing.T) string {
	t.Helper()
	o := s.options("api", "worker")
	o.Images["worker"] = "acme/worker:2.0.0"
	rep, err := s.deploy(t, o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep.Services)
	return string(b)
}

// newerDeploy moves a service to a new revision as another release would, through the SDK.
func (s *setup) newerDeploy(t *testing.T, service, family string) string {
	t.Helper()
	ctx := context.Background()
	td, err := ecs.ReadTaskDefinition(s.write(service+"-newer.json", workerTD))
	if err != nil {
		t.Fatal(err)
	}
	td.Family = aws.String(family)
	reg, err := s.client.RegisterTaskDefinition(ctx, td)
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	if _, err := s.client.UpdateService(ctx, &awsecs.UpdateServiceInput{Cluster: aws.String("main"), Service: aws.String(service), TaskDefinition: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	return arn
}

func TestRollBack_SkipsAServiceANewerDeployMoved(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	targets, err := ecs.ParseResults(s.results(t))
	if err != nil {
		t.Fatal(err)
	}
	deployed := s.fake.ServiceTaskDefinition("api")
	newer := s.newerDeploy(t, "worker", "worker")
	updates := s.fake.Updates()

	rep, err := s.dep.RollBack(context.Background(), s.rollbackOptions(targets))
	if err != nil {
		t.Fatalf("err = %v", err)
	}
	api, worker := rep.Services[0], rep.Services[1]
	if api.Status != ecs.StatusRolledBack || api.TaskDefinitionARN != s.previous["api"] || api.PreviousTaskDefinitionARN != deployed || api.DeploymentID == "" {
		t.Errorf("api = %+v", api)
	}
	if worker.Status != ecs.StatusSkipped || !strings.Contains(worker.Reason, "it runs worker:3 now, not worker:2 that the deploy set") {
		t.Errorf("worker = %+v", worker)
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != s.previous["api"] {
		t.Errorf("api runs %s, want %s", got, s.previous["api"])
	}
	if got := s.fake.ServiceTaskDefinition("worker"); got != newer {
		t.Errorf("worker runs %s, want the newer deploy's %s: a rollback must not undo it", got, newer)
	}
	if n := s.fake.Updates() - updates; n != 1 {
		t.Errorf("%d UpdateService calls, want 1 (api only)", n)
	}
}

// The revision before is found through the pages of ListTaskDefinitions: one a page here, so it
// is on the second.
func TestRollBack_WithoutResultsGoesToTheActiveRevisionBefore(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.SetPageSize(1)
	s.results(t)                   // api:2
	s.newerDeploy(t, "api", "api") // api:3, which the next line says the deploy set
	targets, err := ecs.ParseExpected([]string{"api=api:3"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.dep.RollBack(context.Background(), s.rollbackOptions(targets))
	if err != nil || rep.Services[0].Status != ecs.StatusRolledBack || !strings.HasSuffix(rep.Services[0].TaskDefinitionARN, "api:2") {
		t.Fatalf("err = %v, api = %+v", err, rep.Services[0])
	}
	// Once back on api:2, the same rollback finds nothing to do.
	rep, err = s.dep.RollBack(context.Background(), s.rollbackOptions(targets))
	if err != nil || rep.Services[0].Status != ecs.StatusSkipped {
		t.Errorf("second rollback: err = %v, api = %+v", err, rep.Services[0])
	}
}

func TestRollBack_AFailedRollbackIsAFailure(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	targets, err := ecs.ParseResults(s.results(t))
	if err != nil {
		t.Fatal(err)
	}
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 2})
	rep, err := s.dep.RollBack(context.Background(), s.rollbackOptions(targets))
	if failure.Of(err) != failure.Checked {
		t.Fatalf("err = %v, want a FailedError", err)
	}
	if api := rep.Services[0]; api.Status != ecs.StatusRollbackFailed || !strings.Contains(api.Reason, "circuit breaker") || len(api.StoppedTasks) == 0 {
		t.Errorf("api = %+v", api)
	}
	if rep.Services[1].Status != ecs.StatusRolledBack {
		t.Errorf("worker = %+v", rep.Services[1])
	}
}

func TestRollBack_BadTargetsTouchNothing(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.results(t)
	updates := s.fake.Updates()
	_, err := s.dep.RollBack(context.Background(), s.rollbackOptions([]ecs.Target{
		{Service: "api", Expected: "api:2", Previous: "api:9"},
		{Service: "nope", Expected: "nope:2", Previous: "nope:1"},
		{Service: "worker", Expected: "worker:2", Previous: "worker:1"},
	}))
	if !isInputError(err) {
		t.Fatalf("err = %v, want bad input", err)
	}
	for _, want := range []string{"the revision to go back to, api:9, does not exist", `service "nope" is not an active service`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if n := s.fake.Updates() - updates; n != 0 {
		t.Errorf("%d services moved", n)
	}
	// A service on its first revision has nothing to go back to.
	fresh := newSetup(t)
	_, err = fresh.dep.RollBack(context.Background(), fresh.rollbackOptions([]ecs.Target{{Service: "api", Expected: "api:1"}}))
	if !isInputError(err) || !strings.Contains(err.Error(), "no ACTIVE revision of api before api:1 to go back to") {
		t.Errorf("err = %v", err)
	}
}

func TestRollBack_DryRunSaysWhatWouldMove(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	targets, _ := ecs.ParseResults(s.results(t))
	o := s.rollbackOptions(targets)
	o.DryRun = true
	updates := s.fake.Updates()
	rep, err := s.dep.RollBack(context.Background(), o)
	if err != nil || rep.Services[0].Status != ecs.StatusDryRun || rep.Services[0].Reason != "would go back from api:2 to api:1" {
		t.Fatalf("err = %v, api = %+v", err, rep.Services[0])
	}
	if n := s.fake.Updates() - updates; n != 0 {
		t.Errorf("a dry run moved %d services", n)
	}
}

package ecs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"

	"github.com/slipway-actions/slipway/internal/failure"
)

const apiTD = `{"family":"api","tags":[{"key":"team","value":"web"}],"networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512",
 "containerDefinitions":[{"name":"api","image":"acme/api:1.0.0","essential":true,
   "environment":[{"name":"MODE","value":"prod"}],
   "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/api","awslogs-region":"eu-west-2","awslogs-stream-prefix":"ecs"}}}]}`

const workerTD = `{"family":"worker","containerDefinitions":[{"name":"worker","image":"acme/worker:1.0.0","essential":true}]}`

// describedAPI is the same definition as `aws ecs describe-task-definition` prints it.
const describedAPI = `{"taskDefinition": {"taskDefinitionArn":"arn:aws:ecs:eu-west-2:123456789012:task-definition/api:7","revision":7,"status":"ACTIVE",
 "registeredAt":"2026-01-01T00:00:00Z","registeredBy":"arn:aws:iam::123456789012:user/ci","compatibilities":["EC2","FARGATE"],
 "requiresAttributes":[{"name":"com.amazonaws.ecs.capability.logging-driver.awslogs"}],
 "family":"api","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"cpu":"256","memory":"512",
 "containerDefinitions":[{"name":"api","image":"acme/api:1.0.0","essential":true,
   "environment":[{"name":"MODE","value":"prod"}],
   "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/api","awslogs-region":"eu-west-2","awslogs-stream-prefix":"ecs"}}}]},
 "tags":[{"key":"team","value":"web"}]}`

type setup struct {
	fake     *ecstest.Fake
	client   *awsecs.Client
	dep      *ecs.Deployer
	log      *bytes.Buffer
	events   *bytes.Buffer
	dir      string
	previous map[string]string
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	f := ecstest.New(t)
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secretExample", "")
	client := awsecs.New(awsecs.Options{Region: "eu-west-2", BaseEndpoint: aws.String(f.URL), Credentials: creds})
	logs := cloudwatchlogs.New(cloudwatchlogs.Options{Region: "eu-west-2", BaseEndpoint: aws.String(f.URL), Credentials: creds})
	s := &setup{fake: f, client: client, log: &bytes.Buffer{}, events: &bytes.Buffer{}, dir: t.TempDir(), previous: map[string]string{}}
	s.previous["api"] = f.AddService("api", apiTD, 2)
	s.previous["worker"] = f.AddService("worker", workerTD, 1)
	s.dep = &ecs.Deployer{ECS: client, Logs: logs, Untrusted: s.events,
		Infof: func(format string, args ...any) { t.Logf(format, args...) }}
	s.write("api.json", describedAPI)
	s.write("worker.json", workerTD)
	return s
}

func (s *setup) write(name, content string) string {
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		panic(err)
	}
	return p
}

func (s *setup) options(services ...string) ecs.Options {
	o := ecs.Options{Cluster: "main", Images: map[string]string{"api": "acme/api:2.0.0"}, RollBackOnFailure: true,
		Waiting: ecs.Waiting{Wait: true, Timeout: 10 * time.Second, PollInterval: time.Millisecond}}
	if len(services) == 0 {
		services = []string{"api"}
	}
	for _, n := range services {
		o.Services = append(o.Services, ecs.Service{Name: n, File: filepath.Join(s.dir, n+".json")})
	}
	return o
}

func (s *setup) deploy(t *testing.T, o ecs.Options) (*ecs.Report, error) {
	t.Helper()
	rep, err := s.dep.Prepare(context.Background(), o)
	if err != nil {
		return rep, err
	}
	return rep, s.dep.Deploy(context.Background(), o, rep)
}

func TestDeploy_CompletesAndRendersTheNewImage(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	o := s.options()
	o.Env = map[string]map[string]string{"api": {"RELEASE": "2.0.0"}}
	rep, err := s.deploy(t, o)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Services[0]
	if r.Status != ecs.StatusCompleted || r.PreviousTaskDefinitionARN != s.previous["api"] || !strings.HasSuffix(r.TaskDefinitionARN, "task-definition/api:2") || r.DeploymentID == "" {
		t.Errorf("result = %+v", r)
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != r.TaskDefinitionARN {
		t.Errorf("service runs %s, want %s", got, r.TaskDefinitionARN)
	}
	body := s.fake.TaskDefinition(r.TaskDefinitionARN)
	c := body["containerDefinitions"].([]any)[0].(map[string]any)
	if c["image"] != "acme/api:2.0.0" || len(c["environment"].([]any)) != 2 {
		t.Errorf("registered container = %v", c)
	}
	if _, ok := body["revision"]; ok {
		t.Errorf("read-only fields were sent: %v", body)
	}
	for _, want := range []string{`-      "Image": "acme/api:1.0.0",`, `+      "Image": "acme/api:2.0.0",`, `"Name": "RELEASE"`} {
		if !strings.Contains(r.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, r.Diff)
		}
	}
	if strings.Contains(r.Diff, "Tags") {
		t.Errorf("unchanged tags show in the diff:\n%s", r.Diff)
	}
	if !strings.Contains(s.events.String(), "has reached a steady state") {
		t.Errorf("events were not streamed:\n%s", s.events)
	}
}

func TestDeploy_FailsWhenNewTasksCrashLoop(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 2})
	rep, err := s.deploy(t, s.options())
	r := rep.Services[0]
	if err == nil || r.Status != ecs.StatusRolledBack || !strings.Contains(r.Reason, "circuit breaker") {
		t.Fatalf("err = %v, result = %+v", err, r)
	}
	if len(r.StoppedTasks) == 0 || !strings.Contains(r.StoppedTasks[0], "Essential container in task exited; api exited 1") {
		t.Errorf("stopped tasks = %q", r.StoppedTasks)
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != s.previous["api"] {
		t.Errorf("service runs %s after the rollback, want %s", got, s.previous["api"])
	}
}

func TestDeploy_FailsWhenFailedTasksPassTheThreshold(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 1000})
	o := s.options()
	o.RollBackOnFailure = false
	rep, err := s.deploy(t, o)
	if r := rep.Services[0]; err == nil || r.Status != ecs.StatusFailed || r.Reason != "3 tasks failed to start (threshold 3)" {
		t.Fatalf("err = %v, result = %+v", err, r)
	}
}

// The timeout ends a deployment that never gets healthy; the rollback's deployment gets the same
// timeout on its own clock, long enough here for its one poll on a busy machine.
func TestDeploy_TimesOutWhenTasksNeverGetHealthy(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.NeverHealthy})
	o := s.options()
	o.Timeout, o.PollInterval = 2*time.Second, 10*time.Millisecond
	rep, err := s.deploy(t, o)
	r := rep.Services[0]
	if err == nil || r.Status != ecs.StatusRolledBack || !strings.Contains(r.Reason, "not complete after 2s (0/2 tasks running, 2 pending, 0 failed, rollout IN_PROGRESS)") {
		t.Fatalf("err = %v, result = %+v", err, r)
	}
	if got := s.fake.ServiceTaskDefinition("api"); got != s.previous["api"] {
		t.Errorf("service runs %s, want the previous %s", got, s.previous["api"])
	}
}

func TestDeploy_SupersededDeploymentFailsWithoutRollback(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.Superseded, Ticks: 2})
	rep, err := s.deploy(t, s.options())
	r := rep.Services[0]
	if err == nil || r.Status != ecs.StatusFailed || !strings.Contains(r.Reason, "superseded by deployment") || !strings.Contains(r.Reason, "not rolled back") {
		t.Fatalf("err = %v, result = %+v", err, r)
	}
	if n := s.fake.Updates(); n != 1 {
		t.Errorf("%d UpdateService calls, want 1 (no rollback over another deploy)", n)
	}
}

func TestDeploy_VanishedDeploymentFails(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.Vanish, Ticks: 1})
	o := s.options()
	o.RollBackOnFailure = false
	rep, err := s.deploy(t, o)
	if r := rep.Services[0]; err == nil || !strings.Contains(r.Reason, "is gone from the service") {
		t.Fatalf("err = %v, result = %+v", err, r)
	}
}

func TestDeploy_WithoutRolloutStateCompletesWhenAlone(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.NoRolloutState, Ticks: 3})
	rep, err := s.deploy(t, s.options())
	if err != nil || rep.Services[0].Status != ecs.StatusCompleted {
		t.Fatalf("err = %v, result = %+v", err, rep.Services[0])
	}
}

func TestDeploy_FailedMigrationLeavesServicesUntouched(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.ScriptMigration(ecstest.Migration{Ticks: 2, ExitCode: ptr(1), Log: []string{"applying 0042_orders", "relation \"orders\" already exists"}})
	o := s.options()
	o.Migration = &ecs.Migration{Container: "api", Command: []string{"python", "manage.py", "migrate"}, Timeout: time.Minute}
	rep, err := s.deploy(t, o)
	if err == nil || !strings.Contains(err.Error(), "migration failed, no service was updated: container api exited 1") {
		t.Fatalf("err = %v", err)
	}
	if n := s.fake.Updates(); n != 0 {
		t.Errorf("%d services updated", n)
	}
	if rep.Migration.ExitCode == nil || *rep.Migration.ExitCode != 1 || len(rep.Migration.Log) != 2 || !strings.Contains(s.events.String(), `migration: relation "orders" already exists`) {
		t.Errorf("migration = %+v, events:\n%s", rep.Migration, s.events)
	}
	if revs := s.fake.ActiveRevisions("api"); len(revs) != 1 || revs[0] != 1 {
		t.Errorf("active api revisions = %v, want only the one in use", revs)
	}
}

func TestDeploy_MigrationRunsFirstThenServices(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.ScriptMigration(ecstest.Migration{Ticks: 2, ExitCode: ptr(0)})
	o := s.options()
	o.Migration = &ecs.Migration{Container: "api", Command: []string{"migrate"}, Timeout: time.Minute}
	rep, err := s.deploy(t, o)
	if err != nil || rep.Migration.ExitCode == nil || *rep.Migration.ExitCode != 0 || rep.Services[0].Status != ecs.StatusCompleted {
		t.Fatalf("err = %v, report = %+v", err, rep)
	}
}

func TestDeploy_OneOfTwoServicesFailsAndBothRollBack(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Script("worker", ecstest.Scenario{Kind: ecstest.FailAt, Ticks: 2})
	o := s.options("api", "worker")
	o.Images["worker"] = "acme/worker:2.0.0"
	rep, err := s.deploy(t, o)
	if err == nil {
		t.Fatal("deploy succeeded")
	}
	api, worker := rep.Services[0], rep.Services[1]
	if api.Status != ecs.StatusRolledBack || api.Reason != "rolled back because another service failed" {
		t.Errorf("api = %+v", api)
	}
	if worker.Status != ecs.StatusRolledBack || !strings.Contains(worker.Reason, "health checks") {
		t.Errorf("worker = %+v", worker)
	}
	for name, arn := range s.previous {
		if got := s.fake.ServiceTaskDefinition(name); got != arn {
			t.Errorf("%s runs %s, want %s", name, got, arn)
		}
	}
}

func TestDeploy_PruneKeepsNRevisions(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	o := s.options()
	o.KeepRevisions = 2
	for i := 0; i < 4; i++ {
		if _, err := s.deploy(t, o); err != nil {
			t.Fatal(err)
		}
	}
	// Revisions 1..5 exist; 5 runs, 4 is the previous, and at most 2 are kept: 4 and 5.
	if revs := s.fake.ActiveRevisions("api"); len(revs) != 2 || revs[0] != 4 || revs[1] != 5 {
		t.Errorf("active revisions = %v, want [4 5]", revs)
	}
}

func TestPrepare_ListsEveryProblemAndRegistersNothing(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.write("broken.json", `{"family": "api", "containerDefinitions": [`)
	s.write("typo.json", `{"family": "api", "containerDefinition": []}`)
	o := s.options()
	o.Services = []ecs.Service{{Name: "api", File: filepath.Join(s.dir, "broken.json")}, {Name: "worker", File: filepath.Join(s.dir, "missing.json")},
		{Name: "api", File: filepath.Join(s.dir, "typo.json")}}
	_, err := s.dep.Prepare(context.Background(), o)
	if !isInputError(err) {
		t.Fatalf("err = %v, want bad input", err)
	}
	for _, want := range []string{"broken.json is not JSON", "missing.json: no such file", `unknown field "containerDefinition"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	o = s.options("api", "nope")
	s.write("nope.json", workerTD)
	o.Images["frontend"] = "acme/web:1"
	_, err = s.dep.Prepare(context.Background(), o)
	if !isInputError(err) || !strings.Contains(err.Error(), `container "frontend" is in no task definition (containers: api, worker)`) {
		t.Errorf("err = %v", err)
	}
	delete(o.Images, "frontend")
	_, err = s.dep.Prepare(context.Background(), o)
	if !isInputError(err) || !strings.Contains(err.Error(), `service "nope" is not an active service of cluster main`) {
		t.Errorf("err = %v", err)
	}
	o.Cluster = "staging"
	_, err = s.dep.Prepare(context.Background(), o)
	if !isInputError(err) || !strings.Contains(err.Error(), `cluster "staging" not found`) {
		t.Errorf("err = %v", err)
	}
	if calls, _ := s.fake.Calls(); calls["RegisterTaskDefinition"] != 0 {
		t.Errorf("registered %d task definitions", calls["RegisterTaskDefinition"])
	}
}

func TestDeploy_RefusedRegistrationLeavesNothingBehindAndIsNotAFailedDeploy(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.Refuse("RegisterTaskDefinition", 1, "AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/ci is not authorized to perform: ecs:RegisterTaskDefinition")
	o := s.options("api", "worker")
	rep, err := s.deploy(t, o)
	if err == nil || failure.Of(err) == failure.Checked || isInputError(err) || !strings.Contains(err.Error(), "service worker: register task definition worker") || !strings.Contains(err.Error(), "iam:PassRole") {
		t.Fatalf("err = %v, want an infrastructure error naming the refusal", err)
	}
	if revs := s.fake.ActiveRevisions("api"); len(revs) != 1 || revs[0] != 1 {
		t.Errorf("active api revisions = %v: the revision registered before the refusal was left behind", revs)
	}
	if n := s.fake.Updates(); n != 0 || rep.Services[0].Status != ecs.StatusNotStarted {
		t.Errorf("%d updates, api = %+v", n, rep.Services[0])
	}
}

func ptr[T any](v T) *T { return &v }

func isInputError(err error) bool { return failure.Of(err) == failure.Input }

// DescribeServices takes at most 10 services (the fake refuses more, as ECS does): a deploy of 12
// reads them in batches of at most 10, before the deploy and while it waits, and every one completes.
func TestDeploy_MoreThanTenServicesAreDescribedInBatchesOfTen(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	names := []string{"api"}
	for i := 1; i <= 11; i++ {
		name := fmt.Sprintf("w%02d", i)
		s.fake.AddService(name, workerTD, 1)
		s.write(name+".json", workerTD)
		names = append(names, name)
	}
	s.fake.Script("w11", ecstest.Scenario{Kind: ecstest.Healthy, Ticks: 3}) // one service outlasts the others' first batch
	rep, err := s.deploy(t, s.options(names...))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Services {
		if r.Status != ecs.StatusCompleted || s.fake.ServiceTaskDefinition(r.Service) != r.TaskDefinitionARN {
			t.Errorf("%s: %+v", r.Service, r)
		}
	}
	described := map[string]bool{}
	for _, r := range s.fake.Requests("DescribeServices") {
		batch := r.Input["services"].([]any)
		if len(batch) > 10 {
			t.Errorf("DescribeServices of %d services", len(batch))
		}
		for _, n := range batch {
			described[n.(string)] = true
		}
	}
	if len(described) != 12 {
		t.Errorf("described %d services, want all 12", len(described))
	}
}

// The revisions to prune are listed through every page of ListTaskDefinitions: with one revision
// a page, as with the API's default of 100 when a family has more.
func TestDeploy_PruneReadsEveryPageOfRevisions(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.SetPageSize(1)
	o := s.options()
	o.KeepRevisions = 2
	for range 4 {
		if _, err := s.deploy(t, o); err != nil {
			t.Fatal(err)
		}
	}
	if revs := s.fake.ActiveRevisions("api"); len(revs) != 2 || revs[0] != 4 || revs[1] != 5 {
		t.Errorf("active revisions = %v, want [4 5]", revs)
	}
	if pages := len(s.fake.Requests("ListTaskDefinitions")); pages < 8 {
		t.Errorf("%d ListTaskDefinitions calls, want a page per revision", pages)
	}
}

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
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"

	"github.com/slipway-actions/slipway/internal/failure"
)

// noneRunning fails the test when a task started by the migration is still RUNNING, as ListTasks
// (RUNNING by default) and the fake's own record say.
func (s *setup) noneRunning(t *testing.T) {
	t.Helper()
	out, err := s.client.ListTasks(context.Background(), &awsecs.ListTasksInput{Cluster: aws.String("main"), StartedBy: aws.String("slipway-migration")})
	if err != nil || len(out.TaskArns) != 0 {
		t.Errorf("ListTasks RUNNING: %v %v", out.TaskArns, err)
	}
	for _, task := range s.fake.Tasks() {
		if task.StartedBy == "slipway-migration" && task.LastStatus != "STOPPED" {
			t.Errorf("migration task %s is %s", task.ARN, task.LastStatus)
		}
	}
}

func TestDeploy_MigrationThatNeverEndsIsStoppedAtItsTimeout(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.ScriptMigration(ecstest.Migration{Forever: true, StopTicks: 3})
	o := s.options()
	o.Migration = &ecs.Migration{Container: "api", Command: []string{"migrate"}, Timeout: 100 * time.Millisecond}
	o.PollInterval = 5 * time.Millisecond
	rep, err := s.deploy(t, o)
	if failure.Of(err) != failure.Checked || !strings.Contains(err.Error(), "did not finish within migration-timeout 100ms; stopped, container api exited 143") {
		t.Fatalf("err = %v, want a failed migration naming its timeout and exit code", err)
	}
	stops := s.fake.Requests("StopTask")
	if len(stops) != 1 || !strings.Contains(stops[0].Input["reason"].(string), "did not finish within migration-timeout 100ms") || stops[0].Input["task"] != rep.Migration.TaskARN {
		t.Errorf("StopTask requests = %+v", stops)
	}
	// It waited until STOPPED: the exit code is only there then, and DescribeTasks came after StopTask.
	if m := rep.Migration; m.Status != "STOPPED" || m.ExitCode == nil || *m.ExitCode != 143 {
		t.Errorf("migration = %+v", m)
	}
	if after := s.fake.Requests("StopTask", "DescribeTasks"); after[len(after)-1].Op != "DescribeTasks" {
		t.Errorf("no DescribeTasks after StopTask: %+v", after)
	}
	s.noneRunning(t)
	if n := s.fake.Updates(); n != 0 {
		t.Errorf("%d services updated after a failed migration", n)
	}
	if revs := s.fake.ActiveRevisions("api"); len(revs) != 1 || revs[0] != 1 {
		t.Errorf("active api revisions = %v, want only the one in use", revs)
	}
}

func TestDeploy_CancelledMigrationIsStoppedAndIsNotAFailedDeploy(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.fake.ScriptMigration(ecstest.Migration{Forever: true})
	o := s.options()
	o.Migration = &ecs.Migration{Container: "api", Command: []string{"migrate"}, Timeout: time.Hour}
	rep, err := s.dep.Prepare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.cancelOnCall("DescribeTasks", 3, func(ctx context.Context) error { return s.dep.Deploy(ctx, o, rep) })
	if err == nil || failure.Of(err) == failure.Checked || !strings.Contains(err.Error(), "the run was cancelled") {
		t.Fatalf("err = %v, want a cancelled run (not a failed deploy)", err)
	}
	if stops := s.fake.Requests("StopTask"); len(stops) != 1 || !strings.Contains(stops[0].Input["reason"].(string), "the run was cancelled") {
		t.Errorf("StopTask requests = %+v", stops)
	}
	s.noneRunning(t)
}

// The migration is a RunTask of the first service's new revision with the migration command as its
// container's override, on the service's network and launch type, as migrate.go promises: without
// the override ECS would run the image's own command, and without the network an awsvpc task is
// refused (the fake answers both as ECS does).
func TestDeploy_MigrationRunTaskCarriesTheCommandTheServicesNetworkAndLaunchType(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	o := s.options()
	o.Migration = &ecs.Migration{Container: "api", Command: []string{"python", "manage.py", "migrate", "--noinput"}, Timeout: time.Minute}
	rep, err := s.deploy(t, o)
	if err != nil {
		t.Fatal(err)
	}
	runs := s.fake.RunTasks()
	if len(runs) != 1 {
		t.Fatalf("RunTask requests = %+v, want 1", runs)
	}
	run := runs[0]
	if run.TaskDefinition != rep.Services[0].TaskDefinitionARN || run.TaskARN != rep.Migration.TaskARN || run.StartedBy != "slipway-migration" {
		t.Errorf("RunTask of %s (task %s), want the new revision %s", run.TaskDefinition, run.TaskARN, rep.Services[0].TaskDefinitionARN)
	}
	if len(run.Commands) != 1 || !slices.Equal(run.Commands["api"], o.Migration.Command) {
		t.Errorf("container overrides = %v, want api's command %q", run.Commands, o.Migration.Command)
	}
	svc, err := s.client.DescribeServices(context.Background(), &awsecs.DescribeServicesInput{Cluster: aws.String("main"), Services: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	want := svc.Services[0].NetworkConfiguration.AwsvpcConfiguration
	vpc, _ := run.Network["awsvpcConfiguration"].(map[string]any)
	if got, _ := json.Marshal(vpc); vpc == nil || fmt.Sprint(vpc["subnets"]) != fmt.Sprint(want.Subnets) || fmt.Sprint(vpc["securityGroups"]) != fmt.Sprint(want.SecurityGroups) ||
		vpc["assignPublicIp"] != string(want.AssignPublicIp) {
		t.Errorf("network = %s, want the service's %+v", got, *want)
	}
	if run.LaunchType != string(svc.Services[0].LaunchType) || run.LaunchType != "FARGATE" || len(run.CapacityProviders) != 0 {
		t.Errorf("launch type %q, capacity providers %v; want the service's FARGATE", run.LaunchType, run.CapacityProviders)
	}
}

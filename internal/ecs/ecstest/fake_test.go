package ecstest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

const td = `{"family":"api","containerDefinitions":[{"name":"api","image":"acme/api:1","essential":true,"memory":512}]}`

// start is a fake with the service api on its first revision, and the SDK's client of it.
func start(t *testing.T) (*ecstest.Fake, *ecs.Client, string) {
	t.Helper()
	t.Parallel()
	f := ecstest.New(t)
	arn := f.AddService("api", td, 1)
	return f, ecs.New(ecs.Options{Region: "eu-west-2", BaseEndpoint: aws.String(f.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secretExample", "")}), arn
}

func describe(t *testing.T, c *ecs.Client, arn string) types.Task {
	t.Helper()
	out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("main"), Tasks: []string{arn}})
	if err != nil || len(out.Tasks) != 1 {
		t.Fatalf("DescribeTasks: %v (%+v)", err, out)
	}
	return out.Tasks[0]
}

// StopTask, as the API reference says: desiredStatus STOPPED at once, the task in the answer;
// lastStatus through STOPPING/DEPROVISIONING to STOPPED; the reason as stoppedReason, stopCode
// UserInitiated; exit codes only once STOPPED. Every answer is read through the SDK's model.
func TestFake_StopTaskStopsARunningTaskAsTheAPIReferenceSays(t *testing.T) {
	f, c, arn := start(t)
	ctx := context.Background()
	f.ScriptMigration(ecstest.Migration{Forever: true, StopTicks: 3, StopExitCode: aws.Int(137)})
	run, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("main"), TaskDefinition: aws.String(arn), StartedBy: aws.String("test")})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v", err)
	}
	task := aws.ToString(run.Tasks[0].TaskArn)
	for range 5 {
		if got := describe(t, c, task); aws.ToString(got.LastStatus) != "RUNNING" || got.StoppedAt != nil {
			t.Fatalf("a task that runs for ever: %+v", got)
		}
	}
	stop, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("main"), Task: aws.String(task), Reason: aws.String("took too long")})
	if err != nil {
		t.Fatal(err)
	}
	if s := stop.Task; aws.ToString(s.DesiredStatus) != "STOPPED" || aws.ToString(s.LastStatus) != "RUNNING" || s.StopCode != types.TaskStopCodeUserInitiated || s.StoppingAt == nil {
		t.Errorf("StopTask answered %+v", s)
	}
	var seen []string
	for {
		got := describe(t, c, task)
		seen = append(seen, aws.ToString(got.LastStatus))
		if aws.ToString(got.LastStatus) == "STOPPED" {
			if aws.ToString(got.StoppedReason) != "took too long" || got.StoppedAt == nil || got.Containers[0].ExitCode == nil || *got.Containers[0].ExitCode != 137 {
				t.Errorf("stopped task = %+v", got)
			}
			break
		}
		if got.Containers[0].ExitCode != nil {
			t.Errorf("exit code before STOPPED: %+v", got)
		}
		if len(seen) > 10 {
			t.Fatalf("never STOPPED: %v", seen)
		}
	}
	if want := []string{"STOPPING", "DEPROVISIONING", "STOPPED"}; !slices.Equal(seen, want) {
		t.Errorf("last statuses %v, want %v", seen, want)
	}
	// Stopping a stopped task changes nothing.
	again, err := c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("main"), Task: aws.String(task), Reason: aws.String("again")})
	if err != nil || aws.ToString(again.Task.StoppedReason) != "took too long" {
		t.Errorf("StopTask of a stopped task: %v %+v", err, again)
	}
	// An unknown task is an InvalidParameterException.
	_, err = c.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String("main"), Task: aws.String("nope")})
	if !errors.As(err, new(*types.InvalidParameterException)) {
		t.Errorf("StopTask of an unknown task: %v", err)
	}
}

// ListTasks filters as the API reference says: RUNNING unless desiredStatus says otherwise,
// startedBy, family; DescribeTasks answers an unknown task with a MISSING failure.
func TestFake_ListTasksDefaultsToRunning(t *testing.T) {
	f, c, arn := start(t)
	ctx := context.Background()
	f.ScriptMigration(ecstest.Migration{Forever: true})
	f.ScriptMigration(ecstest.Migration{Ticks: 1, ExitCode: aws.Int(0)})
	var tasks []string
	for _, by := range []string{"one", "two"} {
		run, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("main"), TaskDefinition: aws.String(arn), StartedBy: aws.String(by)})
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, aws.ToString(run.Tasks[0].TaskArn))
		describe(t, c, tasks[len(tasks)-1])
	}
	list := func(in *ecs.ListTasksInput) []string {
		in.Cluster = aws.String("main")
		out, err := c.ListTasks(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out.TaskArns
	}
	if got := list(&ecs.ListTasksInput{}); !slices.Equal(got, tasks[:1]) {
		t.Errorf("ListTasks = %v, want the running one %v", got, tasks[:1])
	}
	if got := list(&ecs.ListTasksInput{DesiredStatus: types.DesiredStatusStopped, StartedBy: aws.String("two"), Family: aws.String("api")}); !slices.Equal(got, tasks[1:]) {
		t.Errorf("ListTasks STOPPED by two = %v, want %v", got, tasks[1:])
	}
	out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("main"), Tasks: []string{"nope"}})
	if err != nil || len(out.Tasks) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Errorf("DescribeTasks of an unknown task: %v %+v", err, out)
	}
}

// A refused call is an AWS error the SDK reads by its type; the fake records what it answered.
func TestFake_RefuseAnswersTheErrorTheSDKReads(t *testing.T) {
	f, c, _ := start(t)
	f.Refuse("RegisterTaskDefinition", 0, "ClientException", "Too many concurrent attempts to create a new revision of the specified family.")
	_, err := c.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{Family: aws.String("api"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("api"), Image: aws.String("acme/api:1")}}})
	var ce *types.ClientException
	if !errors.As(err, &ce) || aws.ToString(ce.Message) == "" {
		t.Errorf("err = %v, want a ClientException", err)
	}
	if r := f.Requests("RegisterTaskDefinition"); len(r) != 1 || r[0].Input["family"] != "api" {
		t.Errorf("requests = %+v", r)
	}
}

// A slowed call answers late; a caller that gives up first changes nothing.
func TestFake_SlowAnswersLateAndAnAbandonedCallChangesNothing(t *testing.T) {
	f, c, arn := start(t)
	f.Slow("DeregisterTaskDefinition", 300*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	if revs := f.ActiveRevisions("api"); len(revs) != 1 || len(f.Requests("DeregisterTaskDefinition")) != 1 {
		t.Errorf("an abandoned call deregistered: active %v", revs)
	}
	start := time.Now()
	out, err := c.DeregisterTaskDefinition(context.Background(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if took := time.Since(start); err != nil || took < 300*time.Millisecond || out.TaskDefinition.Status != types.TaskDefinitionStatusInactive {
		t.Errorf("after %s: %v %+v", took, err, out)
	}
}

// Tags, as API_RegisterTaskDefinition.html, API_DescribeTaskDefinition.html and API_Tag.html say:
// answered beside the task definition, by DescribeTaskDefinition only with include TAGS; a key
// given twice, a reserved aws: prefix or a character outside the allowed set is refused.
func TestFake_TaskDefinitionTagsAsTheAPIReferenceSays(t *testing.T) {
	_, c, _ := start(t)
	ctx := context.Background()
	register := func(tags ...types.Tag) (*ecs.RegisterTaskDefinitionOutput, error) {
		return c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("api"), Tags: tags,
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("api"), Image: aws.String("acme/api:1")}}})
	}
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	out, err := register(tag("team", "web"), tag("slipway:version", "1.3.0-rc.1+build.5"))
	if err != nil || len(out.Tags) != 2 || aws.ToString(out.Tags[1].Value) != "1.3.0-rc.1+build.5" {
		t.Fatalf("RegisterTaskDefinition: %v %+v", err, out)
	}
	arn := out.TaskDefinition.TaskDefinitionArn
	plain, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: arn})
	if err != nil || len(plain.Tags) != 0 {
		t.Errorf("DescribeTaskDefinition without include: %v, tags %+v", err, plain.Tags)
	}
	with, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: arn, Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil || len(with.Tags) != 2 || aws.ToString(with.Tags[0].Key) != "team" {
		t.Errorf("DescribeTaskDefinition with include TAGS: %v, tags %+v", err, with.Tags)
	}
	for name, tags := range map[string][]types.Tag{
		"a key twice":      {tag("slipway:version", "1.0.0"), tag("slipway:version", "1.2.0")},
		"the aws: prefix":  {tag("AWS:version", "1")},
		"a character":      {tag("version", "1.2.0;rm")},
		"an empty key":     {tag("", "1")},
		"a key too long":   {tag(strings.Repeat("k", 129), "1")},
		"a value too long": {tag("k", strings.Repeat("v", 257))},
	} {
		var ipe *types.InvalidParameterException
		if _, err := register(tags...); !errors.As(err, &ipe) {
			t.Errorf("%s: err = %v, want InvalidParameterException", name, err)
		}
	}
}

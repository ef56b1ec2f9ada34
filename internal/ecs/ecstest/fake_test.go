package ecstest_test

import (
	"context"
	"errors"
	"fmt"
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

// A slowed call answers late; a caller that gives up first changes nothing. The caller gives up
// once the fake has its request (Reached), not after a guessed time.
func TestFake_SlowAnswersLateAndAnAbandonedCallChangesNothing(t *testing.T) {
	f, c, arn := start(t)
	f.Slow("DeregisterTaskDefinition", time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-f.Reached("DeregisterTaskDefinition", 1)
		cancel()
	}()
	if _, err := c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the caller's cancel", err)
	}
	if revs := f.ActiveRevisions("api"); len(revs) != 1 || len(f.Requests("DeregisterTaskDefinition")) != 1 {
		t.Errorf("an abandoned call deregistered: active %v", revs)
	}
	const late = time.Second
	f.Slow("DeregisterTaskDefinition", late)
	start := time.Now()
	out, err := c.DeregisterTaskDefinition(context.Background(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if took := time.Since(start); err != nil || took < late || out.TaskDefinition.Status != types.TaskDefinitionStatusInactive {
		t.Errorf("after %s: %v %+v", took, err, out)
	}
}

// RunTask, as API_RunTask.html says: the container overrides and the network configuration are
// taken as given, recorded and answered in the task's overrides; an awsvpc task definition without
// a network configuration (or with no subnets), a network configuration for another networkMode,
// an override of a container the task definition lacks, and a launch type beside a capacity
// provider strategy are each an InvalidParameterException, and start nothing.
func TestFake_RunTaskTakesOverridesAndNetworkAsTheAPIReferenceSays(t *testing.T) {
	f, c, bridge := start(t)
	ctx := context.Background()
	reg, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("job"), NetworkMode: types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		ContainerDefinitions:    []types.ContainerDefinition{{Name: aws.String("job"), Image: aws.String("acme/job:1")}}})
	if err != nil {
		t.Fatal(err)
	}
	awsvpc := reg.TaskDefinition.TaskDefinitionArn
	network := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-9"}, SecurityGroups: []string{"sg-1"}}}
	override := &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String("job"), Command: []string{"python", "manage.py", "migrate"}}}}
	run, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("main"), TaskDefinition: awsvpc, LaunchType: types.LaunchTypeFargate,
		PlatformVersion: aws.String("1.4.0"), NetworkConfiguration: network, Overrides: override, StartedBy: aws.String("test")})
	if err != nil || len(run.Tasks) != 1 {
		t.Fatalf("RunTask: %v %+v", err, run)
	}
	got := describe(t, c, aws.ToString(run.Tasks[0].TaskArn))
	if o := got.Overrides; o == nil || len(o.ContainerOverrides) != 1 || !slices.Equal(o.ContainerOverrides[0].Command, []string{"python", "manage.py", "migrate"}) || got.LaunchType != types.LaunchTypeFargate {
		t.Errorf("DescribeTasks answered overrides %+v, launch type %q", got.Overrides, got.LaunchType)
	}
	rec := f.RunTasks()
	if len(rec) != 1 || rec[0].TaskARN != aws.ToString(run.Tasks[0].TaskArn) || rec[0].LaunchType != "FARGATE" || rec[0].PlatformVersion != "1.4.0" ||
		!slices.Equal(rec[0].Commands["job"], []string{"python", "manage.py", "migrate"}) || rec[0].Refused != "" {
		t.Errorf("recorded %+v", rec)
	}
	if vpc, _ := rec[0].Network["awsvpcConfiguration"].(map[string]any); vpc == nil || vpc["subnets"].([]any)[0] != "subnet-9" {
		t.Errorf("recorded network %v", rec[0].Network)
	}
	// A task without overrides answers empty ones, as ECS does.
	plain, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("main"), TaskDefinition: aws.String(bridge)})
	if err != nil || plain.Tasks[0].Overrides == nil || len(plain.Tasks[0].Overrides.ContainerOverrides) != 0 {
		t.Errorf("RunTask without overrides: %v %+v", err, plain)
	}
	tasks := len(f.Tasks())
	for name, tc := range map[string]struct {
		in   ecs.RunTaskInput
		want string
	}{
		"awsvpc without a network": {ecs.RunTaskInput{TaskDefinition: awsvpc, LaunchType: types.LaunchTypeFargate}, "Network Configuration must be provided when networkMode 'awsvpc' is specified."},
		"awsvpc without subnets":   {ecs.RunTaskInput{TaskDefinition: awsvpc, NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{}}}}, "subnets can not be empty."},
		"a network for bridge":     {ecs.RunTaskInput{TaskDefinition: aws.String(bridge), NetworkConfiguration: network}, "Network Configuration is not valid for the given networkMode of this task definition."},
		"an unknown container":     {ecs.RunTaskInput{TaskDefinition: aws.String(bridge), Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String("nope"), Command: []string{"x"}}}}}, "Override for container named nope is not a container in the TaskDefinition."},
		"launch type and capacity": {ecs.RunTaskInput{TaskDefinition: awsvpc, NetworkConfiguration: network, LaunchType: types.LaunchTypeFargate, CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT")}}}, "Specifying both a launch type and capacity provider strategy is not supported."},
	} {
		in := tc.in
		in.Cluster = aws.String("main")
		_, err := c.RunTask(ctx, &in)
		var ipe *types.InvalidParameterException
		if !errors.As(err, &ipe) || aws.ToString(ipe.Message) != tc.want {
			t.Errorf("%s: err = %v, want InvalidParameterException %q", name, err, tc.want)
		}
	}
	if n := len(f.Tasks()); n != tasks {
		t.Errorf("refused RunTasks started %d tasks", n-tasks)
	}
	if rec := f.RunTasks(); len(rec) != 7 || rec[6].Refused == "" || rec[6].TaskARN != "" {
		t.Errorf("refused requests not recorded as refused: %+v", rec)
	}
}

// DescribeServices takes at most 10 services and DescribeTasks at most 100 tasks
// (API_DescribeServices.html, API_DescribeTasks.html).
func TestFake_DescribeCallsRefuseMoreThanTheirLimit(t *testing.T) {
	_, c, _ := start(t)
	ctx := context.Background()
	names := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("s%d", i))
		}
		return out
	}
	var ipe *types.InvalidParameterException
	if out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("main"), Services: names(10)}); err != nil || len(out.Failures) != 10 {
		t.Errorf("10 services: %v", err)
	}
	if _, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("main"), Services: names(11)}); !errors.As(err, &ipe) {
		t.Errorf("11 services: err = %v, want InvalidParameterException", err)
	}
	if out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("main"), Tasks: names(100)}); err != nil || len(out.Failures) != 100 {
		t.Errorf("100 tasks: %v", err)
	}
	if _, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("main"), Tasks: names(101)}); !errors.As(err, &ipe) {
		t.Errorf("101 tasks: err = %v, want InvalidParameterException", err)
	}
}

// The list calls answer in pages with a nextToken, read here by the SDK's own paginators: with a
// page size of 2, every item comes once, over as many pages as it takes; maxResults outside 1 to
// 100 and a token the fake never gave are refused.
func TestFake_ListCallsPaginate(t *testing.T) {
	f, c, arn := start(t)
	ctx := context.Background()
	f.SetPageSize(2)
	for i := range 4 {
		f.AddService(fmt.Sprintf("svc%d", i), td, 1)
	}
	for range 5 {
		if _, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("main"), TaskDefinition: aws.String(arn)}); err != nil {
			t.Fatal(err)
		}
	}
	var services, tasks, defs []string
	pages := map[string]int{}
	sp := ecs.NewListServicesPaginator(c, &ecs.ListServicesInput{Cluster: aws.String("main")})
	for sp.HasMorePages() {
		out, err := sp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		services, pages["services"] = append(services, out.ServiceArns...), pages["services"]+1
	}
	tp := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String("main")})
	for tp.HasMorePages() {
		out, err := tp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tasks, pages["tasks"] = append(tasks, out.TaskArns...), pages["tasks"]+1
	}
	dp := ecs.NewListTaskDefinitionsPaginator(c, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("api")})
	for dp.HasMorePages() {
		out, err := dp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defs, pages["task definitions"] = append(defs, out.TaskDefinitionArns...), pages["task definitions"]+1
	}
	for what, tc := range map[string]struct {
		got         []string
		items, page int
	}{"services": {services, 5, 3}, "tasks": {tasks, 5, 3}, "task definitions": {defs, 5, 3}} {
		slices.Sort(tc.got)
		if len(slices.Compact(tc.got)) != tc.items || pages[what] != tc.page {
			t.Errorf("%s: %d distinct in %d pages, want %d in %d", what, len(tc.got), pages[what], tc.items, tc.page)
		}
	}
	if out, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("main"), MaxResults: aws.Int32(100)}); err != nil || len(out.TaskArns) != 5 || out.NextToken != nil {
		t.Errorf("maxResults 100: %v %+v", err, out)
	}
	var ipe *types.InvalidParameterException
	if _, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("main"), MaxResults: aws.Int32(101)}); !errors.As(err, &ipe) {
		t.Errorf("maxResults 101: err = %v", err)
	}
	if _, err := c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("main"), NextToken: aws.String("taskArns/2")}); !errors.As(err, &ipe) {
		t.Errorf("another list's token: err = %v", err)
	}
	// Without SetPageSize, ListServices answers 10 a page, as the reference says.
	f.SetPageSize(0)
	for i := 4; i < 12; i++ {
		f.AddService(fmt.Sprintf("svc%d", i), td, 1)
	}
	if out, err := c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String("main")}); err != nil || len(out.ServiceArns) != 10 || out.NextToken == nil {
		t.Errorf("ListServices' default page: %v %d %v", err, len(out.ServiceArns), out.NextToken)
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

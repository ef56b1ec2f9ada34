// Package ecstest is a fake Amazon ECS for tests: an httptest server that speaks the AWS JSON 1.1
// protocol, so the real SDK client talks to it through a base endpoint. Unlike moto it models how
// deployments move: PRIMARY and ACTIVE deployments, rolloutState IN_PROGRESS → COMPLETED or FAILED,
// running and failed task counts, service events, stopped tasks with reasons and exit codes, a
// deployment superseded by another, and one-off tasks (RunTask) that exit with a scripted code and
// write a CloudWatch log, or run until StopTask stops them.
//
// Shapes follow aws-sdk-go-v2's ECS model (service/ecs v1.104.2): the tests in this package read
// every answer through the real SDK client. Behaviour follows the Amazon ECS API Reference:
//   - API_Deployment.html and API_UpdateService.html: a new deployment is PRIMARY, the others
//     ACTIVE; rolloutState IN_PROGRESS, then COMPLETED or FAILED.
//   - API_StopTask.html: desiredStatus turns STOPPED at once and the answer is the task; the reason
//     given appears as stoppedReason in later DescribeTasks answers; stopCode is UserInitiated.
//   - API_DescribeTasks.html and the Developer Guide's "Amazon ECS task lifecycle"
//     (task-lifecycle-explanation.html): a stopping task's lastStatus goes through STOPPING and
//     DEPROVISIONING to STOPPED, and only then do its containers have exit codes; a task the
//     cluster does not know is a failure with reason MISSING, not an error.
//   - API_ListTasks.html: desiredStatus defaults to RUNNING; startedBy, serviceName and family filter.
//   - API_ListTasks.html, API_ListServices.html and API_ListTaskDefinitions.html: answers come in
//     pages of maxResults (1 to 100; by default 100, ListServices 10) with a nextToken while more
//     remain; a maxResults outside 1 to 100 or a nextToken the fake did not give is an
//     InvalidParameterException. SetPageSize makes the default smaller, so tests exercise paginators.
//   - API_DescribeServices.html: at most 10 services per call; API_DescribeTasks.html: at most
//     100 tasks. More is an InvalidParameterException.
//   - API_RunTask.html: overrides.containerOverrides (command) and networkConfiguration are taken
//     as given, recorded (RunTasks) and answered in the task's overrides; a task definition whose
//     networkMode is awsvpc needs networkConfiguration.awsvpcConfiguration with subnets, and any
//     other networkMode refuses one; an override must name a container of the task definition;
//     launchType and capacityProviderStrategy exclude each other. Each refusal is the
//     InvalidParameterException ECS answers ("Network Configuration must be provided when
//     networkMode 'awsvpc' is specified.").
//   - API_RegisterTaskDefinition.html, API_DescribeTaskDefinition.html and API_Tag.html: tags are
//     not part of the task definition; RegisterTaskDefinition answers them beside it, and
//     DescribeTaskDefinition only with include TAGS. Tags the reference does not allow (more than
//     50, a key twice, a key of 0 or over 128 characters, a value over 256, characters outside
//     letters, numbers, spaces and + - = . _ : / @, an aws: prefix) are an InvalidParameterException.
//
// Time moves by polls, not by the clock: each DescribeServices advances every deployment it
// returns by one tick, each DescribeTasks every task it returns; tests script outcomes in ticks.
package ecstest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/slipway-actions/slipway/internal/awstest"
)

// Kind is how a deployment behaves.
type Kind int

// Behaviours of a deployment.
const (
	Healthy        Kind = iota // tasks start; COMPLETED after Ticks polls, old deployments drained
	NoRolloutState             // as Healthy, without rolloutState (a service behind a Classic Load Balancer)
	CrashLoop                  // each poll a task exits 1; the circuit breaker says FAILED after Ticks polls
	FailAt                     // rolloutState FAILED after Ticks polls (and After), no failed tasks
	NeverHealthy               // tasks stay PENDING for ever
	Superseded                 // after Ticks polls another deployment becomes PRIMARY
	Vanish                     // after Ticks polls the deployment is gone
)

// Scenario scripts one deployment.
type Scenario struct {
	Kind  Kind
	Ticks int
	After time.Duration // and not before this much wall time has passed (for benchmarks)
}

// Migration scripts one RunTask: it stops after Ticks polls with ExitCode (nil: no exit code, as
// when the image cannot be pulled) and writes Log to its CloudWatch stream. A Forever task never
// stops by itself; StopTask stops any task: STOPPING, then DEPROVISIONING, STOPPED after StopTicks
// polls (default 2), its containers exiting StopExitCode (default 143, a process ended by SIGTERM;
// 137 is one that ignored it and was killed).
type Migration struct {
	Ticks        int
	Forever      bool
	ExitCode     *int
	Reason       string
	Log          []string
	StopTicks    int
	StopExitCode *int
}

// Request is one call the fake answered.
type Request = awstest.Call

// RunTask is one RunTask request the fake took, as ECS reads it.
type RunTask struct {
	TaskARN           string // "" when the request was refused
	TaskDefinition    string // as given
	LaunchType        string
	CapacityProviders []string // capacityProviderStrategy's providers, in order
	PlatformVersion   string
	StartedBy         string
	Commands          map[string][]string // container → its command override
	Network           map[string]any      // networkConfiguration as sent; nil when none
	Refused           string              // the InvalidParameterException's message, when refused
}

// Task is what the fake holds of one task, for tests' checks (reading it advances nothing).
type Task struct {
	ARN, TaskDefinition, LastStatus, DesiredStatus, StartedBy, StoppedReason, StopCode string
}

const account = "arn:aws:ecs:eu-west-2:123456789012:"

// Fake is the fake ECS (and CloudWatch Logs GetLogEvents) endpoint.
type Fake struct {
	URL string

	srv        *httptest.Server
	mu         sync.Mutex
	n          int
	taskDefs   []*taskDef
	clusters   map[string]*cluster
	scripts    map[string][]Scenario
	migrations []Migration
	logs       map[string][]string
	calls      awstest.Calls
	refusals   map[string]refusal
	delays     map[string]time.Duration
	pageSize   int
	runTasks   []RunTask
	alarms     []string // CloudWatch alarms in ALARM (SetAlarm)
}

type refusal struct {
	apiErr
	after int // calls answered before the refusals start
}

type taskDef struct {
	ARN, Family, Status string
	Revision            int
	Body                map[string]any
}

type cluster struct {
	arn      string
	services map[string]*service
	tasks    []*task
}

type service struct {
	Name, ARN, Status, TaskDef string
	Desired                    int
	LaunchType                 string
	Network                    any
	Controller                 string // deploymentController.type; "" is ECS
	LoadBalancers              []any  // as ECS answers them
	deployments                []*deployment
	events                     []event
	config                     map[string]any       // deploymentConfiguration as last set (strategy.go)
	sds                        []*serviceDeployment // its service deployments, when config makes them (strategy.go)
}

type deployment struct {
	ID, Status, TaskDef string
	Desired, Running    int
	Pending, Failed     int
	Rollout, Reason     string
	Created             time.Time
	scenario            Scenario
	age                 int
	sd                  *serviceDeployment // when it is a service deployment the fake steps (strategy.go)
}

type event struct {
	ID, Message string
	At          time.Time
}

type task struct {
	ARN, TaskDef, LastStatus, Desired, StoppedReason, StartedBy, Group string
	StopCode, LaunchType                                               string
	Overrides                                                          any
	Containers                                                         []container
	Created, Stopping, Stopped                                         time.Time
	migration                                                          *Migration
	age, stopAge                                                       int
}

type container struct {
	Name     string
	ExitCode *int
	Reason   string
}

// Cleaner is what New needs of a test: somewhere to close the server.
type Cleaner interface{ Cleanup(func()) }

// New starts a fake with one cluster, "main", closed when the test ends (or by Close when t is nil,
// as in a benchmark program).
func New(t Cleaner) *Fake {
	f := &Fake{clusters: map[string]*cluster{}, scripts: map[string][]Scenario{}, logs: map[string][]string{},
		refusals: map[string]refusal{}, delays: map[string]time.Duration{}}
	f.clusters["main"] = &cluster{arn: account + "cluster/main", services: map[string]*service{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	if t != nil {
		t.Cleanup(f.srv.Close)
	}
	f.URL = f.srv.URL
	return f
}

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

func (f *Fake) id() string { f.n++; return fmt.Sprintf("%08x", f.n) }

// AddService registers the task definition (JSON of register-task-definition's input, with
// camelCase keys) and creates a service on it whose deployment is complete. As ECS requires of a
// service (API_CreateService.html), it has a network configuration (subnet-1, sg-1, no public IP) when
// the task definition's networkMode is awsvpc, and none otherwise; its launch type is FARGATE when
// the task definition requires FARGATE, else EC2.
func (f *Fake) AddService(name, taskDefinitionJSON string, desired int) (taskDefARN string) {
	var body map[string]any
	if err := json.Unmarshal([]byte(taskDefinitionJSON), &body); err != nil {
		panic(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	td := f.register(body)
	s := &service{Name: name, ARN: account + "service/main/" + name, Status: "ACTIVE", TaskDef: td.ARN, Desired: desired, LaunchType: "EC2"}
	if compat, _ := body["requiresCompatibilities"].([]any); slices.Contains(compat, any("FARGATE")) {
		s.LaunchType = "FARGATE"
	}
	if str(body, "networkMode") == "awsvpc" {
		s.Network = map[string]any{"awsvpcConfiguration": map[string]any{"subnets": []string{"subnet-1"}, "securityGroups": []string{"sg-1"}, "assignPublicIp": "DISABLED"}}
	}
	s.deployments = []*deployment{{ID: "ecs-svc/" + f.id(), Status: "PRIMARY", TaskDef: td.ARN, Desired: desired, Running: desired, Rollout: "COMPLETED", Created: time.Now()}}
	f.clusters["main"].services[name] = s
	return td.ARN
}

// UseCodeDeploy gives a service the CODE_DEPLOY deployment controller and a load balancer sending
// traffic to container:port. As API_UpdateService.html says, its task definition can then be
// changed only by a CodeDeploy deployment (Deployed): UpdateService with a taskDefinition is an
// InvalidParameterException. DescribeServices answers its primary task set, not deployments
// (API_Service.html: taskSets for the CODE_DEPLOY and EXTERNAL controllers).
func (f *Fake) UseCodeDeploy(service, container string, port int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.clusters["main"].services[service]
	s.Controller = "CODE_DEPLOY"
	s.LoadBalancers = []any{map[string]any{"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/" + service + "-blue/0123456789abcdef",
		"containerName": container, "containerPort": port}}
}

// Deployed moves a CODE_DEPLOY service to the task definition a CodeDeploy deployment deployed
// (codedeploytest.Fake.OnDeployed calls it).
func (f *Fake) Deployed(cluster, service, taskDefinition string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.clusters[cluster].services[service]
	s.TaskDef = taskDefinition
	for _, d := range s.deployments {
		d.TaskDef = taskDefinition // the primary task set's, which the fake keeps as its one deployment
	}
}

// Script sets how the next deployments of a service behave, in order (the deploy, then a rollback);
// unscripted deployments are Healthy after one poll.
func (f *Fake) Script(service string, s ...Scenario) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[service] = append(f.scripts[service], s...)
}

// ScriptMigration sets how the next RunTask behaves.
func (f *Fake) ScriptMigration(m Migration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.migrations = append(f.migrations, m)
}

// ServiceTaskDefinition is the task definition the service's PRIMARY deployment runs.
func (f *Fake) ServiceTaskDefinition(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.clusters["main"].services[name]
	for _, d := range s.deployments {
		if d.Status == "PRIMARY" {
			return d.TaskDef
		}
	}
	return s.TaskDef
}

// ActiveRevisions lists the ACTIVE revisions of a family.
func (f *Fake) ActiveRevisions(family string) []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, td := range f.taskDefs {
		if td.Family == family && td.Status == "ACTIVE" {
			out = append(out, td.Revision)
		}
	}
	return out
}

// TaskDefinition returns the registered body of a task definition ARN.
func (f *Fake) TaskDefinition(arn string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, td := range f.taskDefs {
		if td.ARN == arn {
			return td.Body
		}
	}
	return nil
}

// Calls returns how many times each operation was called, and the total.
func (f *Fake) Calls() (map[string]int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out, total := f.calls.Counts(), 0
	for _, v := range out {
		total += v
	}
	return out, total
}

// Updates counts UpdateService calls, i.e. deploys and rollbacks started.
func (f *Fake) Updates() int { c, _ := f.Calls(); return c["UpdateService"] }

// Requests lists the calls answered, in order; with ops, only the calls of those operations.
func (f *Fake) Requests(ops ...string) []Request { return f.calls.List(ops...) }

// Refuse makes the calls of op, after the next `after` of them, fail with an AWS error of that type
// (HTTP 400), as ECS answers a caller without permission (AccessDeniedException) or a request it
// will not take (ClientException).
func (f *Fake) Refuse(op string, after int, errType, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refusals[op] = refusal{apiErr{errType, message}, f.calls.Count(op) + after}
}

// Slow makes every later call of op answer d after it arrives, as a slow or throttled endpoint
// does. A caller that gives up meanwhile gets no answer and the call changes nothing; it is
// recorded as it arrived either way.
func (f *Fake) Slow(op string, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delays[op] = d
}

// SetPageSize makes the list calls (ListTasks, ListServices, ListTaskDefinitions) answer at most n
// items per page when the caller gives no maxResults, as if the API's default were n.
func (f *Fake) SetPageSize(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pageSize = n
}

// RunTasks lists the RunTask requests the fake took, in order, refused ones too.
func (f *Fake) RunTasks() []RunTask {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.runTasks)
}

// Reached returns a channel closed once op has been called n times in all (as each call arrives,
// before it is answered): tests wait on it instead of polling or sleeping.
func (f *Fake) Reached(op string, n int) <-chan struct{} { return f.calls.Reached(op, n) }

// Tasks lists every task of the cluster "main", oldest first.
func (f *Fake) Tasks() []Task {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Task
	for _, t := range f.clusters["main"].tasks {
		out = append(out, Task{ARN: t.ARN, TaskDefinition: t.TaskDef, LastStatus: t.LastStatus, DesiredStatus: t.Desired,
			StartedBy: t.StartedBy, StoppedReason: t.StoppedReason, StopCode: t.StopCode})
	}
	return out
}

func (f *Fake) register(body map[string]any) *taskDef {
	family, _ := body["family"].(string)
	rev := 1
	for _, td := range f.taskDefs {
		if td.Family == family {
			rev = max(rev, td.Revision+1)
		}
	}
	td := &taskDef{ARN: fmt.Sprintf("%stask-definition/%s:%d", account, family, rev), Family: family, Revision: rev, Status: "ACTIVE", Body: body}
	f.taskDefs = append(f.taskDefs, td)
	return td
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	_, op, in, ok := awstest.ReadCall(w, r)
	if !ok {
		return
	}
	target := r.Header.Get("X-Amz-Target")
	f.mu.Lock()
	f.calls.Record(op, in)
	delay := f.delays[op]
	f.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !awstest.Signed(w, r) {
		return
	}
	if e, ok := f.refusals[op]; ok && f.calls.Count(op) > e.after {
		awstest.JSONError(w, e.Type, e.Message)
		return
	}
	handle := f.handler(op)
	if handle == nil {
		awstest.JSONError(w, "UnknownOperationException", "no such operation in the fake: "+target)
		return
	}
	out, err := handle(in)
	if err != nil {
		awstest.JSONError(w, err.Type, err.Message)
		return
	}
	awstest.JSONReply(w, out)
}

// handler is the fake's answer to an operation, nil for one it does not serve.
func (f *Fake) handler(op string) func(map[string]any) (any, *apiErr) {
	return map[string]func(map[string]any) (any, *apiErr){
		"RegisterTaskDefinition":     f.registerTaskDefinition,
		"DescribeTaskDefinition":     f.describeTaskDefinition,
		"DeregisterTaskDefinition":   f.deregisterTaskDefinition,
		"ListTaskDefinitions":        f.listTaskDefinitions,
		"DescribeServices":           f.describeServices,
		"UpdateService":              f.updateService,
		"RunTask":                    f.runTask,
		"DescribeTasks":              f.describeTasks,
		"ListTasks":                  f.listTasks,
		"ListServices":               f.listServices,
		"StopTask":                   f.stopTask,
		"DescribeServiceDeployments": f.describeServiceDeployments,
		"StopServiceDeployment":      f.stopServiceDeployment,
		"GetLogEvents":               f.getLogEvents,
	}[op]
}

type apiErr struct{ Type, Message string }

func str(in map[string]any, k string) string { s, _ := in[k].(string); return s }

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (f *Fake) cluster(in map[string]any) (*cluster, *apiErr) {
	name := str(in, "cluster")
	if name == "" {
		name = "default"
	}
	name = name[strings.LastIndex(name, "/")+1:]
	c, ok := f.clusters[name]
	if !ok {
		return nil, &apiErr{"ClusterNotFoundException", "Cluster not found."}
	}
	return c, nil
}

func (f *Fake) findTaskDef(ref string) *taskDef {
	var latest *taskDef
	for _, td := range f.taskDefs {
		switch {
		case td.ARN == ref, td.Family+":"+strconv.Itoa(td.Revision) == ref:
			return td
		case td.Family == ref && td.Status == "ACTIVE":
			latest = td
		}
	}
	return latest
}

func (td *taskDef) view() map[string]any {
	out := map[string]any{}
	for k, v := range td.Body {
		if k != "tags" { // tags are not part of the task definition; DescribeTaskDefinition returns them beside it
			out[k] = v
		}
	}
	out["taskDefinitionArn"], out["revision"], out["status"] = td.ARN, td.Revision, td.Status
	out["registeredAt"] = epoch(time.Now())
	return out
}

func (f *Fake) registerTaskDefinition(in map[string]any) (any, *apiErr) {
	if str(in, "family") == "" {
		return nil, &apiErr{"ClientException", "Family is required."}
	}
	if cds, _ := in["containerDefinitions"].([]any); len(cds) == 0 {
		return nil, &apiErr{"ClientException", "Container definitions are required."}
	}
	if err := checkTags(in["tags"]); err != nil {
		return nil, err
	}
	out := map[string]any{"taskDefinition": f.register(in).view()}
	if tags, ok := in["tags"]; ok {
		out["tags"] = tags
	}
	return out, nil
}

// tagText is what API_Tag.html allows in a key or a value.
var tagText = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// checkTags refuses the tags API_Tag.html does not allow.
func checkTags(v any) *apiErr {
	tags, _ := v.([]any)
	if len(tags) > 50 {
		return &apiErr{"InvalidParameterException", "Tags can not exceed 50."}
	}
	seen := map[string]bool{}
	for _, t := range tags {
		m, _ := t.(map[string]any)
		key, value := str(m, "key"), str(m, "value")
		switch {
		case seen[key]:
			return &apiErr{"InvalidParameterException", "Duplicate tag key: " + key}
		case utf8.RuneCountInString(key) < 1 || utf8.RuneCountInString(key) > 128 || utf8.RuneCountInString(value) > 256:
			return &apiErr{"InvalidParameterException", "Tag keys are 1 to 128 characters and values at most 256."}
		case !tagText.MatchString(key) || !tagText.MatchString(value):
			return &apiErr{"InvalidParameterException", "Invalid characters in tag: " + key}
		case strings.HasPrefix(strings.ToLower(key), "aws:") || strings.HasPrefix(strings.ToLower(value), "aws:"):
			return &apiErr{"InvalidParameterException", "The aws: prefix is reserved for AWS use: " + key}
		}
		seen[key] = true
	}
	return nil
}

func (f *Fake) describeTaskDefinition(in map[string]any) (any, *apiErr) {
	td := f.findTaskDef(str(in, "taskDefinition"))
	if td == nil {
		return nil, &apiErr{"ClientException", "Unable to describe task definition."}
	}
	out := map[string]any{"taskDefinition": td.view()}
	if include, _ := in["include"].([]any); slices.Contains(include, any("TAGS")) {
		out["tags"] = td.Body["tags"]
	}
	return out, nil
}

func (f *Fake) deregisterTaskDefinition(in map[string]any) (any, *apiErr) {
	td := f.findTaskDef(str(in, "taskDefinition"))
	if td == nil {
		return nil, &apiErr{"ClientException", "The specified task definition does not exist."}
	}
	td.Status = "INACTIVE"
	return map[string]any{"taskDefinition": td.view()}, nil
}

func (f *Fake) listTaskDefinitions(in map[string]any) (any, *apiErr) {
	var arns []string
	for _, td := range f.taskDefs {
		if strings.HasPrefix(td.Family, str(in, "familyPrefix")) && (str(in, "status") == "" || str(in, "status") == td.Status) {
			arns = append(arns, td.ARN)
		}
	}
	if str(in, "sort") == "DESC" {
		slices.Reverse(arns)
	}
	return f.page(in, "taskDefinitionArns", arns, 100)
}

// page answers one page of a list call, as API_ListTasks.html, API_ListServices.html and
// API_ListTaskDefinitions.html say: at most maxResults items (1 to 100; def, or the fake's page
// size, when not given), and a nextToken while more remain. The token is the fake's own: the
// position in the list, under the list's key.
func (f *Fake) page(in map[string]any, key string, all []string, def int) (any, *apiErr) {
	size := def
	if f.pageSize > 0 {
		size = min(def, f.pageSize)
	}
	if v, ok := in["maxResults"]; ok {
		n, _ := v.(float64)
		if n < 1 || n > 100 || n != float64(int(n)) {
			return nil, &apiErr{"InvalidParameterException", "maxResults must be between 1 and 100."}
		}
		size = int(n)
	}
	from := 0
	if tok := str(in, "nextToken"); tok != "" {
		rest, ok := strings.CutPrefix(tok, key+"/")
		n, err := strconv.Atoi(rest)
		if !ok || err != nil || n < 0 || n > len(all) {
			return nil, &apiErr{"InvalidParameterException", "Invalid nextToken."}
		}
		from = n
	}
	to := min(from+size, len(all))
	out := map[string]any{key: append([]string{}, all[from:to]...)}
	if to < len(all) {
		out["nextToken"] = key + "/" + strconv.Itoa(to)
	}
	return out, nil
}

func (f *Fake) describeServices(in map[string]any) (any, *apiErr) {
	c, err := f.cluster(in)
	if err != nil {
		return nil, err
	}
	names, _ := in["services"].([]any)
	if len(names) > 10 {
		return nil, &apiErr{"InvalidParameterException", "services can have at most 10 items."}
	}
	services, failures := []any{}, []any{}
	for _, n := range names {
		name := n.(string)
		s, ok := c.services[name[strings.LastIndex(name, "/")+1:]]
		if !ok {
			failures = append(failures, map[string]any{"arn": account + "service/" + name, "reason": "MISSING"})
			continue
		}
		f.tick(c, s)
		services = append(services, s.view(c))
	}
	return map[string]any{"services": services, "failures": failures}, nil
}

func (s *service) view(c *cluster) map[string]any {
	var deps []any
	running := 0
	for _, d := range s.deployments {
		dv := map[string]any{"id": d.ID, "status": d.Status, "taskDefinition": d.TaskDef, "desiredCount": d.Desired,
			"runningCount": d.Running, "pendingCount": d.Pending, "failedTasks": d.Failed,
			"createdAt": epoch(d.Created), "updatedAt": epoch(time.Now()), "launchType": s.LaunchType}
		if d.Rollout != "" {
			dv["rolloutState"], dv["rolloutStateReason"] = d.Rollout, d.Reason
		}
		deps = append(deps, dv)
		running += d.Running
	}
	var events []any
	for i := len(s.events) - 1; i >= 0 && len(events) < 100; i-- { // newest first, as ECS answers
		e := s.events[i]
		events = append(events, map[string]any{"id": e.ID, "createdAt": epoch(e.At), "message": e.Message})
	}
	v := map[string]any{"serviceName": s.Name, "serviceArn": s.ARN, "clusterArn": c.arn, "status": s.Status,
		"desiredCount": s.Desired, "runningCount": running, "taskDefinition": s.TaskDef, "launchType": s.LaunchType,
		"networkConfiguration": s.Network, "deployments": deps, "events": events,
		"deploymentConfiguration": s.deploymentConfiguration(), "currentServiceDeployment": s.current()}
	if s.Controller != "" {
		v["deploymentController"] = map[string]any{"type": s.Controller}
		v["loadBalancers"] = s.LoadBalancers
		v["deployments"] = []any{}
		v["taskSets"] = []any{map[string]any{"id": "ecs-svc/" + lastPart(s.TaskDef), "status": "PRIMARY", "taskDefinition": s.TaskDef,
			"computedDesiredCount": s.Desired, "runningCount": s.Desired, "launchType": s.LaunchType, "networkConfiguration": s.Network}}
	}
	return v
}

func (s *service) deploymentConfiguration() map[string]any {
	if s.config != nil {
		return s.config
	}
	return map[string]any{"deploymentCircuitBreaker": map[string]any{"enable": true, "rollback": false}}
}

// current is the ARN of the service's latest service deployment, when it has one (API_Service.html).
func (s *service) current() any {
	if len(s.sds) == 0 {
		return nil
	}
	return s.sds[len(s.sds)-1].ARN
}

func (f *Fake) event(s *service, format string, args ...any) {
	s.events = append(s.events, event{ID: f.id(), Message: fmt.Sprintf("(service "+s.Name+") "+format, args...), At: time.Now()})
}

// tick moves the service's primary deployment one poll along its scenario.
func (f *Fake) tick(c *cluster, s *service) {
	var d *deployment
	for _, x := range s.deployments {
		if x.Status == "PRIMARY" && (x.Rollout == "IN_PROGRESS" || (x.scenario.Kind == NoRolloutState && len(s.deployments) > 1)) {
			d = x
		}
	}
	if d == nil {
		return
	}
	if d.sd != nil {
		f.step(s, d)
		return
	}
	d.age++
	due := d.age >= d.scenario.Ticks && time.Since(d.Created) >= d.scenario.After
	switch d.scenario.Kind {
	case Healthy, NoRolloutState:
		d.Running = min(d.Desired, d.Desired*d.age/max(d.scenario.Ticks, 1))
		d.Pending = d.Desired - d.Running
		f.event(s, "has started %d tasks: (task %s).", d.Running, f.id())
		if due {
			d.Running, d.Pending = d.Desired, 0
			if d.Rollout != "" {
				d.Rollout = "COMPLETED"
			}
			s.deployments = []*deployment{d}
			s.TaskDef = d.TaskDef
			f.event(s, "has reached a steady state.")
			f.event(s, "(deployment %s) deployment completed.", d.ID)
		}
	case CrashLoop:
		d.Failed++
		t := &task{ARN: account + "task/main/" + f.id(), TaskDef: d.TaskDef, LastStatus: "STOPPED", Desired: "STOPPED",
			StoppedReason: "Essential container in task exited", StopCode: "EssentialContainerExited", Group: "service:" + s.Name,
			Created: time.Now(), Stopped: time.Now(), Containers: []container{{Name: "api", ExitCode: ptr(1), Reason: ""}}}
		c.tasks = append(c.tasks, t)
		f.event(s, "has started 1 tasks: (task %s).", lastPart(t.ARN))
		f.event(s, "has stopped 1 running tasks: (task %s).", lastPart(t.ARN))
		if due {
			d.Rollout, d.Reason = "FAILED", "ECS deployment circuit breaker: tasks failed to start."
			f.event(s, "(deployment %s) deployment failed: tasks failed to start.", d.ID)
		}
	case FailAt:
		if due {
			d.Rollout, d.Reason = "FAILED", "ECS deployment circuit breaker: tasks failed health checks."
		}
	case NeverHealthy:
		d.Pending = d.Desired
		if d.age == 1 {
			f.event(s, "has started %d tasks: (task %s).", d.Desired, f.id())
		}
	case Superseded:
		if due {
			d.Status = "ACTIVE"
			other := &deployment{ID: "ecs-svc/" + f.id(), Status: "PRIMARY", TaskDef: d.TaskDef, Desired: d.Desired, Rollout: "IN_PROGRESS", Created: time.Now(), scenario: Scenario{Kind: NeverHealthy}}
			s.deployments = append([]*deployment{other}, s.deployments...)
		}
	case Vanish:
		if due {
			s.deployments = slices.DeleteFunc(s.deployments, func(x *deployment) bool { return x == d })
		}
	}
}

func ptr[T any](v T) *T { return &v }

func lastPart(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func (f *Fake) updateService(in map[string]any) (any, *apiErr) {
	c, err := f.cluster(in)
	if err != nil {
		return nil, err
	}
	s, ok := c.services[str(in, "service")]
	if !ok {
		return nil, &apiErr{"ServiceNotFoundException", "Service not found."}
	}
	ref := str(in, "taskDefinition")
	if s.Controller == "CODE_DEPLOY" && ref != "" {
		return nil, &apiErr{"InvalidParameterException", "Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment."}
	}
	td := f.findTaskDef(ref)
	if td == nil || td.Status != "ACTIVE" {
		return nil, &apiErr{"ClientException", "TaskDefinition not found or not active: " + ref}
	}
	if dc, ok := in["deploymentConfiguration"].(map[string]any); ok {
		if err := checkDeploymentConfiguration(dc); err != nil {
			return nil, err
		}
		s.config = dc
	}
	sc := Scenario{Kind: Healthy, Ticks: 1}
	if q := f.scripts[s.Name]; len(q) > 0 {
		sc, f.scripts[s.Name] = q[0], q[1:]
	}
	var source *deployment
	for _, d := range s.deployments {
		if d.Status == "PRIMARY" {
			source = d
		}
		d.Status = "ACTIVE"
	}
	d := &deployment{ID: "ecs-svc/" + f.id(), Status: "PRIMARY", TaskDef: td.ARN, Desired: s.Desired, Pending: s.Desired, Rollout: "IN_PROGRESS", Created: time.Now(), scenario: sc}
	if sc.Kind == NoRolloutState {
		d.Rollout = ""
		for _, old := range s.deployments {
			old.Rollout = ""
		}
	}
	s.deployments = append([]*deployment{d}, s.deployments...)
	f.startServiceDeployment(s, d, source)
	return map[string]any{"service": s.view(c)}, nil
}

func (f *Fake) runTask(in map[string]any) (any, *apiErr) {
	c, err := f.cluster(in)
	if err != nil {
		return nil, err
	}
	td := f.findTaskDef(str(in, "taskDefinition"))
	if td == nil {
		return nil, &apiErr{"ClientException", "TaskDefinition not found."}
	}
	rec := readRunTask(in)
	i := len(f.runTasks)
	f.runTasks = append(f.runTasks, rec)
	if msg := td.refuseRun(in, rec); msg != "" {
		f.runTasks[i].Refused = msg
		return nil, &apiErr{"InvalidParameterException", msg}
	}
	m := Migration{Ticks: 1, ExitCode: ptr(0)}
	if len(f.migrations) > 0 {
		m, f.migrations = f.migrations[0], f.migrations[1:]
	}
	t := &task{ARN: account + "task/main/" + f.id(), TaskDef: td.ARN, LastStatus: "PROVISIONING", Desired: "RUNNING",
		StartedBy: str(in, "startedBy"), Group: "family:" + td.Family, Created: time.Now(), migration: &m,
		LaunchType: rec.LaunchType, Overrides: in["overrides"]}
	if t.Overrides == nil {
		t.Overrides = map[string]any{"containerOverrides": []any{}, "inferenceAcceleratorOverrides": []any{}}
	}
	f.runTasks[i].TaskARN = t.ARN
	cds, _ := td.Body["containerDefinitions"].([]any)
	for _, cd := range cds {
		name, _ := cd.(map[string]any)["name"].(string)
		t.Containers = append(t.Containers, container{Name: name})
		lc, _ := cd.(map[string]any)["logConfiguration"].(map[string]any)
		opts, _ := lc["options"].(map[string]any)
		if g, _ := opts["awslogs-group"].(string); g != "" {
			p, _ := opts["awslogs-stream-prefix"].(string)
			f.logs[g+"|"+p+"/"+name+"/"+lastPart(t.ARN)] = m.Log
		}
	}
	c.tasks = append(c.tasks, t)
	return map[string]any{"tasks": []any{t.view(c)}, "failures": []any{}}, nil
}

// readRunTask is what a RunTask request asks for.
func readRunTask(in map[string]any) RunTask {
	r := RunTask{TaskDefinition: str(in, "taskDefinition"), LaunchType: str(in, "launchType"), PlatformVersion: str(in, "platformVersion"),
		StartedBy: str(in, "startedBy"), Commands: map[string][]string{}}
	r.Network, _ = in["networkConfiguration"].(map[string]any)
	strategy, _ := in["capacityProviderStrategy"].([]any)
	for _, p := range strategy {
		m, _ := p.(map[string]any)
		r.CapacityProviders = append(r.CapacityProviders, str(m, "capacityProvider"))
	}
	overrides, _ := in["overrides"].(map[string]any)
	cos, _ := overrides["containerOverrides"].([]any)
	for _, co := range cos {
		m, _ := co.(map[string]any)
		args, _ := m["command"].([]any)
		var cmd []string
		for _, a := range args {
			s, _ := a.(string)
			cmd = append(cmd, s)
		}
		r.Commands[str(m, "name")] = cmd
	}
	return r
}

// refuseRun is the InvalidParameterException's message ECS answers a RunTask of td with, "" when
// it takes it (API_RunTask.html).
func (td *taskDef) refuseRun(in map[string]any, r RunTask) string {
	awsvpc := str(td.Body, "networkMode") == "awsvpc"
	vpc, _ := r.Network["awsvpcConfiguration"].(map[string]any)
	subnets, _ := vpc["subnets"].([]any)
	var names []string
	cds, _ := td.Body["containerDefinitions"].([]any)
	for _, cd := range cds {
		names = append(names, str(cd.(map[string]any), "name"))
	}
	switch {
	case r.LaunchType != "" && len(r.CapacityProviders) > 0:
		return "Specifying both a launch type and capacity provider strategy is not supported."
	case awsvpc && vpc == nil:
		return "Network Configuration must be provided when networkMode 'awsvpc' is specified."
	case awsvpc && len(subnets) == 0:
		return "subnets can not be empty."
	case !awsvpc && r.Network != nil:
		return "Network Configuration is not valid for the given networkMode of this task definition."
	}
	for _, name := range slices.Sorted(maps.Keys(r.Commands)) {
		if !slices.Contains(names, name) {
			return "Override for container named " + name + " is not a container in the TaskDefinition."
		}
	}
	return ""
}

func (t *task) view(c *cluster) map[string]any {
	var cs []any
	for _, ct := range t.Containers {
		cv := map[string]any{"name": ct.Name, "lastStatus": t.LastStatus, "taskArn": t.ARN}
		if ct.ExitCode != nil {
			cv["exitCode"] = *ct.ExitCode
		}
		if ct.Reason != "" {
			cv["reason"] = ct.Reason
		}
		cs = append(cs, cv)
	}
	v := map[string]any{"taskArn": t.ARN, "taskDefinitionArn": t.TaskDef, "clusterArn": c.arn, "lastStatus": t.LastStatus,
		"desiredStatus": t.Desired, "containers": cs, "group": t.Group}
	if t.LaunchType != "" {
		v["launchType"] = t.LaunchType
	}
	if t.Overrides != nil {
		v["overrides"] = t.Overrides
	}
	for k, at := range map[string]time.Time{"createdAt": t.Created, "stoppingAt": t.Stopping, "stoppedAt": t.Stopped} {
		if !at.IsZero() {
			v[k] = epoch(at)
		}
	}
	if t.StoppedReason != "" {
		v["stoppedReason"] = t.StoppedReason
	}
	if t.StopCode != "" {
		v["stopCode"] = t.StopCode
	}
	if t.StartedBy != "" {
		v["startedBy"] = t.StartedBy
	}
	return v
}

func (c *cluster) task(ref string) *task {
	i := slices.IndexFunc(c.tasks, func(t *task) bool { return t.ARN == ref || lastPart(t.ARN) == ref })
	if i < 0 {
		return nil
	}
	return c.tasks[i]
}

func (f *Fake) describeTasks(in map[string]any) (any, *apiErr) {
	c, err := f.cluster(in)
	if err != nil {
		return nil, err
	}
	ids, _ := in["tasks"].([]any)
	if len(ids) > 100 {
		return nil, &apiErr{"InvalidParameterException", "tasks can have at most 100 items."}
	}
	tasks, failures := []any{}, []any{}
	for _, id := range ids {
		t := c.task(id.(string))
		if t == nil {
			failures = append(failures, map[string]any{"arn": id, "reason": "MISSING"})
			continue
		}
		t.tick()
		tasks = append(tasks, t.view(c))
	}
	return map[string]any{"tasks": tasks, "failures": failures}, nil
}

// tick moves a one-off task one poll along: a stopping task towards STOPPED, a running one along
// its script.
func (t *task) tick() {
	m := t.migration
	if m == nil || t.LastStatus == "STOPPED" {
		return
	}
	now := time.Now()
	if !t.Stopping.IsZero() {
		t.stopAge++
		t.LastStatus = "STOPPING"
		switch {
		case t.stopAge >= max(m.StopTicks, 2):
			code := 143
			if m.StopExitCode != nil {
				code = *m.StopExitCode
			}
			t.stop(now, &code)
		case t.stopAge >= max(m.StopTicks, 2)-1:
			t.LastStatus = "DEPROVISIONING"
		}
		return
	}
	t.age++
	t.LastStatus = "RUNNING"
	if !m.Forever && t.age >= m.Ticks {
		t.StoppedReason = "Essential container in task exited"
		if m.Reason != "" {
			t.StoppedReason = m.Reason
		}
		t.StopCode = "EssentialContainerExited"
		t.stop(now, m.ExitCode)
	}
}

func (t *task) stop(at time.Time, exitCode *int) {
	t.LastStatus, t.Desired, t.Stopped = "STOPPED", "STOPPED", at
	for i := range t.Containers {
		t.Containers[i].ExitCode = exitCode
	}
}

func (f *Fake) stopTask(in map[string]any) (any, *apiErr) {
	c, err := f.cluster(in)
	if err != nil {
		return nil, err
	}
	t := c.task(str(in, "task"))
	if t == nil {
		return nil, &apiErr{"InvalidParameterException", "The referenced task was not found."}
	}
	if t.Desired != "STOPPED" {
		t.Desired, t.StopCode, t.Stopping = "STOPPED", "UserInitiated", time.Now()
		t.StoppedReason = str(in, "reason")
	}
	return map[string]any{"task": t.view(c)}, nil
}

func (f *Fake) listTasks(in map[string]any) (any, *apiErr) {
	c, err := f.cluster(in)
	if err != nil {
		return nil, err
	}
	desired := str(in, "desiredStatus")
	if desired == "" {
		desired = "RUNNING"
	}
	arns := []string{}
	for i := len(c.tasks) - 1; i >= 0; i-- { // newest first
		t := c.tasks[i]
		if t.Desired == desired && (str(in, "serviceName") == "" || t.Group == "service:"+str(in, "serviceName")) &&
			(str(in, "startedBy") == "" || t.StartedBy == str(in, "startedBy")) &&
			(str(in, "family") == "" || t.Group == "family:"+str(in, "family")) {
			arns = append(arns, t.ARN)
		}
	}
	return f.page(in, "taskArns", arns, 100)
}

// listServices answers the services of the cluster by name, in pages of 10 by default
// (API_ListServices.html), filtered by launchType.
func (f *Fake) listServices(in map[string]any) (any, *apiErr) {
	c, err := f.cluster(in)
	if err != nil {
		return nil, err
	}
	arns := []string{}
	for _, name := range slices.Sorted(maps.Keys(c.services)) {
		if s := c.services[name]; str(in, "launchType") == "" || s.LaunchType == str(in, "launchType") {
			arns = append(arns, s.ARN)
		}
	}
	return f.page(in, "serviceArns", arns, 10)
}

func (f *Fake) getLogEvents(in map[string]any) (any, *apiErr) {
	lines, ok := f.logs[str(in, "logGroupName")+"|"+str(in, "logStreamName")]
	if !ok {
		return nil, &apiErr{"ResourceNotFoundException", "The specified log stream does not exist."}
	}
	events := []any{}
	for i, l := range lines {
		events = append(events, map[string]any{"timestamp": time.Now().UnixMilli() + int64(i), "message": l, "ingestionTime": time.Now().UnixMilli()})
	}
	return map[string]any{"events": events, "nextForwardToken": "f/1", "nextBackwardToken": "b/1"}, nil
}

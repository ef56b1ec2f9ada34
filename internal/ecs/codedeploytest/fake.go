// Package codedeploytest is a fake AWS CodeDeploy for ECS blue/green deployments, for tests: an
// httptest server that speaks the AWS JSON 1.1 protocol (X-Amz-Target: CodeDeploy_20141006.<Op>),
// so the real SDK client talks to it through a base endpoint. It models what slipway reads: a
// deployment moving through the ECS lifecycle events to Succeeded, or Failed at a scripted event
// with its error and the event's diagnostics, CodeDeploy's automatic rollback as a deployment of
// its own, and StopDeployment with or without a rollback.
//
// Shapes follow aws-sdk-go-v2's CodeDeploy model (service/codedeploy v1.36.0): the tests read every
// answer through the real SDK client. Behaviour follows the AWS CodeDeploy API Reference
// (https://docs.aws.amazon.com/codedeploy/latest/APIReference/):
//   - API_GetDeploymentGroup.html: an unknown application is ApplicationDoesNotExistException, an
//     unknown group DeploymentGroupDoesNotExistException; the answer is deploymentGroupInfo with
//     computePlatform ECS, ecsServices, deploymentStyle and autoRollbackConfiguration.
//   - API_CreateDeployment.html: the same errors for the application and the group; a revision
//     that is not valid is InvalidRevisionException, none RevisionRequiredException; the answer is
//     the deploymentId (d- and nine characters). A group runs one deployment at a time: another
//     while one is active is DeploymentLimitExceededException.
//   - API_GetDeployment.html and API_DeploymentInfo.html: status Created, Queued, InProgress,
//     Baking, Ready, Succeeded, Failed or Stopped; errorInformation (code, message) once it failed;
//     rollbackInfo (rollbackDeploymentId, rollbackMessage, rollbackTriggeringDeploymentId) once a
//     rollback was started, on both deployments; creator codeDeployRollback on a rollback's (the
//     SDK model's DeploymentCreator). An unknown id is DeploymentDoesNotExistException.
//   - API_StopDeployment.html: autoRollbackEnabled rolls the group back to the last good revision;
//     the answer is status Pending or Succeeded with a statusMessage; a deployment that has ended is
//     DeploymentAlreadyCompletedException.
//   - API_ListDeploymentTargets.html, API_BatchGetDeploymentTargets.html, API_ECSTarget.html and
//     API_LifecycleEvent.html: an ECS deployment has one target, <cluster>:<service>; its
//     lifecycleEvents are BeforeInstall, Install, AfterInstall, AllowTestTraffic,
//     AfterAllowTestTraffic, BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic, each Pending,
//     InProgress, Succeeded, Failed or Skipped, a failed one with diagnostics (errorCode, message).
//   - The CodeDeploy User Guide's AppSpec file reference for ECS (reference-appspec-file-structure-
//     resources.html#reference-appspec-file-structure-resources-ecs and
//     reference-appspec-file-structure-hooks.html#appspec-hooks-ecs): YAML or JSON; version 0.0;
//     Resources holds one TargetService of Type AWS::ECS::Service whose Properties are
//     TaskDefinition (required), LoadBalancerInfo with ContainerName and ContainerPort (required),
//     and optional PlatformVersion, NetworkConfiguration.AwsvpcConfiguration (Subnets,
//     SecurityGroups, AssignPublicIp ENABLED or DISABLED) and CapacityProviderStrategy; Hooks are
//     one-key maps from an ECS lifecycle event (BeforeInstall, AfterInstall, AfterAllowTestTraffic,
//     BeforeAllowTraffic, AfterAllowTraffic) to a Lambda function. Content that breaks these is
//     refused with InvalidRevisionException; so are keys the reference does not list (the fake is
//     stricter than the service there, so that a typo cannot pass).
//
// Time moves by polls, as in package ecstest: each GetDeployment moves the deployment it returns
// one tick along its script.
package codedeploytest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/slipway-actions/slipway/internal/awstest"
)

// Outcome is how a scripted deployment ends.
type Outcome int

// Outcomes of a deployment.
const (
	Succeed Outcome = iota // Succeeded after Ticks polls
	Fail                   // Failed after Ticks polls, at FailAt; rolled back when the group rolls back on failure
	Forever                // InProgress until stopped
)

// Scenario scripts one CreateDeployment.
type Scenario struct {
	Outcome       Outcome
	Ticks         int    // polls until it ends (at least 1)
	FailAt        string // the lifecycle event that fails (default AllowTestTraffic)
	Code, Message string // errorInformation (default ECS_UPDATE_ERROR and a health check message)
	RollbackFails bool   // the rollback deployment fails too
}

// Request is one call the fake answered.
type Request = awstest.Call

// Events are an ECS deployment's lifecycle events, in order (API_LifecycleEvent.html).
var Events = []string{"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"}

// hookEvents are the lifecycle events an ECS AppSpec may hook (appspec-hooks-ecs).
var hookEvents = []string{"BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"}

// Fake is the fake CodeDeploy endpoint.
type Fake struct {
	URL string

	srv         *httptest.Server
	mu          sync.Mutex
	n           int
	groups      map[string]*group // application/group
	apps        map[string]bool
	deployments map[string]*deployment
	scripts     []Scenario
	calls       awstest.Calls
	deployed    func(cluster, service, taskDefinition string)
}

type group struct {
	app, name, cluster, service string
	autoRollback                bool
	lastGood                    string // the task definition the service runs
	active                      string // the deployment in progress, if any
}

type deployment struct {
	id, status, creator, taskDef, content string
	g                                     *group
	sc                                    Scenario
	age                                   int
	events                                []string // status per lifecycle event
	diag                                  map[string]any
	errInfo                               map[string]any
	rollback                              map[string]any
	created, completed                    time.Time
}

// Cleaner is what New needs of a test: somewhere to close the server.
type Cleaner interface{ Cleanup(func()) }

// New starts a fake, closed when the test ends.
func New(t Cleaner) *Fake {
	f := &Fake{groups: map[string]*group{}, apps: map[string]bool{}, deployments: map[string]*deployment{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.URL = f.srv.URL
	return f
}

// AddDeploymentGroup creates an ECS application and blue/green deployment group for the service,
// which runs taskDefinition; autoRollback is the group's rollback on DEPLOYMENT_FAILURE and
// DEPLOYMENT_STOP_ON_REQUEST.
func (f *Fake) AddDeploymentGroup(app, name, cluster, service, taskDefinition string, autoRollback bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[app] = true
	f.groups[app+"/"+name] = &group{app: app, name: name, cluster: cluster, service: service, autoRollback: autoRollback, lastGood: taskDefinition}
}

// OnDeployed sets what is told when a deployment, or a rollback, has moved a service to a task
// definition: a test passes its fake ECS's, so that the service runs it there too.
func (f *Fake) OnDeployed(fn func(cluster, service, taskDefinition string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deployed = fn
}

// Script sets how the next deployments behave, in order; unscripted ones succeed after one poll.
func (f *Fake) Script(s ...Scenario) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts = append(f.scripts, s...)
}

// Requests lists the calls answered, in order; with ops, only the calls of those operations.
func (f *Fake) Requests(ops ...string) []Request { return f.calls.List(ops...) }

// Reached returns a channel closed once op has been called n times in all (as each call arrives).
func (f *Fake) Reached(op string, n int) <-chan struct{} { return f.calls.Reached(op, n) }

// Status is a deployment's status, "" when there is none of that id (reading it advances nothing).
func (f *Fake) Status(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d := f.deployments[id]; d != nil {
		return d.status
	}
	return ""
}

type apiErr struct{ Type, Message string }

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	service, op, in, ok := awstest.ReadCall(w, r)
	if !ok {
		return
	}
	target := r.Header.Get("X-Amz-Target")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls.Record(op, in)
	if !awstest.Signed(w, r) {
		return
	}
	var out any
	var err *apiErr
	switch {
	case service != "CodeDeploy_20141006":
		err = &apiErr{"UnknownOperationException", "not CodeDeploy: " + target}
	case op == "GetDeploymentGroup":
		out, err = f.getDeploymentGroup(in)
	case op == "CreateDeployment":
		out, err = f.createDeployment(in)
	case op == "GetDeployment":
		out, err = f.getDeployment(in)
	case op == "StopDeployment":
		out, err = f.stopDeployment(in)
	case op == "ListDeploymentTargets":
		out, err = f.listDeploymentTargets(in)
	case op == "BatchGetDeploymentTargets":
		out, err = f.batchGetDeploymentTargets(in)
	default:
		err = &apiErr{"UnknownOperationException", "no such operation in the fake: " + target}
	}
	if err != nil {
		awstest.JSONError(w, err.Type, err.Message)
		return
	}
	awstest.JSONReply(w, out)
}

func str(in map[string]any, k string) string { s, _ := in[k].(string); return s }

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (f *Fake) group(in map[string]any) (*group, *apiErr) {
	app, name := str(in, "applicationName"), str(in, "deploymentGroupName")
	switch {
	case app == "":
		return nil, &apiErr{"ApplicationNameRequiredException", "The minimum number of required application names was not specified."}
	case !f.apps[app]:
		return nil, &apiErr{"ApplicationDoesNotExistException", "The application " + app + " does not exist with the user or AWS account."}
	case name == "":
		return nil, &apiErr{"DeploymentGroupNameRequiredException", "The deployment group name was not specified."}
	}
	g := f.groups[app+"/"+name]
	if g == nil {
		return nil, &apiErr{"DeploymentGroupDoesNotExistException", "The deployment group " + name + " does not exist with the user or AWS account."}
	}
	return g, nil
}

func (f *Fake) getDeploymentGroup(in map[string]any) (any, *apiErr) {
	g, err := f.group(in)
	if err != nil {
		return nil, err
	}
	info := map[string]any{"applicationName": g.app, "deploymentGroupName": g.name, "deploymentGroupId": "dg-" + g.name,
		"computePlatform": "ECS", "deploymentConfigName": "CodeDeployDefault.ECSAllAtOnce",
		"ecsServices":               []any{map[string]any{"clusterName": g.cluster, "serviceName": g.service}},
		"deploymentStyle":           map[string]any{"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
		"autoRollbackConfiguration": map[string]any{"enabled": g.autoRollback, "events": []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST"}}}
	return map[string]any{"deploymentGroupInfo": info}, nil
}

func (f *Fake) newID() string {
	f.n++
	return fmt.Sprintf("d-%09X", f.n)
}

func (f *Fake) createDeployment(in map[string]any) (any, *apiErr) {
	g, err := f.group(in)
	if err != nil {
		return nil, err
	}
	rev, _ := in["revision"].(map[string]any)
	if rev == nil {
		return nil, &apiErr{"RevisionRequiredException", "The revision ID was not specified."}
	}
	content, taskDef, msg := readRevision(rev)
	if msg != "" {
		return nil, &apiErr{"InvalidRevisionException", msg}
	}
	if g.active != "" {
		return nil, &apiErr{"DeploymentLimitExceededException", fmt.Sprintf("The Deployment Group '%s' already has an active Deployment '%s'", g.name, g.active)}
	}
	sc := Scenario{Outcome: Succeed, Ticks: 1}
	if len(f.scripts) > 0 {
		sc, f.scripts = f.scripts[0], f.scripts[1:]
	}
	d := f.start(g, sc, "user", taskDef, content)
	return map[string]any{"deploymentId": d.id}, nil
}

func (f *Fake) start(g *group, sc Scenario, creator, taskDef, content string) *deployment {
	d := &deployment{id: f.newID(), status: "Created", creator: creator, taskDef: taskDef, content: content, g: g, sc: sc, created: time.Now()}
	for range Events {
		d.events = append(d.events, "Pending")
	}
	f.deployments[d.id] = d
	g.active = d.id
	return d
}

// readRevision checks an AppSpecContent revision as CodeDeploy reads it and returns its content
// and task definition, or why it is refused.
func readRevision(rev map[string]any) (content, taskDef, refusal string) {
	if t := str(rev, "revisionType"); t != "AppSpecContent" {
		return "", "", "The revision type " + t + " is not valid for an ECS deployment; use AppSpecContent."
	}
	asc, _ := rev["appSpecContent"].(map[string]any)
	content = str(asc, "content")
	if content == "" {
		return "", "", "The AppSpec content was not specified."
	}
	if sum := str(asc, "sha256"); sum != "" {
		if h := sha256.Sum256([]byte(content)); hex.EncodeToString(h[:]) != sum {
			return "", "", "The sha256 of the AppSpec content does not match its content."
		}
	}
	taskDef, refusal = CheckAppSpec(content)
	return content, taskDef, refusal
}

// CheckAppSpec checks an ECS AppSpec (YAML or JSON) against the AppSpec file reference and returns
// its task definition, or why CodeDeploy refuses it.
func CheckAppSpec(content string) (taskDef, refusal string) {
	var spec map[string]any
	if err := yaml.Unmarshal([]byte(content), &spec); err != nil {
		return "", "The AppSpec is not valid YAML or JSON: " + err.Error()
	}
	for k := range spec {
		if !slices.Contains([]string{"version", "Resources", "Hooks"}, k) {
			return "", "The AppSpec has an unknown key: " + k
		}
	}
	if v, ok := spec["version"].(float64); !ok || v != 0 {
		return "", "The AppSpec version must be 0.0."
	}
	res, _ := spec["Resources"].([]any)
	if len(res) != 1 {
		return "", "The AppSpec of an ECS deployment must have exactly one resource under Resources."
	}
	named, _ := res[0].(map[string]any)
	if len(named) != 1 {
		return "", "A resource must be one name (e.g. TargetService) mapped to its Type and Properties."
	}
	var target map[string]any
	for _, v := range named {
		target, _ = v.(map[string]any)
	}
	if str(target, "Type") != "AWS::ECS::Service" {
		return "", "The resource's Type must be AWS::ECS::Service."
	}
	props, _ := target["Properties"].(map[string]any)
	for k := range props {
		if !slices.Contains([]string{"TaskDefinition", "LoadBalancerInfo", "PlatformVersion", "NetworkConfiguration", "CapacityProviderStrategy"}, k) {
			return "", "The resource has an unknown property: " + k
		}
	}
	taskDef = str(props, "TaskDefinition")
	if taskDef == "" {
		return "", "The resource's Properties must have a TaskDefinition."
	}
	lb, _ := props["LoadBalancerInfo"].(map[string]any)
	if _, ok := lb["ContainerPort"].(int); !ok || str(lb, "ContainerName") == "" {
		return "", "LoadBalancerInfo must have a ContainerName and a numeric ContainerPort."
	}
	if nc, ok := props["NetworkConfiguration"].(map[string]any); ok {
		vpc, _ := nc["AwsvpcConfiguration"].(map[string]any)
		subnets, _ := vpc["Subnets"].([]any)
		if len(subnets) == 0 {
			return "", "NetworkConfiguration must have AwsvpcConfiguration with Subnets."
		}
		if ip := str(vpc, "AssignPublicIp"); ip != "" && ip != "ENABLED" && ip != "DISABLED" {
			return "", "AssignPublicIp must be ENABLED or DISABLED."
		}
	}
	hooks, _ := spec["Hooks"].([]any)
	for _, h := range hooks {
		m, _ := h.(map[string]any)
		for k, v := range m {
			if fn, _ := v.(string); !slices.Contains(hookEvents, k) || fn == "" || len(m) != 1 {
				return "", "A hook must map one ECS lifecycle event (" + strings.Join(hookEvents, ", ") + ") to a Lambda function: " + k
			}
		}
	}
	return taskDef, ""
}

func (f *Fake) deployment(in map[string]any) (*deployment, *apiErr) {
	d := f.deployments[str(in, "deploymentId")]
	if d == nil {
		return nil, &apiErr{"DeploymentDoesNotExistException", "The deployment " + str(in, "deploymentId") + " does not exist with the user or AWS account."}
	}
	return d, nil
}

func (f *Fake) getDeployment(in map[string]any) (any, *apiErr) {
	d, err := f.deployment(in)
	if err != nil {
		return nil, err
	}
	f.tick(d)
	return map[string]any{"deploymentInfo": d.view()}, nil
}

func (d *deployment) done() bool {
	return slices.Contains([]string{"Succeeded", "Failed", "Stopped"}, d.status)
}

// tick moves d one poll along its script: its lifecycle events in order, then its end.
func (f *Fake) tick(d *deployment) {
	if d.done() {
		return
	}
	d.age++
	d.status = "InProgress"
	ticks := max(d.sc.Ticks, 1)
	failAt := slices.Index(Events, d.sc.FailAt)
	if failAt < 0 {
		failAt = slices.Index(Events, "AllowTestTraffic")
	}
	upTo := len(Events) * d.age / ticks // events done by now
	if d.sc.Outcome == Fail {
		upTo = min(upTo, failAt)
	}
	if d.sc.Outcome == Forever {
		upTo = min(upTo, len(Events)-1)
	}
	for i := range Events {
		switch {
		case i < upTo:
			d.events[i] = "Succeeded"
		case i == upTo:
			d.events[i] = "InProgress"
		}
	}
	if d.age < ticks || d.sc.Outcome == Forever {
		return
	}
	switch d.sc.Outcome {
	case Succeed:
		f.end(d, "Succeeded")
		d.g.lastGood = d.taskDef
		if f.deployed != nil {
			f.deployed(d.g.cluster, d.g.service, d.taskDef)
		}
	case Fail:
		d.events[failAt] = "Failed"
		code, msg := d.sc.Code, d.sc.Message
		if code == "" {
			code, msg = "ECS_UPDATE_ERROR", "The ECS service cannot reach a steady state: the replacement tasks failed their health checks."
		}
		d.diag = map[string]any{"errorCode": "ScriptFailed", "message": msg, "scriptName": "", "logTail": ""}
		d.errInfo = map[string]any{"code": code, "message": msg}
		f.end(d, "Failed")
		if d.g.autoRollback {
			f.rollBack(d, "Automatic rollback triggered by deployment failure.", d.sc.RollbackFails)
		}
	}
}

func (f *Fake) end(d *deployment, status string) {
	d.status, d.completed = status, time.Now()
	if d.g.active == d.id {
		d.g.active = ""
	}
	for i, e := range d.events {
		if e == "Pending" || (e == "InProgress" && status != "Succeeded") {
			d.events[i] = "Skipped"
		} else if status == "Succeeded" {
			d.events[i] = "Succeeded"
		}
	}
}

// rollBack starts the rollback of d: a deployment of the group's last good revision.
func (f *Fake) rollBack(d *deployment, message string, fails bool) {
	sc := Scenario{Outcome: Succeed, Ticks: 1}
	if fails {
		sc = Scenario{Outcome: Fail, Ticks: 1, Code: "ECS_UPDATE_ERROR", Message: "The rollback could not reach a steady state."}
	}
	r := f.start(d.g, sc, "codeDeployRollback", d.g.lastGood, "")
	d.rollback = map[string]any{"rollbackDeploymentId": r.id, "rollbackMessage": message}
	r.rollback = map[string]any{"rollbackTriggeringDeploymentId": d.id}
}

func (d *deployment) view() map[string]any {
	v := map[string]any{"deploymentId": d.id, "applicationName": d.g.app, "deploymentGroupName": d.g.name, "status": d.status,
		"creator": d.creator, "computePlatform": "ECS", "createTime": epoch(d.created),
		"deploymentStyle":    map[string]any{"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
		"deploymentOverview": map[string]any{"Pending": 0, "InProgress": 0, "Succeeded": 0, "Failed": 0, "Skipped": 0, "Ready": 0}}
	if d.content != "" {
		v["revision"] = map[string]any{"revisionType": "AppSpecContent", "appSpecContent": map[string]any{"content": d.content}}
	}
	if !d.completed.IsZero() {
		v["completeTime"] = epoch(d.completed)
	}
	if d.errInfo != nil {
		v["errorInformation"] = d.errInfo
	}
	if d.rollback != nil {
		v["rollbackInfo"] = d.rollback
	}
	return v
}

func (f *Fake) stopDeployment(in map[string]any) (any, *apiErr) {
	d, err := f.deployment(in)
	if err != nil {
		return nil, err
	}
	if d.done() {
		return nil, &apiErr{"DeploymentAlreadyCompletedException", "The deployment " + d.id + " is already completed."}
	}
	f.end(d, "Stopped")
	d.errInfo = map[string]any{"code": "MANUAL_STOP", "message": "The deployment was stopped by a user."}
	if rb, _ := in["autoRollbackEnabled"].(bool); rb {
		f.rollBack(d, "Rollback triggered by a request to stop the deployment.", false)
	}
	return map[string]any{"status": "Pending", "statusMessage": "Stopping Pending. Stopping to schedule commands in the deployment instances"}, nil
}

func (d *deployment) targetID() string { return d.g.cluster + ":" + d.g.service }

func (f *Fake) listDeploymentTargets(in map[string]any) (any, *apiErr) {
	d, err := f.deployment(in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"targetIds": []string{d.targetID()}}, nil
}

func (f *Fake) batchGetDeploymentTargets(in map[string]any) (any, *apiErr) {
	d, err := f.deployment(in)
	if err != nil {
		return nil, err
	}
	ids, _ := in["targetIds"].([]any)
	var targets []any
	for _, id := range ids {
		if id != d.targetID() {
			return nil, &apiErr{"DeploymentTargetDoesNotExistException", fmt.Sprintf("The target %v does not exist in deployment %s", id, d.id)}
		}
		var events []any
		for i, name := range Events {
			e := map[string]any{"lifecycleEventName": name, "status": d.events[i]}
			if d.events[i] == "Failed" && d.diag != nil {
				e["diagnostics"] = d.diag
			}
			events = append(events, e)
		}
		status := map[string]string{"Succeeded": "Succeeded", "Failed": "Failed", "Stopped": "Failed"}[d.status]
		if status == "" {
			status = "InProgress"
		}
		targets = append(targets, map[string]any{"deploymentTargetType": "ECSTarget", "ecsTarget": map[string]any{
			"deploymentId": d.id, "targetId": d.targetID(), "status": status, "lifecycleEvents": events,
			"targetArn": "arn:aws:ecs:eu-west-2:123456789012:service/" + d.g.cluster + "/" + d.g.service, "lastUpdatedAt": epoch(time.Now())}})
	}
	return map[string]any{"deploymentTargets": targets}, nil
}

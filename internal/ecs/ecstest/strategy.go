package ecstest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Service deployments, as ECS keeps them for a service whose deploymentConfiguration has a strategy
// other than ROLLING, or deployment alarms. Behaviour follows the Amazon ECS API Reference and
// Developer Guide:
//   - API_DeploymentConfiguration.html, API_CanaryConfiguration.html, API_LinearConfiguration.html,
//     API_DeploymentAlarms.html: UpdateService's deploymentConfiguration (strategy ROLLING,
//     BLUE_GREEN, CANARY or LINEAR; bakeTimeInMinutes; canaryConfiguration only with CANARY,
//     linearConfiguration only with LINEAR, else an InvalidParameterException) is kept by the
//     service for its later deployments.
//   - API_ServiceDeployment.html and service-deployment.html ("View service history using Amazon
//     ECS service deployments"): status PENDING → IN_PROGRESS → SUCCESSFUL; ROLLBACK_REQUESTED →
//     ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL; STOP_REQUESTED → STOPPED. lifecycleStage moves
//     through PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT,
//     PRODUCTION_TRAFFIC_SHIFT (once for blue/green; the canary step, then the rest, for canary; a
//     step at a time for linear), POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP
//     (deployment-type-blue-green.html). targetServiceRevision and sourceServiceRevisions carry
//     task counts and requestedProductionTrafficWeight; alarms carries triggeredAlarmNames.
//   - API_DescribeServiceDeployments.html: at most 20 ARNs; an unknown one is a failure, not an error.
//   - API_StopServiceDeployment.html: stopType ROLLBACK (the default) rolls an ongoing deployment
//     back, ABORT stops it; a deployment that has ended is a ConflictException.
//   - API_UpdateService.html: the answer's service has currentServiceDeployment, the new one's ARN.
//
// Time moves by polls here too: each DescribeServices or DescribeServiceDeployments that shows a
// service moves its ongoing service deployment one step; each minute of a bake is one poll.

// Poll is what one DescribeServiceDeployments answer said of a service deployment.
type Poll struct {
	Status, Stage string
	Production    float64 // the new revision's share of production traffic, in percent
}

type serviceDeployment struct {
	ARN, Status, Stage, Reason string
	RollbackReason             string
	config                     map[string]any
	steps                      []step
	at                         int
	source, target             *deployment
	sourceRev, targetRev       string
	triggered                  []string
	breaker                    bool
	created, finished          time.Time
	polls                      []Poll
}

type step struct {
	stage      string
	production float64
	test       float64
}

// SetAlarm puts a CloudWatch alarm into the ALARM state: an ongoing service deployment whose
// deploymentConfiguration.alarms names it, enabled, is rolled back from its next poll.
func (f *Fake) SetAlarm(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alarms = append(f.alarms, name)
}

// Polls lists what DescribeServiceDeployments answered of the service's service deployments, oldest first.
func (f *Fake) Polls(service string) []Poll {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Poll
	for _, sd := range f.clusters["main"].services[service].sds {
		out = append(out, sd.polls...)
	}
	return out
}

// checkDeploymentConfiguration refuses what ECS refuses of a deploymentConfiguration.
func checkDeploymentConfiguration(dc map[string]any) *apiErr {
	strategy := str(dc, "strategy")
	if strategy != "" && !slices.Contains([]string{"ROLLING", "BLUE_GREEN", "CANARY", "LINEAR"}, strategy) {
		return &apiErr{"InvalidParameterException", "Invalid deployment strategy: " + strategy}
	}
	if dc["canaryConfiguration"] != nil && strategy != "CANARY" {
		return &apiErr{"InvalidParameterException", "canaryConfiguration can only be specified when the strategy is CANARY."}
	}
	if dc["linearConfiguration"] != nil && strategy != "LINEAR" {
		return &apiErr{"InvalidParameterException", "linearConfiguration can only be specified when the strategy is LINEAR."}
	}
	if b, ok := dc["bakeTimeInMinutes"].(float64); ok && (b < 0 || b > 1440) {
		return &apiErr{"InvalidParameterException", "bakeTimeInMinutes must be between 0 and 1440."}
	}
	return nil
}

// followed reports whether the service's deployments are service deployments the fake steps.
func followed(dc map[string]any) bool {
	alarms, _ := dc["alarms"].(map[string]any)
	enabled, _ := alarms["enable"].(bool)
	return (str(dc, "strategy") != "" && str(dc, "strategy") != "ROLLING") || enabled
}

func num(m map[string]any, k string, def float64) float64 {
	if v, ok := m[k].(float64); ok {
		return v
	}
	return def
}

// plan is the steps of a service deployment, one poll each.
func plan(dc map[string]any, sc Scenario) []step {
	strategy := str(dc, "strategy")
	if strategy == "" || strategy == "ROLLING" {
		steps := []step{}
		for range max(sc.Ticks, 1) {
			steps = append(steps, step{stage: "SCALE_UP"})
		}
		return append(steps, step{stage: "CLEAN_UP", production: 100})
	}
	steps := []step{{stage: "PRE_SCALE_UP"}, {stage: "SCALE_UP"}, {stage: "POST_SCALE_UP"},
		{stage: "TEST_TRAFFIC_SHIFT", test: 100}, {stage: "POST_TEST_TRAFFIC_SHIFT", test: 100}}
	shift := func(p float64, minutes int) {
		for range max(minutes, 1) {
			steps = append(steps, step{stage: "PRODUCTION_TRAFFIC_SHIFT", production: p, test: 100})
		}
	}
	switch strategy {
	case "CANARY":
		c, _ := dc["canaryConfiguration"].(map[string]any)
		shift(num(c, "canaryPercent", 5), int(num(c, "canaryBakeTimeInMinutes", 10)))
	case "LINEAR":
		l, _ := dc["linearConfiguration"].(map[string]any)
		for p := num(l, "stepPercent", 10); p < 100; p += num(l, "stepPercent", 10) {
			shift(p, int(num(l, "stepBakeTimeInMinutes", 6)))
		}
	}
	shift(100, 1)
	steps = append(steps, step{stage: "POST_PRODUCTION_TRAFFIC_SHIFT", production: 100, test: 100})
	for range int(num(dc, "bakeTimeInMinutes", 0)) {
		steps = append(steps, step{stage: "BAKE_TIME", production: 100, test: 100})
	}
	return append(steps, step{stage: "CLEAN_UP", production: 100, test: 100})
}

// startServiceDeployment records the service deployment of d, the new PRIMARY deployment, when
// the service's configuration makes it one the fake steps.
func (f *Fake) startServiceDeployment(s *service, d, source *deployment) {
	if !followed(s.config) {
		return
	}
	sd := &serviceDeployment{ARN: account + "service-deployment/main/" + s.Name + "/" + f.id(), Status: "PENDING",
		config: s.config, steps: plan(s.config, d.scenario), source: source, target: d, created: time.Now(),
		sourceRev: account + "service-revision/main/" + s.Name + "/" + f.id(), targetRev: account + "service-revision/main/" + s.Name + "/" + f.id()}
	for _, old := range s.sds {
		if old.ongoing() {
			old.Status, old.Reason, old.finished = "STOPPED", "Superseded by a newer service deployment.", time.Now()
		}
	}
	s.sds = append(s.sds, sd)
	d.sd = sd
}

func (sd *serviceDeployment) ongoing() bool {
	return !slices.Contains([]string{"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"}, sd.Status)
}

// step moves the service deployment of d one poll along.
func (f *Fake) step(s *service, d *deployment) {
	sd := d.sd
	switch sd.Status {
	case "ROLLBACK_REQUESTED":
		sd.Status = "ROLLBACK_IN_PROGRESS"
		return
	case "ROLLBACK_IN_PROGRESS":
		sd.Status, sd.finished = "ROLLBACK_SUCCESSFUL", time.Now()
		d.Rollout, d.Reason, d.Running, d.Pending = "FAILED", sd.RollbackReason, 0, 0
		sd.source.Status, sd.source.Running = "PRIMARY", sd.source.Desired
		s.deployments = []*deployment{sd.source}
		s.TaskDef = sd.source.TaskDef
		f.event(s, "(service-deployment %s) rolled back: %s", lastPart(sd.ARN), sd.RollbackReason)
		return
	case "STOP_REQUESTED":
		sd.Status, sd.finished = "STOPPED", time.Now()
		d.Rollout = "FAILED"
		return
	}
	sd.Status = "IN_PROGRESS"
	if name := f.alarmFor(sd); name != "" {
		sd.triggered = []string{name}
		sd.rollBack("Alarm " + name + " is in ALARM state.")
		return
	}
	sc := d.scenario
	cur := sd.steps[min(sd.at, len(sd.steps)-1)]
	sd.Stage = cur.stage
	unhealthy := sc.Kind == NeverHealthy || sc.Kind == CrashLoop || sc.Kind == FailAt
	if unhealthy && cur.stage == "SCALE_UP" {
		d.Pending = d.Desired
		d.age++
		if d.age >= max(sc.Ticks, 1) && time.Since(d.Created) >= sc.After {
			d.Failed = FailureThresholdOf(d.Desired)
			sd.breaker = true
			sd.rollBack("ECS deployment circuit breaker: tasks failed to start.")
		}
		return
	}
	switch {
	case cur.stage == "SCALE_UP" && len(sd.steps) > 1 && sd.steps[1].stage == "SCALE_UP": // rolling: tasks replaced over the polls
		d.Running = min(d.Desired, d.Desired*(sd.at+1)/max(sc.Ticks, 1))
		d.Pending = d.Desired - d.Running
	case cur.stage == "SCALE_UP" || sd.at > 1:
		d.Running, d.Pending = d.Desired, 0
	}
	sd.at++
	if sd.at > len(sd.steps) {
		sd.Status, sd.finished = "SUCCESSFUL", time.Now()
		d.Rollout = "COMPLETED"
		s.deployments = []*deployment{d}
		s.TaskDef = d.TaskDef
		f.event(s, "(service-deployment %s) completed.", lastPart(sd.ARN))
	}
}

// FailureThresholdOf is the circuit breaker's threshold the fake reports (half the desired count,
// at least 3, at most 200: "Amazon ECS deployment circuit breaker", deployment-circuit-breaker.html).
func FailureThresholdOf(desired int) int { return min(max((desired+1)/2, 3), 200) }

func (sd *serviceDeployment) rollBack(reason string) {
	sd.Status, sd.Reason, sd.RollbackReason = "ROLLBACK_IN_PROGRESS", reason, reason
}

// alarmFor is the first alarm in ALARM that the deployment's configuration watches.
func (f *Fake) alarmFor(sd *serviceDeployment) string {
	alarms, _ := sd.config["alarms"].(map[string]any)
	if on, _ := alarms["enable"].(bool); !on {
		return ""
	}
	names, _ := alarms["alarmNames"].([]any)
	for _, n := range names {
		if slices.Contains(f.alarms, n.(string)) {
			return n.(string)
		}
	}
	return ""
}

func (sd *serviceDeployment) production() float64 {
	switch {
	case sd.Status == "SUCCESSFUL":
		return 100
	case sd.Status != "IN_PROGRESS" || sd.at == 0:
		return 0
	}
	return sd.steps[min(sd.at, len(sd.steps))-1].production
}

func (sd *serviceDeployment) view(c *cluster, s *service) map[string]any {
	prod := sd.production()
	v := map[string]any{"serviceDeploymentArn": sd.ARN, "serviceArn": s.ARN, "clusterArn": c.arn, "status": sd.Status,
		"createdAt": epoch(sd.created), "startedAt": epoch(sd.created), "updatedAt": epoch(time.Now()),
		"deploymentConfiguration": sd.config,
		"targetServiceRevision": map[string]any{"arn": sd.targetRev, "requestedTaskCount": sd.target.Desired,
			"runningTaskCount": sd.target.Running, "pendingTaskCount": sd.target.Pending, "requestedProductionTrafficWeight": prod,
			"requestedTestTrafficWeight": 100.0},
		"deploymentCircuitBreaker": map[string]any{"status": "MONITORING", "failureCount": sd.target.Failed, "threshold": FailureThresholdOf(sd.target.Desired)},
	}
	if sd.source != nil {
		v["sourceServiceRevisions"] = []any{map[string]any{"arn": sd.sourceRev, "requestedTaskCount": sd.source.Desired,
			"runningTaskCount": sd.source.Running, "pendingTaskCount": 0, "requestedProductionTrafficWeight": 100 - prod}}
	}
	if sd.Stage != "" {
		v["lifecycleStage"] = sd.Stage
	}
	if sd.Reason != "" {
		v["statusReason"] = sd.Reason
	}
	if sd.breaker {
		v["deploymentCircuitBreaker"].(map[string]any)["status"] = "TRIGGERED"
	}
	if !sd.finished.IsZero() {
		v["finishedAt"] = epoch(sd.finished)
	}
	if sd.RollbackReason != "" {
		v["rollback"] = map[string]any{"reason": sd.RollbackReason, "startedAt": epoch(time.Now()), "serviceRevisionArn": sd.sourceRev}
	}
	if alarms, _ := sd.config["alarms"].(map[string]any); alarms != nil {
		status := "MONITORING"
		if len(sd.triggered) > 0 {
			status = "TRIGGERED"
		}
		v["alarms"] = map[string]any{"alarmNames": alarms["alarmNames"], "status": status, "triggeredAlarmNames": sd.triggered}
	}
	return v
}

func (f *Fake) findServiceDeployment(arn string) (*cluster, *service, *serviceDeployment) {
	for _, c := range f.clusters {
		for _, s := range c.services {
			for _, sd := range s.sds {
				if sd.ARN == arn {
					return c, s, sd
				}
			}
		}
	}
	return nil, nil, nil
}

func (f *Fake) describeServiceDeployments(in map[string]any) (any, *apiErr) {
	arns, _ := in["serviceDeploymentArns"].([]any)
	if len(arns) == 0 || len(arns) > 20 {
		return nil, &apiErr{"InvalidParameterException", "serviceDeploymentArns must have 1 to 20 items."}
	}
	deps, failures := []any{}, []any{}
	ticked := map[*service]bool{}
	for _, a := range arns {
		c, s, sd := f.findServiceDeployment(fmt.Sprint(a))
		if sd == nil {
			failures = append(failures, map[string]any{"arn": a, "reason": "MISSING", "detail": "service deployment not found"})
			continue
		}
		if !ticked[s] {
			ticked[s] = true
			f.tick(c, s)
		}
		sd.polls = append(sd.polls, Poll{Status: sd.Status, Stage: sd.Stage, Production: sd.production()})
		deps = append(deps, sd.view(c, s))
	}
	return map[string]any{"serviceDeployments": deps, "failures": failures}, nil
}

func (f *Fake) stopServiceDeployment(in map[string]any) (any, *apiErr) {
	arn := str(in, "serviceDeploymentArn")
	_, _, sd := f.findServiceDeployment(arn)
	if sd == nil {
		return nil, &apiErr{"ServiceDeploymentNotFoundException", "The service deployment does not exist."}
	}
	if !sd.ongoing() || strings.HasPrefix(sd.Status, "ROLLBACK") || sd.Status == "STOP_REQUESTED" {
		return nil, &apiErr{"ConflictException", "The service deployment is " + sd.Status + " and cannot be stopped."}
	}
	switch str(in, "stopType") {
	case "", "ROLLBACK":
		sd.Status, sd.RollbackReason = "ROLLBACK_REQUESTED", "Rollback requested by StopServiceDeployment."
		sd.Reason = sd.RollbackReason
	case "ABORT":
		sd.Status = "STOP_REQUESTED"
	default:
		return nil, &apiErr{"InvalidParameterException", "stopType must be ABORT or ROLLBACK."}
	}
	return map[string]any{"serviceDeploymentArn": arn}, nil
}

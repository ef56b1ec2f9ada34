package ecs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/preflight"
	"github.com/slipway-actions/slipway/internal/schedule"
)

// Service is one service to deploy and the task definition file it gets.
type Service struct{ Name, File string }

// Migration is a command run as a one-off task of the first service's new task definition before
// any service is updated.
type Migration struct {
	Container string
	Command   []string
	Timeout   time.Duration // how long the task may run; then it is stopped and the deploy fails
}

// Waiting is how a run follows its deployments; a deploy and a rollback share it.
type Waiting struct {
	Wait         bool          // follow each deployment until it is known to have completed or failed
	Timeout      time.Duration // how long each deployment, a rollback's too, may take from its UpdateService
	PollInterval time.Duration // one DescribeServices for all services per interval
	CancelGrace  time.Duration // once the run is cancelled, how long it may still work (rollback, stopping a migration, deregistering), from the cancel; 0 is DefaultCancelGrace

	window *cancelWindow // the run's, from Deploy or RollBack
}

// opened returns w with the run's cancel window open on ctx, and the function that closes it.
func (w Waiting) opened(ctx context.Context) (Waiting, func() bool) {
	var stop func() bool
	w.window, stop = openCancelWindow(ctx, w.grace())
	return w, stop
}

func (w Waiting) grace() time.Duration {
	if w.CancelGrace > 0 {
		return w.CancelGrace
	}
	return DefaultCancelGrace
}

func (w Waiting) check() []error {
	var errs []error
	if w.PollInterval <= 0 {
		errs = append(errs, errors.New("the poll interval must be more than 0"))
	}
	if w.Timeout <= 0 {
		errs = append(errs, errors.New("the timeout must be more than 0: it bounds each deployment and each rollback"))
	}
	return errs
}

// Options is one deploy.
type Options struct {
	Cluster           string
	Services          []Service
	Images            map[string]string            // container → image
	Env               map[string]map[string]string // container → name → value
	Secrets           map[string]map[string]string // container → name → ARN of a Secrets Manager secret or SSM parameter
	ShowValues        bool                         // diffs print environment values
	Migration         *Migration
	RunTask           *RunTask   // a one-off task before, after or instead of the deploy (runtask.go)
	CodeDeploy        CodeDeploy // how services with a CODE_DEPLOY controller deploy (codedeploy.go)
	RollBackOnFailure bool       // after a failed deploy, put every updated service back on its previous task definition
	KeepRevisions     int
	DryRun            bool
	Version           *semver.Version // the release deployed, recorded as each new revision's VersionTag; nil records none and compares nothing
	AllowDowngrade    bool            // deploy even where a service runs a newer release
	Strategy          Strategy        // how ECS moves each service, and the alarms that roll it back
	Waiting
}

// Statuses of a service's deploy or rollback.
const (
	StatusCompleted       = "COMPLETED"
	StatusFailed          = "FAILED"
	StatusRolledBack      = "ROLLED_BACK"
	StatusRollbackFailed  = "ROLLBACK_FAILED"
	StatusRollbackStarted = "ROLLBACK_STARTED" // issued, not followed to the end (wait: false, or the run was cancelled)
	StatusSkipped         = "SKIPPED"          // a rollback left it alone: it no longer runs the revision the deploy set
	StatusInProgress      = "IN_PROGRESS"      // not waited for
	StatusDryRun          = "DRY_RUN"
	StatusNotStarted      = "NOT_STARTED"
)

// ServiceResult is what happened to one service. TaskDefinitionARN is what the run moved it to (a
// rollback: the revision it goes back to) and PreviousTaskDefinitionARN what it ran before.
type ServiceResult struct {
	Service                   string        `json:"service"`
	TaskDefinitionARN         string        `json:"task-definition-arn"`
	PreviousTaskDefinitionARN string        `json:"previous-task-definition-arn"`
	Version                   string        `json:"version,omitempty"`          // the release the run deploys
	PreviousVersion           string        `json:"previous-version,omitempty"` // the release it ran before, when known
	DeploymentID              string        `json:"deployment-id"`
	ServiceDeploymentARN      string        `json:"service-deployment-arn,omitempty"` // followed when the strategy is native or alarms are set
	Status                    string        `json:"status"`
	Reason                    string        `json:"reason,omitempty"`
	StoppedTasks              []string      `json:"stopped-tasks,omitempty"`
	LifecycleEvents           []string      `json:"lifecycle-events,omitempty"` // a CodeDeploy deployment's, when it failed
	Diff                      string        `json:"-"`
	VersionCheck              string        `json:"-"` // how Version compares with the release it runs; "" when the run has no version
	Took                      time.Duration `json:"-"`

	next       *ecs.RegisterTaskDefinitionInput
	family     string
	superseded bool
	failure    fault
	codeDeploy *codeDeployTarget // set when the service's deployment controller is CODE_DEPLOY
}

// Report is what a deploy or a rollback did.
type Report struct {
	IsRollback bool // a rollback run (RollBack), not a deploy
	Services   []*ServiceResult
	Migration  *MigrationResult
	RunTask    *TaskResult
	Pruned     []string
	Scheduled  []schedule.Move // the scheduled tasks the run moves (a dry run: would move)
	// ScheduledMoved are those it moved.
	ScheduledMoved []schedule.Move

	described map[string]types.Service
}

// Failed reports whether anything of the run failed.
func (r *Report) Failed() bool {
	for _, s := range r.Services {
		if s.failure != notFailed {
			return true
		}
	}
	return (r.Migration != nil && r.Migration.failure != notFailed) || (r.RunTask != nil && r.RunTask.failure != notFailed)
}

// PublicNames lists the names this run prints and outputs anyway: services and their ARNs, task
// definition ARNs and families, containers and images. A value found inside one of them cannot be
// hidden from the log, and masking it would refuse the outputs that name it.
func (r *Report) PublicNames() []string {
	var names []string
	for _, s := range r.Services {
		names = append(names, s.Service, s.family, s.TaskDefinitionARN, s.PreviousTaskDefinitionARN)
		if s.next != nil {
			for _, c := range s.next.ContainerDefinitions {
				names = append(names, aws.ToString(c.Name), aws.ToString(c.Image))
			}
		}
	}
	for _, s := range r.described {
		names = append(names, aws.ToString(s.ServiceArn), aws.ToString(s.ClusterArn))
	}
	return slices.DeleteFunc(names, func(s string) bool { return s == "" })
}

// err is the run's error: nil when nothing failed, marked failure.Failed when a deployment, rollback or
// migration ran and failed, else a plain error (ECS could not be read or refused a call, the run was
// cancelled). It lists every service whose status is not one of good.
func (r *Report) err(what string, good ...string) error {
	if !r.Failed() {
		return nil
	}
	var why []string
	ran := (r.Migration != nil && r.Migration.failure == judged) || (r.RunTask != nil && r.RunTask.failure == judged)
	for _, s := range r.Services {
		ran = ran || s.failure == judged
		if !slices.Contains(good, s.Status) {
			why = append(why, s.Service+" "+strings.ToLower(strings.ReplaceAll(s.Status, "_", " "))+reasonSuffix(s.Reason))
		}
	}
	if t := r.RunTask; t != nil && t.failure != notFailed {
		why = append(why, "run-task "+t.Reason)
	}
	err := fmt.Errorf("%s failed: %s", what, strings.Join(why, "; "))
	if ran {
		return failure.Failed(err)
	}
	return err
}

// Deployer deploys with one ECS client.
type Deployer struct {
	ECS        API
	Logs       LogsAPI                          // nil: one-off tasks' logs are not read
	CodeDeploy CodeDeployAPI                    // nil: a service with a CODE_DEPLOY controller cannot be deployed
	Infof      func(format string, args ...any) // progress lines
	Untrusted  io.Writer                        // ECS events, stop reasons and logs: text we do not control
	Verify     *preflight.Checker               // nil: Prepare does not verify what the task definitions need
	Scheduled  *schedule.Mover                  // nil: scheduled tasks are left on the revisions they run

	seen map[string]bool // service events printed already, by id: a rollback's wait does not repeat the deploy's
}

func (d *Deployer) untrusted(format string, args ...any) {
	if d.Untrusted != nil {
		_, _ = fmt.Fprintf(d.Untrusted, format+"\n", args...)
	}
}

// Prepare reads and renders every task definition and checks the services against the cluster:
// each must be active and, when o has a Version, run no newer release (see checkVersion). Every
// problem is reported at once, as bad input, before anything is registered.
func (d *Deployer) Prepare(ctx context.Context, o Options) (*Report, error) {
	rep := &Report{}
	if errs := o.render(rep); len(errs) > 0 {
		return rep, failure.BadInput(errors.Join(errs...))
	}
	found, err := d.describe(ctx, o.Cluster, o.Services)
	if err != nil {
		return rep, err
	}
	var errs []error
	for _, r := range rep.Services {
		s, ok := found[r.Service]
		if !ok || aws.ToString(s.Status) != "ACTIVE" {
			errs = append(errs, fmt.Errorf("service %q is not an active service of cluster %s", r.Service, o.Cluster))
			continue
		}
		problems, err := d.againstRunning(ctx, o, r, s)
		if err != nil {
			return rep, err
		}
		errs = append(errs, problems...)
	}
	problems, err := d.verify(ctx, rep, found)
	if err != nil {
		return rep, err
	}
	if errs = append(errs, problems...); len(errs) > 0 {
		return rep, failure.BadInput(errors.Join(errs...))
	}
	rep.described = found
	return rep, d.planScheduled(ctx, rep)
}

// render reads and renders every service's task definition into rep, and names what the inputs get
// wrong across them: a container no task definition has, a variable in both environment and secrets,
// a migration or one-off task container the service lacks.
func (o Options) render(rep *Report) []error {
	errs := o.check()
	used := map[string]bool{}
	readAll := true
	for _, s := range o.Services {
		r := &ServiceResult{Service: s.Name, Status: StatusNotStarted}
		rep.Services = append(rep.Services, r)
		td, err := ReadTaskDefinition(s.File)
		if err != nil {
			errs = append(errs, fmt.Errorf("service %s: task definition: %w", s.Name, err))
			readAll = false
			continue
		}
		// A container missing here may be another service's: checked across all of them below.
		r.next, _ = Render(td, o.Images, o.Env, o.Secrets)
		r.next.Tags = withVersion(r.next.Tags, o.Version)
		r.family = aws.ToString(td.Family)
		if o.Version != nil {
			r.Version = o.Version.String()
		}
		for _, c := range Containers(td) {
			used[c] = true
		}
	}
	for _, n := range slices.Sorted(maps.Keys(setOf(slices.Concat(keys(o.Images), keys(o.Env), keys(o.Secrets))))) {
		if readAll && !used[n] {
			errs = append(errs, fmt.Errorf("container %q is in no task definition (containers: %s)", n, strings.Join(keys(used), ", ")))
		}
	}
	for _, c := range keys(o.Env) {
		for _, name := range keys(o.Env[c]) {
			if _, ok := o.Secrets[c][name]; ok {
				errs = append(errs, fmt.Errorf("container %s: %s is in both environment and secrets; keep one", c, name))
			}
		}
	}
	if m := o.Migration; m != nil && len(rep.Services) > 0 && rep.Services[0].next != nil {
		if !slices.Contains(Containers(rep.Services[0].next), m.Container) {
			errs = append(errs, fmt.Errorf("migration-container %q is not a container of service %s's task definition", m.Container, rep.Services[0].Service))
		}
	}
	errs = append(errs, o.checkRunTask(rep)...)
	return errs
}

// againstRunning compares a service's rendered revision with the one it runs: the diff, the release
// (no downgrade), and a CODE_DEPLOY service's deployment group. Problems are bad input; the error is
// ECS or CodeDeploy failing.
func (d *Deployer) againstRunning(ctx context.Context, o Options, r *ServiceResult, s types.Service) ([]error, error) {
	var errs []error
	r.PreviousTaskDefinitionARN = running(s)
	out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(r.PreviousTaskDefinitionARN), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil {
		return nil, fmt.Errorf("service %s: describe its task definition: %w", r.Service, err)
	}
	current := FromDescribed(out.TaskDefinition)
	current.Tags = out.Tags
	r.Diff = Diff(current, r.next, r.PreviousTaskDefinitionARN, "rendered "+r.family, o.ShowValues)
	if err := checkVersion(o, r, out); err != nil {
		errs = append(errs, err)
	}
	problem, err := d.prepareCodeDeploy(ctx, o, r, s)
	if err != nil {
		return nil, err
	}
	if problem != nil {
		errs = append(errs, problem)
	}
	return errs, nil
}

func (o Options) check() []error {
	errs := o.Waiting.check()
	for _, p := range o.Strategy.Check() {
		errs = append(errs, errors.New(p.String()))
	}
	if o.Migration != nil && o.Migration.Timeout <= 0 {
		errs = append(errs, errors.New("the migration timeout must be more than 0"))
	}
	if len(o.Services) == 0 {
		errs = append(errs, errors.New("no service to deploy"))
	}
	return errs
}

// describe reads the named services, in batches of ten (DescribeServices' limit).
func (d *Deployer) describe(ctx context.Context, cluster string, services []Service) (map[string]types.Service, error) {
	found := map[string]types.Service{}
	for batch := range slices.Chunk(services, 10) {
		var names []string
		for _, s := range batch {
			names = append(names, s.Name)
		}
		out, err := d.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: names})
		if err != nil {
			if errors.As(err, new(*types.ClusterNotFoundException)) {
				return nil, failure.BadInput(fmt.Errorf("cluster %q not found: %w", cluster, err))
			}
			return nil, fmt.Errorf("describe services in %s: %w", cluster, err)
		}
		for _, s := range out.Services {
			found[aws.ToString(s.ServiceName)] = s
		}
	}
	return found, nil
}

// running is the task definition of the service's PRIMARY deployment: the one it runs, or is moving to.
func running(s types.Service) string {
	for _, dep := range s.Deployments {
		if aws.ToString(dep.Status) == "PRIMARY" {
			return aws.ToString(dep.TaskDefinition)
		}
	}
	return aws.ToString(s.TaskDefinition)
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func setOf(names []string) map[string]bool {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return set
}

// Deploy registers the rendered task definitions, runs the migration, updates every service and,
// with Wait, follows each deployment until it is known to have completed or failed. When one fails
// and RollBackOnFailure is set, every service that was updated goes back to its previous task
// definition: the rollback starts first, on its own context, even when the run was cancelled; why
// the failed tasks stopped is read after it, while time remains.
func (d *Deployer) Deploy(ctx context.Context, o Options, rep *Report) error {
	if o.DryRun {
		d.plan(o, rep)
		return nil
	}
	var closeWindow func() bool
	o.Waiting, closeWindow = o.Waiting.opened(ctx)
	defer closeWindow()
	if err := d.register(ctx, o, rep); err != nil {
		return err
	}
	if o.Migration != nil {
		m, err := d.migrate(ctx, o, rep)
		rep.Migration = m
		if err != nil {
			return err
		}
	}
	if rt := o.RunTask; rt != nil && rt.When != RunAfter {
		if err := d.runTask(ctx, o, rep); err != nil || rt.When == RunAlone {
			return err
		}
	}
	updated, viaCodeDeploy := d.update(ctx, o, rep)
	if !o.Wait {
		for _, r := range updated {
			d.Infof("wait: false: not waiting for %s (deployment %s): IN_PROGRESS, whether it works is not known", r.Service, r.DeploymentID)
		}
	}
	ws := d.followUpdated(ctx, o, updated)
	d.waitCodeDeploy(ctx, o.Waiting, viaCodeDeploy)
	if rt := o.RunTask; rt != nil && rt.When == RunAfter && o.Wait && !rep.Failed() {
		_ = d.runTask(ctx, o, rep) // its failure is the report's
	}
	var scheduled error
	if !rep.Failed() {
		scheduled = d.moveScheduled(ctx, rep)
	}
	switch {
	case rep.Failed() && o.RollBackOnFailure:
		d.rollBackFailedDeploy(o, updated, ws)
	case rep.Failed():
		d.diagnose(ctx, o.Cluster, ws)
	case o.Wait && o.KeepRevisions > 0:
		rep.Pruned = d.prune(ctx, o, rep)
	}
	return errors.Join(rep.err("deploy", StatusCompleted, StatusDryRun, StatusInProgress), scheduled)
}

// update starts every service's deployment: UpdateService, or a CodeDeploy deployment for a
// CODE_DEPLOY service; it stops at the first that cannot start.
func (d *Deployer) update(ctx context.Context, o Options, rep *Report) (updated, viaCodeDeploy []*ServiceResult) {
	for _, r := range rep.Services {
		if r.codeDeploy != nil {
			if !d.startCodeDeploy(ctx, o.CodeDeploy.Hooks, o.Wait, r) {
				break
			}
			viaCodeDeploy = append(viaCodeDeploy, r)
			continue
		}
		out, err := d.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(o.Cluster), Service: aws.String(r.Service), TaskDefinition: aws.String(r.TaskDefinitionARN),
			DeploymentConfiguration: o.Strategy.config()})
		if err != nil {
			r.Status, r.Reason, r.failure = StatusFailed, "update service: "+err.Error(), unreadable
			if ctx.Err() != nil {
				r.failure = interrupted
			}
			break
		}
		updated = append(updated, r)
		r.Status = StatusInProgress
		r.DeploymentID = deploymentOf(out.Service, r.TaskDefinitionARN)
		if o.Strategy.followed() && out.Service != nil {
			r.ServiceDeploymentARN = aws.ToString(out.Service.CurrentServiceDeployment)
		}
		d.Infof("updated %s to %s (deployment %s)", r.Service, r.TaskDefinitionARN, r.DeploymentID)
	}
	return updated, viaCodeDeploy
}

// followUpdated waits for the updated services' deployments (with wait) and sets each one's outcome.
func (d *Deployer) followUpdated(ctx context.Context, o Options, updated []*ServiceResult) []*watch {
	var ws []*watch
	if o.Wait && len(updated) > 0 {
		for _, r := range updated {
			ws = append(ws, &watch{r: r, id: r.DeploymentID, arn: r.TaskDefinitionARN, sd: r.ServiceDeploymentARN})
		}
		d.await(ctx, o.Cluster, o.Waiting, ws)
		for _, w := range ws {
			w.r.Status = StatusCompleted
			if !w.ok {
				w.r.Status, w.r.Reason, w.r.failure = StatusFailed, w.reason, w.failure
			}
		}
	}
	return ws
}

// plan says what a deploy would do, and marks every service DRY_RUN: a dry run stops here.
func (d *Deployer) plan(o Options, rep *Report) {
	for _, r := range rep.Services {
		d.Infof("dry run: would register a new revision of %s for service %s", r.family, r.Service)
	}
	if m := o.Migration; m != nil {
		d.Infof("dry run: would run the migration first: %s in container %s", strings.Join(m.Command, " "), m.Container)
	}
	if t := o.RunTask; t != nil {
		d.Infof("dry run: would run a one-off task (run-task-when: %s) of %s's new revision: %s in container %s", t.When, rep.service(t.Service).Service, strings.Join(t.Command, " "), t.Container)
		if t.When == RunAlone {
			for _, r := range rep.Services {
				r.Status = StatusDryRun
			}
			d.Infof("dry run: run-task-when: alone updates no service; nothing was registered or run")
			return
		}
	}
	strategy := ""
	if o.Strategy.followed() {
		strategy = " with " + o.Strategy.Describe()
	}
	then := ", then wait for its deployment"
	if !o.Wait {
		then = ", without waiting (wait: false)"
	}
	for _, r := range rep.Services {
		r.Status = StatusDryRun
		if r.codeDeploy != nil {
			d.Infof("dry run: would deploy %s from %s to the new revision through CodeDeploy (application %s, deployment group %s)%s", r.Service, lastPart(r.PreviousTaskDefinitionARN), r.codeDeploy.application, r.codeDeploy.group, then)
			continue
		}
		d.Infof("dry run: would update %s from %s to the new revision%s%s", r.Service, lastPart(r.PreviousTaskDefinitionARN), strategy, then)
	}
	for _, m := range rep.Scheduled {
		d.Infof("dry run: would move scheduled task %s, once its service's deployment completed", m)
	}
	d.Infof("dry run: nothing was registered, run or updated")
}

// deploymentOf is the id of the service's PRIMARY deployment of arn, "" when there is none yet.
func deploymentOf(s *types.Service, arn string) string {
	if s == nil {
		return ""
	}
	for _, dep := range s.Deployments {
		if aws.ToString(dep.Status) == "PRIMARY" && aws.ToString(dep.TaskDefinition) == arn {
			return aws.ToString(dep.Id)
		}
	}
	return ""
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

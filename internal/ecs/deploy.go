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

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Service is one service to deploy and the task definition file it gets.
type Service struct{ Name, File string }

// Migration is a command run as a one-off task of the first service's new task definition before
// any service is updated.
type Migration struct {
	Container string
	Command   []string
}

// Options is one deploy.
type Options struct {
	Cluster       string
	Services      []Service
	Images        map[string]string            // container → image
	Env           map[string]map[string]string // container → name → value
	Migration     *Migration
	Wait          bool
	Timeout       time.Duration
	PollInterval  time.Duration
	Rollback      bool
	KeepRevisions int
	DryRun        bool
}

// Statuses of a service's deploy.
const (
	StatusCompleted      = "COMPLETED"
	StatusFailed         = "FAILED"
	StatusRolledBack     = "ROLLED_BACK"
	StatusRollbackFailed = "ROLLBACK_FAILED"
	StatusInProgress     = "IN_PROGRESS" // not waited for
	StatusDryRun         = "DRY_RUN"
	StatusNotStarted     = "NOT_STARTED"
)

// ServiceResult is what happened to one service.
type ServiceResult struct {
	Service                   string        `json:"service"`
	TaskDefinitionARN         string        `json:"task-definition-arn"`
	PreviousTaskDefinitionARN string        `json:"previous-task-definition-arn"`
	DeploymentID              string        `json:"deployment-id"`
	Status                    string        `json:"status"`
	Reason                    string        `json:"reason,omitempty"`
	StoppedTasks              []string      `json:"stopped-tasks,omitempty"`
	Diff                      string        `json:"-"`
	Took                      time.Duration `json:"-"`

	next       *ecs.RegisterTaskDefinitionInput
	previous   *types.TaskDefinition
	family     string
	superseded bool
}

// Report is what a deploy did.
type Report struct {
	Services  []*ServiceResult
	Migration *MigrationResult
	Pruned    []string

	described map[string]types.Service
}

// Failed reports whether any service did not complete.
func (r *Report) Failed() bool {
	for _, s := range r.Services {
		if s.Status != StatusCompleted && s.Status != StatusDryRun && s.Status != StatusInProgress {
			return true
		}
	}
	return r.Migration != nil && r.Migration.ExitCode != 0
}

// Deployer deploys with one ECS client.
type Deployer struct {
	ECS       API
	Logs      LogsAPI                          // nil: migration logs are not read
	Infof     func(format string, args ...any) // progress lines
	Untrusted io.Writer                        // ECS events, stop reasons and logs: text we do not control
}

func (d *Deployer) untrusted(format string, args ...any) {
	if d.Untrusted != nil {
		_, _ = fmt.Fprintf(d.Untrusted, format+"\n", args...)
	}
}

// Prepare reads and renders every task definition and checks the services against the cluster.
// Every problem is reported at once, as bad input, before anything is registered.
func (d *Deployer) Prepare(ctx context.Context, o Options) (*Report, error) {
	rep := &Report{}
	var errs []error
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
		r.next, _ = Render(td, o.Images, o.Env)
		r.family = aws.ToString(td.Family)
		for _, c := range Containers(td) {
			used[c] = true
		}
	}
	for _, n := range slices.Concat(keys(o.Images), keys(o.Env)) {
		if readAll && !used[n] {
			errs = append(errs, fmt.Errorf("container %q is in no task definition (containers: %s)", n, strings.Join(keys(used), ", ")))
		}
	}
	if m := o.Migration; m != nil && len(rep.Services) > 0 && rep.Services[0].next != nil {
		if !slices.Contains(Containers(rep.Services[0].next), m.Container) {
			errs = append(errs, fmt.Errorf("migration-container %q is not a container of service %s's task definition", m.Container, rep.Services[0].Service))
		}
	}
	if len(errs) > 0 {
		return rep, &InputError{errors.Join(errs...)}
	}
	// The services, in batches of ten (DescribeServices' limit).
	found := map[string]types.Service{}
	for i := 0; i < len(o.Services); i += 10 {
		var names []string
		for _, s := range o.Services[i:min(i+10, len(o.Services))] {
			names = append(names, s.Name)
		}
		out, err := d.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(o.Cluster), Services: names})
		if err != nil {
			var nf *types.ClusterNotFoundException
			if errors.As(err, &nf) {
				return rep, &InputError{fmt.Errorf("cluster %q not found: %w", o.Cluster, err)}
			}
			return rep, fmt.Errorf("describe services in %s: %w", o.Cluster, err)
		}
		for _, s := range out.Services {
			found[aws.ToString(s.ServiceName)] = s
		}
	}
	for _, r := range rep.Services {
		s, ok := found[r.Service]
		if !ok || aws.ToString(s.Status) != "ACTIVE" {
			errs = append(errs, fmt.Errorf("service %q is not an active service of cluster %s", r.Service, o.Cluster))
			continue
		}
		r.PreviousTaskDefinitionARN = aws.ToString(s.TaskDefinition)
		for _, dep := range s.Deployments {
			if aws.ToString(dep.Status) == "PRIMARY" {
				r.PreviousTaskDefinitionARN = aws.ToString(dep.TaskDefinition)
			}
		}
	}
	if len(errs) > 0 {
		return rep, &InputError{errors.Join(errs...)}
	}
	for _, r := range rep.Services {
		out, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(r.PreviousTaskDefinitionARN), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
		if err != nil {
			return rep, fmt.Errorf("service %s: describe its task definition: %w", r.Service, err)
		}
		r.previous = out.TaskDefinition
		current := FromDescribed(out.TaskDefinition)
		current.Tags = out.Tags
		r.Diff = Diff(current, r.next, r.PreviousTaskDefinitionARN, "rendered "+r.family)
	}
	rep.described = found
	return rep, nil
}

func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// Deploy registers the rendered task definitions, runs the migration, updates every service and,
// with Wait, follows each deployment until it is known to have completed or failed. When one fails
// and Rollback is set, every service that was updated goes back to its previous task definition.
func (d *Deployer) Deploy(ctx context.Context, o Options, rep *Report) error {
	if o.DryRun {
		for _, r := range rep.Services {
			r.Status = StatusDryRun
		}
		return nil
	}
	for _, r := range rep.Services {
		out, err := d.ECS.RegisterTaskDefinition(ctx, r.next)
		if err != nil {
			return fmt.Errorf("service %s: register task definition %s: %w", r.Service, r.family, err)
		}
		r.TaskDefinitionARN = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
		d.Infof("registered %s for %s", r.TaskDefinitionARN, r.Service)
	}
	if o.Migration != nil {
		m, err := d.migrate(ctx, o, rep)
		rep.Migration = m
		if err != nil {
			return err
		}
	}
	var updated []*ServiceResult
	for _, r := range rep.Services {
		out, err := d.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(o.Cluster), Service: aws.String(r.Service), TaskDefinition: aws.String(r.TaskDefinitionARN)})
		if err != nil {
			r.Status, r.Reason = StatusFailed, err.Error()
			break
		}
		updated = append(updated, r)
		r.Status = StatusInProgress
		for _, dep := range out.Service.Deployments {
			if aws.ToString(dep.Status) == "PRIMARY" && aws.ToString(dep.TaskDefinition) == r.TaskDefinitionARN {
				r.DeploymentID = aws.ToString(dep.Id)
			}
		}
		d.Infof("updated %s to %s (deployment %s)", r.Service, r.TaskDefinitionARN, r.DeploymentID)
	}
	if o.Wait && len(updated) > 0 {
		var ws []*watch
		for _, r := range updated {
			ws = append(ws, &watch{r: r, id: r.DeploymentID, arn: r.TaskDefinitionARN})
		}
		d.wait(ctx, o, ws)
		for _, w := range ws {
			w.r.Status = StatusCompleted
			if !w.ok {
				w.r.Status, w.r.Reason = StatusFailed, w.reason
			}
		}
	}
	if rep.Failed() && o.Rollback {
		d.rollback(ctx, o, updated)
	}
	if !rep.Failed() && o.Wait && o.KeepRevisions > 0 {
		rep.Pruned = d.prune(ctx, o, rep)
	}
	if rep.Failed() {
		var why []string
		for _, r := range rep.Services {
			if r.Status != StatusCompleted {
				why = append(why, r.Service+" "+strings.ToLower(strings.ReplaceAll(r.Status, "_", " "))+reasonSuffix(r.Reason))
			}
		}
		return fmt.Errorf("deploy failed: %s", strings.Join(why, "; "))
	}
	return nil
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

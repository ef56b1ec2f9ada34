// Package ecsdeploy is the ecs-deploy action: it renders task definitions, runs a migration,
// deploys ECS services and waits until it knows whether each deployment worked, rolling back when
// not; with rollback: true it undoes a deploy, guarded. The one slipway program (cmd/slipway) runs
// it as `slipway ecs-deploy`, in the image and as a local CLI whose flags mirror the inputs.
package ecsdeploy

import (
	"context"
	_ "embed"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/workspace"
)

//go:embed action.yml
var actionYML []byte

func Main(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "ecs-deploy", actionYML, opts, parseConfig, run)
}

// ecs-deploy ends within actionkit.CancelWindow of a cancel's first signal: the work on ECS
// (rollback, stopping the migration, deregistering) within cancelGrace of it, the GitHub
// Deployment's status in githubStatusTime after that, then the outputs and the summary (local
// writes).
const (
	githubStatusTime = 2 * time.Second
	cancelGrace      = actionkit.CancelWindow - githubStatusTime
)

// config is every input of the action, typed and validated.
type config struct {
	IsRollback     bool // a rollback run: Undo, not Deploy
	Deploy         ecs.Options
	Undo           ecs.RollbackOptions
	Region         string
	GitHubToken    string
	EnvironmentURL string
	VersionFrom    string // where Deploy.Version came from, for the log
	Verify         bool   // a deploy checks what its task definitions need first (package preflight)
	FollowSchedule bool   // scheduled tasks of the deployed families move with the services
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	waiting := ecs.Waiting{Wait: in.Bool("wait"), Timeout: in.Duration("timeout"), PollInterval: in.Duration("poll-interval"), CancelGrace: cancelGrace}
	cfg := config{
		IsRollback: in.Bool("rollback"),
		Deploy: ecs.Options{
			Cluster:           in.String("cluster"),
			RollBackOnFailure: in.Bool("rollback-on-failure"),
			KeepRevisions:     in.Int("keep-revisions", 0, 1000),
			DryRun:            in.Bool("dry-run"),
			ShowValues:        in.Bool("show-environment-values"),
			Waiting:           waiting,
		},
		Region:         in.String("region"),
		Verify:         in.Bool("verify"),
		FollowSchedule: in.Enum("scheduled-tasks", "follow", "leave") == "follow",
		GitHubToken:    in.Secret("github-token"),
		EnvironmentURL: in.URL("environment-url"),
	}
	switch {
	case waiting.PollInterval <= 0:
		in.Invalid("poll-interval", "must be more than 0")
	case waiting.Timeout <= 0:
		in.Invalid("timeout", "must be more than 0: it bounds each deployment and each rollback's, and without it the job's timeout-minutes would end the run with nothing rolled back")
	case waiting.Wait && waiting.PollInterval > waiting.Timeout:
		in.Invalid("poll-interval", "%s is longer than timeout (%s)", waiting.PollInterval, waiting.Timeout)
	}
	services, results := in.Multiline("services"), in.String("results")
	d := readDeployInputs(in)
	if cfg.IsRollback {
		cfg.Undo = parseRollback(in, cfg, d, services, results)
	} else {
		parseDeploy(k, in, &cfg, d, services, results)
	}
	return cfg, in.Err()
}

// deployInputs are the inputs only a deploy uses. Both modes read them: a rollback refuses them.
type deployInputs struct {
	shared           string                       // task-definition
	images           map[string]string            // container → image
	env, secrets     map[string]map[string]string // container → name → value
	container        string
	command          []string
	migrationTimeout time.Duration
	version          string
	allowDowngrade   bool
	runTask          ecs.RunTask // run-task-*; Container "" when not given
	runTaskCommand   bool        // run-task-command was given
	codeDeploy       ecs.CodeDeploy
	strategy         ecs.Strategy
}

func readDeployInputs(in *actionkit.Inputs) deployInputs {
	d := deployInputs{shared: in.String("task-definition"), container: in.String("migration-container"),
		command: in.Multiline("migration-command"), migrationTimeout: in.Duration("migration-timeout"),
		version: in.String("version"), allowDowngrade: in.Bool("allow-downgrade")}
	d.runTask = ecs.RunTask{Container: in.String("run-task-container"), Command: in.Multiline("run-task-command"), When: in.String("run-task-when"),
		Service: in.String("run-task-service"), Timeout: in.Duration("run-task-timeout")}
	d.runTaskCommand = len(d.runTask.Command) > 0
	d.codeDeploy = ecs.CodeDeploy{Application: in.String("codedeploy-application"), DeploymentGroup: in.String("codedeploy-deployment-group")}
	for _, line := range in.Multiline("codedeploy-hooks") {
		event, fn, _ := strings.Cut(line, "=")
		event, fn = strings.TrimSpace(event), strings.TrimSpace(fn)
		if !slices.Contains(ecs.HookEvents, event) || fn == "" {
			in.Invalid("codedeploy-hooks", "%q is not event=Lambda function with an event of %s", line, strings.Join(ecs.HookEvents, ", "))
			continue
		}
		d.codeDeploy.Hooks = append(d.codeDeploy.Hooks, ecs.Hook{Event: event, Function: fn})
	}
	var err error
	if d.images, err = ecs.ParseImages(in.Multiline("images")); err != nil {
		in.Invalid("images", "%v", err)
	}
	if d.env, err = ecs.ParseEnvironment(in.Multiline("environment")); err != nil {
		in.Invalid("environment", "%v", err)
	}
	if d.secrets, err = ecs.ParseSecrets(in.Multiline("secrets")); err != nil {
		in.Invalid("secrets", "%v", err)
	}
	d.strategy = readStrategy(in)
	return d
}

// parseRollback reads a rollback run: what to go back to, from the deploy's results or as
// name=family:revision lines; every deploy-only input is refused.
func parseRollback(in *actionkit.Inputs, cfg config, d deployInputs, services []string, results string) ecs.RollbackOptions {
	o := cfg.Deploy
	undo := ecs.RollbackOptions{Cluster: o.Cluster, DryRun: o.DryRun, Waiting: o.Waiting,
		CodeDeploy: ecs.CodeDeploy{Application: d.codeDeploy.Application, DeploymentGroup: d.codeDeploy.DeploymentGroup}}
	for _, deployOnly := range []struct {
		name  string
		given bool
	}{{"task-definition", d.shared != ""}, {"images", len(d.images) > 0}, {"environment", len(d.env) > 0}, {"secrets", len(d.secrets) > 0},
		{"migration-container", d.container != ""}, {"migration-command", len(d.command) > 0},
		{"github-token", cfg.GitHubToken != ""}, {"environment-url", cfg.EnvironmentURL != ""}, {"version", d.version != ""},
		{"run-task-container", d.runTask.Container != ""}, {"run-task-command", d.runTaskCommand}, {"run-task-service", d.runTask.Service != ""},
		{"codedeploy-hooks", len(d.codeDeploy.Hooks) > 0},
		{"strategy", d.strategy.Kind != ecs.StrategyRolling}, {"alarms", len(d.strategy.Alarms) > 0}} {
		if deployOnly.given {
			in.Invalid(deployOnly.name, "is for a deploy; a rollback moves services back to revisions that exist")
		}
	}
	if d.allowDowngrade {
		in.Invalid("allow-downgrade", "is for a deploy; a rollback is a deliberate downgrade already")
	}
	var err error
	switch {
	case results != "" && len(services) > 0:
		in.Invalid("results", "give results or services, not both")
	case results != "":
		if undo.Targets, err = ecs.ParseResults(results); err != nil {
			in.Invalid("results", "%v", err)
		}
	case len(services) > 0:
		if undo.Targets, err = ecs.ParseExpected(services); err != nil {
			in.Invalid("services", "%v", err)
		}
	default:
		in.Invalid("results", "a rollback needs the results output of the deploy to undo, or services as name=family:revision")
	}
	return undo
}

// parseDeploy reads a deploy run: the services and their task definition files (in the workspace),
// what to set in them, the migration and the release version.
func parseDeploy(k *actionkit.Kit, in *actionkit.Inputs, cfg *config, d deployInputs, services []string, results string) {
	o := &cfg.Deploy
	if results != "" {
		in.Invalid("results", "is for rollback: true")
	}
	if len(services) == 0 {
		in.Invalid("services", "is required to deploy: name=task-definition-file per line")
	}
	o.Services = deployServices(in, k.Workspace(), services, d.shared)
	o.Images, o.Env, o.Secrets = d.images, d.env, d.secrets
	o.Version, cfg.VersionFrom = releaseVersion(in, d.version, k.Getenv("GITHUB_REF"))
	o.AllowDowngrade = d.allowDowngrade
	o.Strategy = d.strategy
	switch {
	case (d.container == "") != (len(d.command) == 0):
		in.Invalid("migration-container", "migration-container and migration-command go together")
	case d.container != "":
		o.Migration = &ecs.Migration{Container: d.container, Command: d.command, Timeout: d.migrationTimeout}
		if d.migrationTimeout <= 0 {
			in.Invalid("migration-timeout", "must be more than 0: a migration that never ends is stopped then")
		}
		if !o.Wait {
			in.Invalid("wait", "a migration is always waited for; wait: false would update services before knowing they work")
		}
	}
	o.CodeDeploy = d.codeDeploy
	o.RunTask = parseRunTask(in, *o, d)
	if cfg.EnvironmentURL != "" && cfg.GitHubToken == "" {
		in.Invalid("environment-url", "is shown on the GitHub Deployment, which needs github-token")
	}
}

// deployServices reads the services lines, name=file (or name alone, with task-definition's file).
func deployServices(in *actionkit.Inputs, ws string, lines []string, shared string) []ecs.Service {
	var out []ecs.Service
	for _, line := range lines {
		name, file, _ := strings.Cut(line, "=")
		name, file = strings.TrimSpace(name), strings.TrimSpace(file)
		input := "services"
		if file == "" {
			file, input = shared, "task-definition"
		}
		if name == "" || file == "" {
			in.Invalid("services", "%q names no task definition file, and task-definition is empty", line)
			continue
		}
		path, err := workspace.Resolve(ws, file)
		if err != nil {
			in.Invalid(input, "%v: task definition files are read from the workspace only", err)
			continue
		}
		out = append(out, ecs.Service{Name: name, File: path})
	}
	return out
}

// releaseVersion is the release a deploy is: the version input; else the one semver tag its images
// share (build-push-images tags a release 1.2.0, 1.2, 1); else the release tag the workflow runs
// for (GITHUB_REF refs/tags/v1.2.0). Nil when nothing says: the deploy records no version and
// compares none. It also says where the version came from.
func releaseVersion(in *actionkit.Inputs, given, ref string) (*semver.Version, string) {
	if given != "" {
		v, err := ecs.ParseVersion(given)
		if err != nil {
			in.Invalid("version", "%v", err)
			return nil, ""
		}
		return v, "the version input"
	}
	v, err := ecs.ImagesVersion(in.Multiline("images"))
	switch {
	case err != nil:
		in.Invalid("version", "not given, and %v: give the release this deploy is", err)
		return nil, ""
	case v != nil:
		return v, "the images' tags"
	}
	if tag, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		if v, err := ecs.ParseVersion(tag); err == nil {
			return v, "the tag " + tag
		}
	}
	return nil, ""
}

// parseRunTask reads the one-off task: container and command go together, run-task-when is one of
// before, after, alone; alone deploys nothing, so it takes one service and no migration. The
// checks against the task definitions come in ecs.Prepare.
func parseRunTask(in *actionkit.Inputs, o ecs.Options, d deployInputs) *ecs.RunTask {
	rt := d.runTask
	if (rt.Container == "") != !d.runTaskCommand {
		in.Invalid("run-task-container", "run-task-container and run-task-command go together")
		return nil
	}
	if rt.Container == "" {
		if rt.Service != "" {
			in.Invalid("run-task-service", "is for a one-off task: give run-task-container and run-task-command too")
		}
		return nil
	}
	switch rt.When {
	case ecs.RunBefore:
	case ecs.RunAfter:
		if !o.Wait {
			in.Invalid("run-task-when", "after runs once every deployment is known to have completed, which needs wait: true")
		}
	case ecs.RunAlone:
		if len(o.Services) > 1 {
			in.Invalid("run-task-when", "alone runs one task of one service's new revision and updates no service: give one service")
		}
		if o.Migration != nil {
			in.Invalid("run-task-when", "alone updates no service, so a migration has no deploy to go before")
		}
	default:
		in.Invalid("run-task-when", "%q is not one of before, after, alone", rt.When)
	}
	if rt.Timeout <= 0 {
		in.Invalid("run-task-timeout", "must be more than 0: a task that never ends is stopped then")
	}
	if rt.When == ecs.RunBefore && !o.Wait {
		in.Invalid("wait", "a one-off task before the deploy is always waited for; wait: false would update services before knowing it worked")
	}
	return &rt
}

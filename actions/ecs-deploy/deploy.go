package ecsdeploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/github"
	"github.com/slipway-actions/slipway/internal/preflight"
	"github.com/slipway-actions/slipway/internal/schedule"
)

// run loads AWS credentials (the SDK's default chain: env, web identity from
// configure-aws-credentials' OIDC, profile), then deploys or rolls back, and reports.
func run(ctx context.Context, k *actionkit.Kit, cfg config) error {
	clients := factory.New(k.Getenv, k.Debugf)
	awsCfg, err := clients.AWS(ctx, cfg.Region)
	if err != nil {
		return err
	}
	if awsCfg.Region == "" {
		return failure.BadInput(errors.New(`input "region": no AWS region: set region, or AWS_REGION (aws-actions/configure-aws-credentials does)`))
	}
	logs := cloudwatchlogs.NewFromConfig(awsCfg)
	d := &ecs.Deployer{ECS: awsecs.NewFromConfig(awsCfg), Logs: logs, CodeDeploy: codedeploy.NewFromConfig(awsCfg), Infof: k.Infof}
	if cfg.Verify && !cfg.IsRollback {
		d.Verify = &preflight.Checker{IAM: iam.NewFromConfig(awsCfg), Secrets: secretsmanager.NewFromConfig(awsCfg), SSM: ssm.NewFromConfig(awsCfg),
			Logs: logs, ECR: ecr.NewFromConfig(awsCfg), EC2: preflight.NewEC2(awsCfg), Region: awsCfg.Region}
	}
	if cfg.FollowSchedule {
		d.Scheduled = &schedule.Mover{Events: eventbridge.NewFromConfig(awsCfg), Scheduler: scheduler.NewFromConfig(awsCfg)}
	}
	start := time.Now()
	var rep *ecs.Report
	if cfg.IsRollback {
		w := k.Untrusted() // ECS events and stop reasons
		d.Untrusted = w
		rep, err = d.RollBack(ctx, cfg.Undo)
		_ = w.Close()
	} else {
		rep, err = deploy(ctx, k, clients, d, cfg, awsCfg.Region)
	}
	if rep != nil {
		report(k, cfg, rep, time.Since(start))
	}
	return err
}

// deploy prepares (every problem at once, nothing touched), masks the environment's values, prints
// the diffs, records a GitHub Deployment and deploys.
func deploy(ctx context.Context, k *actionkit.Kit, clients *factory.Factory, d *ecs.Deployer, cfg config, region string) (*ecs.Report, error) {
	if v := cfg.Deploy.Version; v != nil {
		guard := "no service may run a newer release"
		if cfg.Deploy.AllowDowngrade {
			guard = "allow-downgrade: it replaces a newer release too"
		}
		k.Infof("version %s (from %s): recorded as the %s tag of each new revision; %s", v, cfg.VersionFrom, ecs.VersionTag, guard)
	} else {
		k.Infof("no version (give version, tag the images X.Y.Z, or deploy from a release tag): none is recorded, and the releases the services run are not compared")
	}
	rep, err := d.Prepare(ctx, cfg.Deploy)
	maskEnvironment(k, cfg.Deploy, append(rep.PublicNames(), cfg.Deploy.Cluster, region))
	if err != nil {
		return rep, err
	}
	for _, r := range rep.Services {
		if r.VersionCheck != "" {
			k.Infof("%s: %s", r.Service, r.VersionCheck)
		}
	}
	for _, r := range rep.Services {
		if r.Diff == "" {
			k.Infof("%s: the rendered task definition equals the running one", r.Service)
			continue
		}
		k.Group("task definition diff for " + r.Service)
		w := k.Untrusted()
		_, _ = w.Write([]byte(r.Diff))
		_ = w.Close()
		k.EndGroup()
	}
	ghDep := startGitHubDeployment(ctx, k, clients, cfg, rep)
	w := k.Untrusted() // ECS events, stop reasons and the migration's log; no command while it is open
	d.Untrusted = w
	err = d.Deploy(ctx, cfg.Deploy, rep)
	_ = w.Close()
	if ghDep != nil {
		desc := "deployed"
		if err != nil {
			desc = "failed: " + k.Redact(err.Error()) // shown in the repository's Deployments page
		}
		// Bounded, and once the run is cancelled (before or meanwhile) by githubStatusTime, its part
		// of the cancel window (actionkit.CancelWindow).
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		stop := context.AfterFunc(ctx, func() { time.AfterFunc(githubStatusTime, cancel) })
		if ferr := ghDep.Finish(fctx, err == nil, cfg.EnvironmentURL, desc); ferr != nil {
			k.Warningf("github-token: %v", ferr)
		}
		stop()
		cancel()
	}
	return rep, err
}

// maskEnvironment masks the values of the environment input before anything of the deploy is
// printed, unless show-environment-values asks for them. Slipway never prints them itself (diffs
// hide them, errors do not echo them); the mask keeps them out of what ECS and the migration's log
// echo. Not masked, since masking would redact ordinary text (and refuse any output holding it)
// while none is a secret: values shorter than four characters, numbers, single words of at most
// ten letters (true, start, production), and values found inside a name the run prints and
// outputs anyway (the cluster, the region, services, families, containers, images, ARNs).
func maskEnvironment(k *actionkit.Kit, o ecs.Options, public []string) {
	if o.ShowValues {
		return
	}
	for _, vars := range o.Env {
		for _, v := range vars {
			v = strings.TrimSpace(v)
			_, numErr := strconv.ParseFloat(v, 64)
			if len(v) < 4 || numErr == nil || plainWord.MatchString(v) || within(v, public) {
				continue
			}
			k.AddMask(v)
		}
	}
}

// plainWord is a value too ordinary to mask: a single word of at most ten letters.
var plainWord = regexp.MustCompile(`^[A-Za-z]{1,10}$`)

func within(v string, names []string) bool {
	for _, n := range names {
		if strings.Contains(n, v) {
			return true
		}
	}
	return false
}

// startGitHubDeployment records the deploy as a GitHub Deployment (environment: the cluster) when
// a github-token is given. A failure to record it is a warning: the deploy itself goes on.
func startGitHubDeployment(ctx context.Context, k *actionkit.Kit, clients *factory.Factory, cfg config, rep *ecs.Report) *github.Deployment {
	if cfg.GitHubToken == "" || cfg.Deploy.DryRun {
		return nil
	}
	c, run, err := clients.GitHub(cfg.GitHubToken)
	if err == nil {
		var names []string
		for _, r := range rep.Services {
			names = append(names, r.Service)
		}
		var dep *github.Deployment
		if dep, err = github.StartDeployment(ctx, c, run, cfg.Deploy.Cluster, strings.Join(names, ", ")); err == nil {
			k.Infof("recorded GitHub Deployment %d to %s", dep.ID(), cfg.Deploy.Cluster)
			return dep
		}
	}
	k.Warningf("github-token: %v", err)
	return nil
}

func report(k *actionkit.Kit, cfg config, rep *ecs.Report, took time.Duration) {
	b, _ := json.Marshal(rep.Services)
	_ = k.SetOutput("results", string(b))
	if len(rep.Services) > 0 {
		r := rep.Services[0]
		_ = k.SetOutput("task-definition-arn", r.TaskDefinitionARN)
		_ = k.SetOutput("previous-task-definition-arn", r.PreviousTaskDefinitionARN)
		_ = k.SetOutput("deployment-id", r.DeploymentID)
		_ = k.SetOutput("status", r.Status)
	}
	if t := rep.RunTask; t != nil && t.ExitCode != nil {
		_ = k.SetOutput("run-task-exit-code", fmt.Sprint(*t.ExitCode))
	}
	s := k.Summary()
	title := "ecs-deploy to " + cfg.Deploy.Cluster
	if rep.IsRollback {
		title = "ecs-deploy rollback in " + cfg.Deploy.Cluster
	}
	if cfg.Deploy.DryRun {
		title += " (dry run)"
	}
	s.Heading(2, title)
	taskSummary(s, "Migration", rep.Migration)
	taskSummary(s, "One-off task (run-task)", rep.RunTask)
	s.Table(serviceTable(rep))
	for _, r := range rep.Services {
		if r.Diff != "" {
			s.Details("Task definition diff: "+r.Service, r.Diff)
		}
		if len(r.LifecycleEvents) > 0 {
			s.Details("CodeDeploy lifecycle events: "+r.Service, "- "+strings.Join(r.LifecycleEvents, "\n- "))
		}
		if len(r.StoppedTasks) > 0 {
			s.Details("Stopped tasks: "+r.Service, "- "+strings.Join(r.StoppedTasks, "\n- "))
		}
	}
	if moves := scheduledLines(cfg, rep); len(moves) > 0 {
		s.Details("Scheduled tasks", "- "+strings.Join(moves, "\n- "))
	}
	if len(rep.Pruned) > 0 {
		s.Paragraph(fmt.Sprintf("Deregistered %d old revisions.", len(rep.Pruned)))
	}
	s.Paragraph("Took " + took.Round(time.Second).String() + ".")
}

// scheduledLines are the summary's lines on scheduled tasks: those moved, or on a dry run those
// that would move.
func scheduledLines(cfg config, rep *ecs.Report) []string {
	moves, verb := rep.ScheduledMoved, "moved"
	if cfg.Deploy.DryRun || cfg.Undo.DryRun {
		moves, verb = rep.Scheduled, "would move"
	}
	var lines []string
	for _, m := range moves {
		lines = append(lines, verb+" "+m.String())
	}
	return lines
}

// serviceTable is the summary's table: a row per service, with a Version column when the run had
// a version or found one running ("1.2.0 (from 1.1.0)").
func serviceTable(rep *ecs.Report) ([]string, [][]string) {
	versioned := slices.ContainsFunc(rep.Services, func(r *ecs.ServiceResult) bool { return r.Version != "" || r.PreviousVersion != "" })
	head := []string{"Service", "Status", "Task definition", "Previous", "Deployment", "Reason"}
	if versioned {
		head = slices.Insert(head, 4, "Version")
	}
	var rows [][]string
	for _, r := range rep.Services {
		row := []string{r.Service, r.Status, revision(r.TaskDefinitionARN), revision(r.PreviousTaskDefinitionARN), r.DeploymentID, r.Reason}
		if versioned {
			row = slices.Insert(row, 4, or(r.Version, "none")+" (from "+or(r.PreviousVersion, "unknown")+")")
		}
		rows = append(rows, row)
	}
	return head, rows
}

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// revision is "family:revision" of a task definition ARN.
func revision(arn string) string {
	if arn == "" {
		return ""
	}
	return arn[strings.LastIndex(arn, "/")+1:]
}

// taskSummary is a one-off task's paragraph in the summary: its exit code, time, why it failed
// or was stopped, and its log's last lines.
func taskSummary(s *actionkit.Summary, what string, m *ecs.TaskResult) {
	if m == nil {
		return
	}
	exit := "no exit code"
	if m.ExitCode != nil {
		exit = fmt.Sprintf("exit %d", *m.ExitCode)
	}
	line := fmt.Sprintf("%s: %s in %s.", what, exit, m.Took.Round(time.Second))
	for _, more := range []string{m.Reason, m.Stopped} {
		if more != "" {
			line += " " + more + "."
		}
	}
	s.Paragraph(line)
	if len(m.Log) > 0 {
		s.Details(what+" log (last lines)", strings.Join(m.Log, "\n"))
	}
}

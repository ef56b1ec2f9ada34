package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	awsecs "github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/github"
)

// deploy loads AWS credentials (the SDK's default chain: env, web identity from
// configure-aws-credentials' OIDC, profile), then prepares, deploys and reports.
func deploy(ctx context.Context, k *actionkit.Kit, cfg config) error {
	clients := factory.New(k.Getenv, k.Debugf)
	awsCfg, err := clients.AWS(ctx, cfg.Region)
	if errors.As(err, new(*factory.ConfigError)) {
		return actionkit.BadInput(err)
	} else if err != nil {
		return err
	}
	if awsCfg.Region == "" {
		return actionkit.BadInput(errors.New(`input "region": no AWS region: set region, or AWS_REGION (aws-actions/configure-aws-credentials does)`))
	}
	d := &ecs.Deployer{ECS: awsecs.NewFromConfig(awsCfg), Logs: cloudwatchlogs.NewFromConfig(awsCfg), Infof: k.Infof}
	start := time.Now()
	rep, err := d.Prepare(ctx, cfg.Deploy)
	if errors.As(err, new(*ecs.InputError)) {
		return actionkit.BadInput(err)
	} else if err != nil {
		return err
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
	w := k.Untrusted() // ECS events, stop reasons and the migration's log
	d.Untrusted = w
	err = d.Deploy(ctx, cfg.Deploy, rep)
	_ = w.Close()
	if ghDep != nil {
		desc := "deployed"
		if err != nil {
			desc = "failed: " + err.Error()
		}
		if ferr := ghDep.Finish(context.WithoutCancel(ctx), err == nil, cfg.EnvironmentURL, desc); ferr != nil {
			k.Warningf("github-token: %v", ferr)
		}
	}
	report(k, cfg, rep, time.Since(start))
	switch {
	case err == nil:
		return nil
	case rep.Failed():
		return actionkit.Failed(err) // the deploy failed: exit 1, even when the rollback worked
	default:
		return err
	}
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
	s := k.Summary()
	title := "ecs-deploy to " + cfg.Deploy.Cluster
	if cfg.Deploy.DryRun {
		title += " (dry run)"
	}
	s.Heading(2, title)
	if m := rep.Migration; m != nil {
		s.Paragraph(fmt.Sprintf("Migration: exit %d in %s. %s", m.ExitCode, m.Took.Round(time.Second), m.Reason))
		if len(m.Log) > 0 {
			s.Details("Migration log (last lines)", strings.Join(m.Log, "\n"))
		}
	}
	var rows [][]string
	for _, r := range rep.Services {
		rows = append(rows, []string{r.Service, r.Status, revision(r.TaskDefinitionARN), revision(r.PreviousTaskDefinitionARN), r.DeploymentID, r.Reason})
	}
	s.Table([]string{"Service", "Status", "Task definition", "Previous", "Deployment", "Reason"}, rows)
	for _, r := range rep.Services {
		if r.Diff != "" {
			s.Details("Task definition diff: "+r.Service, r.Diff)
		}
		if len(r.StoppedTasks) > 0 {
			s.Details("Stopped tasks: "+r.Service, "- "+strings.Join(r.StoppedTasks, "\n- "))
		}
	}
	if len(rep.Pruned) > 0 {
		s.Paragraph(fmt.Sprintf("Deregistered %d old revisions.", len(rep.Pruned)))
	}
	s.Paragraph("Took " + took.Round(time.Second).String() + ".")
}

// revision is "family:revision" of a task definition ARN.
func revision(arn string) string {
	if arn == "" {
		return ""
	}
	return arn[strings.LastIndex(arn, "/")+1:]
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/junit"
)

// runE2E loads the project, brings it up, lets the test service decide and reports. A failed test
// run, or a platform that never got ready, exits 1; a broken engine exits 3.
func runE2E(ctx context.Context, k *actionkit.Kit, cfg config) error {
	ws := k.Getenv("GITHUB_WORKSPACE")
	if ws == "" {
		ws, _ = os.Getwd()
	}
	name := cfg.ProjectName
	if name == "" {
		name = defaultProjectName(k)
	}
	env := os.Environ()
	p, err := compose.Load(ctx, compose.Spec{Files: cfg.ComposeFiles, WorkDir: ws, ProjectName: name,
		EnvFiles: nonEmpty(cfg.EnvFile), Env: env, TestService: cfg.TestService, Services: cfg.Services})
	if errors.As(err, new(*compose.InputError)) {
		return actionkit.BadInput(err)
	} else if err != nil {
		return err
	}
	p = compose.Prepare(p, cfg.TestService, cfg.TestCommand, cfg.BaseURL)
	for _, u := range compose.Unsupported(p) {
		k.Warningf("compose-file: %s", u)
	}
	cli, err := factory.New(k.Getenv, k.Debugf).Docker(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()
	r := &compose.Runner{Docker: cli, Infof: k.Infof, Workspace: ws, WorkspaceHost: workspaceOnHost(ctx, cli, ws)}
	if cfg.Build && cfg.BaseURL == "" {
		if err := r.Build(ctx, p); err != nil {
			return err
		}
	}
	reportsDir, artifactsDir := inWorkspace(ws, cfg.ReportsDir), inWorkspace(ws, cfg.ArtifactsDir)
	k.Infof("project %s: %d services, test service %s", p.Name, len(p.Services), cfg.TestService)
	res, err := r.Run(ctx, p, compose.Options{TestService: cfg.TestService, WaitTimeout: cfg.WaitTimeout, Timeout: cfg.Timeout,
		Reports: cfg.Reports, ReportsDir: reportsDir, ArtifactsDir: artifactsDir, LogsTail: cfg.LogsTail})
	for svc, log := range res.Logs {
		k.Group("log of " + svc + " (last " + strconv.Itoa(cfg.LogsTail) + " lines)")
		w := k.Untrusted()
		_, _ = w.Write([]byte(strings.TrimRight(log, "\n") + "\n"))
		_ = w.Close()
		k.EndGroup()
	}
	rep := report(k, res.Reports)
	outcome := "passed"
	if err != nil || res.ExitCode != 0 {
		outcome = "failed"
	}
	_ = k.SetOutput("result", outcome)
	_ = k.SetOutput("tests", strconv.Itoa(rep.Tests))
	_ = k.SetOutput("failures", strconv.Itoa(rep.Failures+rep.Errors))
	_ = k.SetOutput("skipped", strconv.Itoa(rep.Skipped))
	_ = k.SetOutput("reports-dir", reportsDir)
	if len(res.Logs) > 0 {
		_ = k.SetOutput("artifacts-dir", artifactsDir)
	}
	summarise(k, cfg, p.Name, res, rep, err)
	var nr *compose.NotReadyError
	switch {
	case errors.As(err, &nr):
		return actionkit.Failed(err) // the platform under test did not come up: a failure of the checked thing
	case err != nil:
		return err
	case res.ExitCode != 0:
		return actionkit.Failed(fmt.Errorf("test service %s exited %d", cfg.TestService, res.ExitCode))
	}
	return nil
}

// defaultProjectName is unique per run and attempt, so parallel jobs and re-runs never share one.
func defaultProjectName(k *actionkit.Kit) string {
	id, attempt := k.Getenv("GITHUB_RUN_ID"), k.Getenv("GITHUB_RUN_ATTEMPT")
	if id == "" {
		return fmt.Sprintf("slipway-e2e-%d", time.Now().UnixNano()%1e9)
	}
	job := strings.ToLower(k.Getenv("GITHUB_JOB"))
	return strings.Trim(fmt.Sprintf("slipway-e2e-%s-%s-%s", id, attempt, sanitize(job)), "-")
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// inWorkspace resolves a relative path against the workspace; an absolute one stays as it is.
func inWorkspace(ws, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(ws, p)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// workspaceOnHost finds, when this program runs in a container action, the host directory mounted
// at the workspace: containers it starts are siblings on the host's engine, so bind mounts must
// name host paths. Outside a container it returns "".
func workspaceOnHost(ctx context.Context, cli client.APIClient, ws string) string {
	if _, err := os.Stat("/.dockerenv"); err != nil {
		return ""
	}
	host, err := os.Hostname()
	if err != nil {
		return ""
	}
	c, err := cli.ContainerInspect(ctx, host)
	if err != nil {
		return ""
	}
	for _, m := range c.Mounts {
		if m.Destination == ws {
			return m.Source
		}
	}
	return ""
}

// report reads the JUnit reports and annotates every failing test case.
func report(k *actionkit.Kit, files []string) *junit.Report {
	rep := &junit.Report{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		if err := rep.Parse(fh); err != nil {
			k.Warningf("report %s: %v", filepath.Base(f), err)
		}
		_ = fh.Close()
	}
	for _, c := range rep.Cases {
		if c.Status != junit.Failed && c.Status != junit.Errored {
			continue
		}
		k.Annotate(actionkit.Annotation{Level: actionkit.LevelError, File: c.File, Line: c.Line,
			Title: strings.TrimSpace(c.Class + " " + c.Name), Message: c.Message + "\n" + c.Detail})
	}
	return rep
}

func summarise(k *actionkit.Kit, cfg config, project string, res *compose.Result, rep *junit.Report, err error) {
	s := k.Summary()
	title := "run-e2e: " + cfg.TestService
	if cfg.BaseURL != "" {
		title += " against " + cfg.BaseURL
	}
	s.Heading(2, title)
	verdict := "passed"
	switch {
	case err != nil:
		verdict = "failed: " + err.Error()
	case res.ExitCode != 0:
		verdict = "failed: exit " + strconv.Itoa(res.ExitCode)
	}
	s.Table([]string{"Project", "Result", "Passed", "Failed", "Skipped", "Test time", "Wall time"}, [][]string{{
		project, verdict, strconv.Itoa(rep.Passed()), strconv.Itoa(rep.Failures + rep.Errors), strconv.Itoa(rep.Skipped),
		rep.Time.Round(time.Millisecond).String(), res.Took.Round(time.Second).String()}})
	var rows [][]string
	for _, c := range rep.Cases {
		if c.Status == junit.Failed || c.Status == junit.Errored {
			loc := c.File
			if c.Line > 0 {
				loc += ":" + strconv.Itoa(c.Line)
			}
			rows = append(rows, []string{c.Class + " " + c.Name, loc, c.Message})
		}
	}
	if len(rows) > 0 {
		s.Table([]string{"Failed test", "Where", "Message"}, rows)
	}
	for svc, log := range res.Logs {
		s.Details("Log of "+svc, log)
	}
}

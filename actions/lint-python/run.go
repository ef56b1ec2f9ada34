package lintpython

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/lint"
	"github.com/slipway-actions/slipway/internal/pyenv"
	"github.com/slipway-actions/slipway/internal/review"
	"github.com/slipway-actions/slipway/internal/workspace"
)

// run lints, reports and decides: findings at fail-on or above fail the step (exit 1); a missing or
// crashing linter is an infrastructure failure (exit 3), never "0 findings".
func run(ctx context.Context, k *actionkit.Kit, cfg config) error {
	review.CheckRun(ctx, k, factory.New(k.Getenv, k.Debugf), cfg.Check)
	if len(cfg.Linters) == 0 {
		k.Warningf("auto found no linter configured in %s (pyproject.toml, setup.cfg, tox.ini, .flake8, .pre-commit-config.yaml...); set the linters input", cfg.WorkingDirectory)
		return writeOutputs(k, cfg, &lint.Report{}, nil)
	}
	for _, t := range cfg.Linters {
		if src := cfg.Sources[t]; src != "" {
			k.Infof("%s: configured in %s", t, src)
		}
	}
	sanitised, err := untrusted(k, cfg)
	if err != nil {
		return err
	}
	defer sanitised.Close()
	env, err := installEnvironment(ctx, k, cfg)
	if err != nil {
		return err
	}
	changed, err := changedLines(ctx, k, cfg)
	if err != nil {
		return err
	}

	rep, err := lint.Run(ctx, lint.Options{
		Workspace: cfg.Workspace, Dir: cfg.Dir, Paths: cfg.Paths, Exclude: cfg.Exclude,
		Tools: cfg.Linters, Explicit: cfg.Explicit, Jobs: cfg.Jobs, Changed: changed,
		Env: env, Sanitised: sanitised, MypyCache: filepath.Join(cfg.CacheDir, "mypy"), Getenv: k.Getenv,
	})
	if err != nil {
		return err // bad input as lint marked it; a missing or crashed linter: infrastructure
	}

	logTools(k, rep)
	summarise(k, rep, env, sanitised)
	if err := writeOutputs(k, cfg, rep, env); err != nil {
		return err
	}
	if cfg.SuggestFixes {
		suggestFixes(ctx, k, cfg, rep, changed)
	}
	if cfg.FailOn == "never" {
		return nil
	}
	threshold := lint.Severity(cfg.FailOn)
	if n := rep.Count(threshold); n > 0 {
		return failure.Failed(fmt.Errorf("%d findings at level %s or above (fail-on: %s)", n, cfg.FailOn, cfg.FailOn))
	}
	return nil
}

// changedLines reads, with only-changed on a pull request, the lines changed since its base; nil
// lints and reports everything.
func changedLines(ctx context.Context, k *actionkit.Kit, cfg config) (lint.Changes, error) {
	base := changedBase(ctx, k, cfg)
	if base == "" {
		return nil, nil
	}
	changed, err := lint.ChangedLines(ctx, cfg.Dir, cfg.Workspace, base)
	if err != nil {
		return nil, fmt.Errorf("only-changed: %w", err)
	}
	k.Infof("only-changed: reporting findings on the lines changed since %s (%d files)", base, len(changed))
	if contains(cfg.Linters, "pylint") {
		k.Infof("only-changed: pylint's duplicate-code and cyclic-import compare the whole tree; they are left to full runs")
	}
	return changed, nil
}

// logTools prints a group per linter (its command and findings) and annotates every finding.
func logTools(k *actionkit.Kit, rep *lint.Report) {
	for _, t := range rep.Tools {
		switch {
		case t.Skipped != "":
			k.Warningf("%s was detected but not run: %s", t.Tool, t.Skipped)
			continue
		case t.Note != "":
			k.Infof("%s: %s", t.Tool, t.Note)
			continue
		}
		k.Group(fmt.Sprintf("%s %s (%s): %d findings in %d files (%s)", t.Tool, t.Version, t.From, len(t.Findings), t.Files, t.Elapsed.Round(time.Millisecond)))
		k.Infof("$ %s", strings.Join(t.Command, " "))
		if !k.Local() { // locally every finding is printed below as file:line:col; on GitHub, annotations are capped
			w := k.Untrusted()
			for _, f := range t.Findings {
				fmt.Fprintf(w, "%s %s %s\n", location(f), f.Code, f.Message)
			}
			_ = w.Close()
		}
		k.EndGroup()
	}
	for _, f := range rep.Findings {
		k.Annotate(actionkit.Annotation{
			Level: level(f.Severity), File: f.File, Line: f.Line, Col: f.Col, EndLine: f.EndLine,
			Title: strings.TrimSpace(f.Tool + " " + f.Code), Message: f.Message,
		})
	}
}

// untrusted says in the log whether the run trusts the repository's config, and in untrusted mode
// makes the linters' sanitised configs (nil when trusted), with one line per setting stripped.
func untrusted(k *actionkit.Kit, cfg config) (*lint.Sanitised, error) {
	if !cfg.Trust.Untrusted {
		if cfg.Trust.Why != "" {
			k.Infof("trusted: %s: the linters run with the repository's config as it is, plugins and hooks included", cfg.Trust.Why)
		}
		return nil, nil
	}
	k.Infof("untrusted: %s: the linters run no code from the repository: nothing is installed, and what their config names "+
		"to run, import or write (plugins, hooks, reporters, output files) is stripped", cfg.Trust.Why)
	if cfg.InstallSkipped != "" {
		k.Infof("install: %q is not run for a pull request from a fork; the image's linters run (trust-repository-config: true "+
			"installs it: that pull request's token is read-only)", cfg.InstallSkipped)
	}
	s, err := lint.Sanitise(cfg.Dir, k.Getenv("HOME"), cfg.Linters)
	if err != nil {
		return nil, err
	}
	for _, st := range s.Stripped {
		k.Infof("untrusted: %s", st)
	}
	if n := len(s.Stripped); n > 0 {
		k.Warningf("untrusted: %d settings of the repository's linter config were stripped (%s): findings may differ from a "+
			"trusted run; the log names each", n, strippedFiles(s.Stripped))
	}
	return s, nil
}

// strippedFiles names the files settings were stripped from, once each.
func strippedFiles(list []lint.Stripped) string {
	var files []string
	for _, s := range list {
		if !contains(files, s.File) {
			files = append(files, s.File)
		}
	}
	return strings.Join(files, ", ")
}

// changedBase decides whether only-changed applies and against what: an explicit base-ref always, or
// the pull request's base on pull_request events.
func changedBase(ctx context.Context, k *actionkit.Kit, cfg config) string {
	if !cfg.OnlyChanged {
		return ""
	}
	if cfg.BaseRef != "" {
		return cfg.BaseRef
	}
	switch k.Getenv("GITHUB_EVENT_NAME") {
	case "pull_request", "pull_request_target":
		return lint.PullRequestBase(ctx, cfg.Dir, k.Getenv("GITHUB_BASE_REF"))
	}
	k.Infof("only-changed: not a pull request and no base-ref; reporting every finding")
	return ""
}

func level(s lint.Severity) actionkit.Level {
	switch s {
	case lint.SeverityError:
		return actionkit.LevelError
	case lint.SeverityWarning:
		return actionkit.LevelWarning
	}
	return actionkit.LevelNotice
}

// installEnvironment makes or finds the project's environment that install asks for; nil when it
// asks for nothing. pip's failure is infrastructure (exit 3) with advice.
func installEnvironment(ctx context.Context, k *actionkit.Kit, cfg config) (*lint.Environment, error) {
	for _, n := range cfg.Install.Notes {
		k.Infof("install: %s", n)
	}
	if cfg.Install.Empty() {
		if k.Getenv("GITHUB_EVENT_NAME") == "pull_request_target" {
			k.Infof("install: none on pull_request_target (the pull request's code is not built where a write token can be read); the image's linters run")
		}
		if cfg.Install != nil && cfg.Install.Mode == "auto" {
			k.Infof("install: auto found nothing to install (no pre-commit pin, requirements file or pyproject dependency); the image's linters run")
		}
		return nil, nil
	}
	k.Group("install: the project's environment")
	defer k.EndGroup()
	env, err := lint.Install(ctx, cfg.Install, lint.InstallOptions{
		VenvRoot: venvRoot(k), CacheDir: cfg.CacheDir, Tools: cfg.Linters, Getenv: k.Getenv,
		Progress: func(format string, args ...any) { k.Infof(format, args...) },
	})
	if err != nil {
		return nil, err // pip or the interpreter failed: infrastructure
	}
	if env.Rejected != "" {
		k.Warningf("install: %s: it was deleted and the environment made afresh, not run (a cached environment is used only when it is exactly what its manifest says)", env.Rejected)
	}
	k.Infof("install: %s environment %s (%s)", env.How, env.Key, workspace.Rel(cfg.Workspace, env.Archive))
	return env, nil
}

// venvRoot is where environments are unpacked: the user's cache (HOME is kept for the whole job in
// a container action), outside the tree the linters walk.
func venvRoot(k *actionkit.Kit) string {
	base := k.Getenv("XDG_CACHE_HOME")
	if base == "" && k.Getenv("HOME") != "" {
		base = filepath.Join(k.Getenv("HOME"), ".cache")
	}
	if base == "" {
		base = os.TempDir()
	}
	return filepath.Join(base, "slipway", "venvs")
}

func summarise(k *actionkit.Kit, rep *lint.Report, env *lint.Environment, sanitised *lint.Sanitised) {
	s := k.Summary()
	s.Heading(2, "lint-python")
	rows := make([][]string, 0, len(rep.Tools))
	for _, t := range rep.Tools {
		status := strconv.Itoa(len(t.Findings))
		switch {
		case t.Skipped != "":
			status = "not run: " + t.Skipped
		case t.Note != "":
			status = "not run: " + t.Note
		}
		rows = append(rows, []string{t.Tool, t.Version, t.From, status, strconv.Itoa(t.Files), t.Elapsed.Round(time.Millisecond).String()})
	}
	s.Table([]string{"linter", "version", "from", "findings", "files", "time"}, rows)
	note := fmt.Sprintf("%d findings in %s (linters in parallel)", len(rep.Findings), rep.Elapsed.Round(time.Millisecond))
	if rep.Filtered > 0 {
		note += fmt.Sprintf("; %d more outside the changed lines or excluded", rep.Filtered)
	}
	if env != nil {
		note += fmt.Sprintf("; the project's environment %s was %s", env.Key, env.How)
	}
	if sanitised != nil {
		note += fmt.Sprintf("; untrusted mode: the repository's code did not run, %d settings of its linter config were stripped (the log names each)", len(sanitised.Stripped))
	}
	s.Paragraph(note + ".")
}

// writeOutputs writes the report (and SARIF) where the inputs say, inside the workspace, and sets
// the outputs to their workspace-relative paths: a later step on the runner reads them from the
// workspace, which is the one directory it shares with the action's container.
func writeOutputs(k *actionkit.Kit, cfg config, rep *lint.Report, env *lint.Environment) error {
	if err := rep.WriteJSON(cfg.ReportFile); err != nil {
		return fmt.Errorf("report-file: %w", err)
	}
	if filepath.Base(filepath.Dir(cfg.ReportFile)) == ".slipway" {
		pyenv.EnsureIgnored(filepath.Dir(cfg.ReportFile))
	}
	errs := []error{k.SetOutput("findings", strconv.Itoa(len(rep.Findings))), k.SetOutput("report", workspace.Rel(cfg.Workspace, cfg.ReportFile))}
	if cfg.SARIFFile != "" {
		if err := rep.WriteSARIF(cfg.SARIFFile); err != nil {
			return fmt.Errorf("sarif-file: %w", err)
		}
		errs = append(errs, k.SetOutput("sarif-file", workspace.Rel(cfg.Workspace, cfg.SARIFFile)))
	}
	if env != nil {
		errs = append(errs, k.SetOutput("environment-key", env.Key))
	}
	return errors.Join(errs...)
}

func location(f lint.Finding) string {
	loc := f.File + ":" + strconv.Itoa(f.Line)
	if f.Col > 0 {
		loc += ":" + strconv.Itoa(f.Col)
	}
	return loc + ":"
}

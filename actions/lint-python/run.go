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

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/lint"
)

// run lints, reports and decides: findings at fail-on or above fail the step (exit 1); a missing or
// crashing linter is an infrastructure failure (exit 3), never "0 findings".
func run(ctx context.Context, k *actionkit.Kit, cfg config) error {
	if len(cfg.Linters) == 0 {
		k.Warningf("auto found no linter configured in %s (pyproject.toml, setup.cfg, tox.ini, .flake8, .pre-commit-config.yaml...); set the linters input", cfg.WorkingDirectory)
		return writeOutputs(k, cfg, &lint.Report{})
	}
	for _, t := range cfg.Linters {
		if src := cfg.Sources[t]; src != "" {
			k.Infof("%s: configured in %s", t, src)
		}
	}
	var changed lint.Changes
	if base := changedBase(ctx, k, cfg); base != "" {
		var err error
		if changed, err = lint.ChangedLines(ctx, cfg.Dir, cfg.Workspace, base); err != nil {
			return fmt.Errorf("only-changed: %w", err)
		}
		k.Infof("only-changed: reporting findings on the lines changed since %s (%d files)", base, len(changed))
	}

	rep, err := lint.Run(ctx, lint.Options{
		Workspace: cfg.Workspace, Dir: cfg.Dir, Paths: cfg.Paths, Exclude: cfg.Exclude,
		Tools: cfg.Linters, Explicit: cfg.Explicit, Jobs: cfg.Jobs, Changed: changed,
		StockDuplicateCode: k.Getenv("SLIPWAY_STOCK_DUPLICATE_CODE") != "",
	})
	if err != nil {
		return err // a missing or crashed linter: infrastructure
	}

	for _, t := range rep.Tools {
		if t.Skipped != "" {
			k.Warningf("%s was detected but not run: %s", t.Tool, t.Skipped)
			continue
		}
		k.Group(fmt.Sprintf("%s: %d findings in %d files (%s)", t.Tool, len(t.Findings), t.Files, t.Elapsed.Round(time.Millisecond)))
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
	summarise(k, cfg, rep)
	if err := writeOutputs(k, cfg, rep); err != nil {
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
		return actionkit.Failed(fmt.Errorf("%d findings at level %s or above (fail-on: %s)", n, cfg.FailOn, cfg.FailOn))
	}
	return nil
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

func summarise(k *actionkit.Kit, cfg config, rep *lint.Report) {
	s := k.Summary()
	s.Heading(2, "lint-python")
	rows := make([][]string, 0, len(rep.Tools))
	for _, t := range rep.Tools {
		status := strconv.Itoa(len(t.Findings))
		if t.Skipped != "" {
			status = "not run: " + t.Skipped
		}
		rows = append(rows, []string{t.Tool, status, strconv.Itoa(t.Files), t.Elapsed.Round(time.Millisecond).String()})
	}
	s.Table([]string{"linter", "findings", "files", "time"}, rows)
	note := fmt.Sprintf("%d findings in %s (linters in parallel)", len(rep.Findings), rep.Elapsed.Round(time.Millisecond))
	if rep.Filtered > 0 {
		note += fmt.Sprintf("; %d more outside the changed lines or excluded", rep.Filtered)
	}
	s.Paragraph(note + ".")
}

func writeOutputs(k *actionkit.Kit, cfg config, rep *lint.Report) error {
	report := cfg.ReportFile
	if report == "" {
		dir := k.Getenv("RUNNER_TEMP")
		if dir == "" {
			dir = os.TempDir()
		}
		report = filepath.Join(dir, "slipway-lint-report.json")
	} else if !filepath.IsAbs(report) {
		report = filepath.Join(cfg.Workspace, report)
	}
	if err := rep.WriteJSON(report); err != nil {
		return fmt.Errorf("report-file: %w", err)
	}
	errs := []error{k.SetOutput("findings", strconv.Itoa(len(rep.Findings))), k.SetOutput("report", report)}
	if cfg.SARIFFile != "" {
		sarif := cfg.SARIFFile
		if !filepath.IsAbs(sarif) {
			sarif = filepath.Join(cfg.Workspace, sarif)
		}
		if err := rep.WriteSARIF(sarif); err != nil {
			return fmt.Errorf("sarif-file: %w", err)
		}
		errs = append(errs, k.SetOutput("sarif-file", sarif))
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

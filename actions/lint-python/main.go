// Command lint-python runs every Python linter a repository configures, in parallel, and reports
// exact annotations. It is the lint-python action's entrypoint and a local CLI with the same flags.
package main

import (
	"context"
	_ "embed"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/lint"
	"github.com/slipway-actions/slipway/internal/workspace"
)

//go:embed action.yml
var actionYML []byte

func main() { os.Exit(actionkit.Guard(func() int { return realMain(context.Background()) })) }

func realMain(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "lint-python", actionYML, opts, parseConfig, run)
}

// config is every input of the action, typed and validated.
type config struct {
	Linters          []string
	WorkingDirectory string
	Paths            []string
	Exclude          []string
	OnlyChanged      bool
	BaseRef          string
	SuggestFixes     bool
	GitHubToken      string
	FailOn           string
	SARIFFile        string
	ReportFile       string
	Jobs             int

	Workspace string            // absolute workspace root
	Dir       string            // absolute working directory
	Explicit  bool              // linters were named, not detected
	Sources   map[string]string // detected linter → the file that configures it
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		Linters:          in.List("linters"),
		WorkingDirectory: in.String("working-directory"),
		Paths:            in.List("paths"),
		Exclude:          in.List("exclude"),
		OnlyChanged:      in.Bool("only-changed"),
		BaseRef:          in.String("base-ref"),
		SuggestFixes:     in.Bool("suggest-fixes"),
		GitHubToken:      in.Secret("github-token"),
		FailOn:           in.Enum("fail-on", "error", "warning", "never"),
		SARIFFile:        in.String("sarif-file"),
		ReportFile:       in.String("report-file"),
		Jobs:             in.Int("jobs", 0, 64),
	}
	if cfg.SuggestFixes && cfg.GitHubToken == "" {
		in.Invalid("suggest-fixes", "needs github-token to post review comments")
	}
	auto := len(cfg.Linters) == 1 && cfg.Linters[0] == "auto"
	for _, l := range cfg.Linters {
		if !auto && !lint.IsKnown(l) {
			in.Invalid("linters", "%q is not a linter slipway runs (use auto or %s)", l, strings.Join(lint.Known, ", "))
		}
	}
	if !auto && contains(cfg.Linters, "auto") {
		in.Invalid("linters", "auto cannot be combined with named linters")
	}

	cfg.Workspace = k.Getenv("GITHUB_WORKSPACE")
	if cfg.Workspace == "" {
		cfg.Workspace, _ = os.Getwd()
	}
	if dir, err := workspace.Resolve(cfg.Workspace, cfg.WorkingDirectory); err != nil {
		in.Invalid("working-directory", "%q is outside the workspace", cfg.WorkingDirectory)
	} else if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		in.Invalid("working-directory", "%q is not a directory", cfg.WorkingDirectory)
	} else {
		cfg.Dir = dir
		for _, p := range cfg.Paths {
			abs, err := workspace.Resolve(cfg.Workspace, filepath.Join(dir, p))
			if err != nil {
				in.Invalid("paths", "%q is outside the workspace", p)
			} else if _, err := os.Stat(abs); err != nil {
				in.Invalid("paths", "%q does not exist in %s", p, cfg.WorkingDirectory)
			}
		}
		if auto {
			det, err := lint.Detect(dir)
			if err != nil {
				in.Invalid("linters", "auto: a config file does not parse (the linters would fail on it too): %v", err)
			}
			cfg.Linters, cfg.Sources = det.Tools, det.Sources
		}
		cfg.Explicit = !auto
	}
	return cfg, in.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

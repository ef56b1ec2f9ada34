// Command lint-python runs every Python linter a repository configures, in parallel, and reports
// exact annotations. It is the lint-python action's entrypoint and a local CLI with the same flags.
package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"

	"github.com/slipway-actions/slipway/internal/actionkit"
)

//go:embed action.yml
var actionYML []byte

func main() { os.Exit(realMain(context.Background())) }

func realMain(ctx context.Context, opts ...actionkit.Option) int {
	k := actionkit.New("lint-python", actionYML, opts...)
	return k.Run(ctx, func(ctx context.Context) error {
		cfg, err := parseConfig(k)
		if err != nil {
			return err
		}
		_ = cfg
		return fmt.Errorf("lint-python: %w", actionkit.ErrNotBuilt)
	})
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
	return cfg, in.Err()
}

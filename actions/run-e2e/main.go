// Command run-e2e starts a platform with Compose, runs its test service and always tears it down. It
// is the run-e2e action's entrypoint and a local CLI with the same flags.
package main

import (
	"context"
	_ "embed"
	"os"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
)

//go:embed action.yml
var actionYML []byte

func main() { os.Exit(actionkit.Guard(func() int { return realMain(context.Background()) })) }

func realMain(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "run-e2e", actionYML, opts, parseConfig, runE2E)
}

// config is every input of the action, typed and validated.
type config struct {
	ComposeFiles []string
	ProjectName  string
	TestService  string
	Services     []string
	EnvFile      string
	Build        bool
	WaitTimeout  time.Duration
	Timeout      time.Duration
	Reports      string
	ReportsDir   string
	ArtifactsDir string
	LogsTail     int
	BaseURL      string
	TestCommand  []string
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		ComposeFiles: in.List("compose-file"),
		ProjectName:  in.String("project-name"),
		TestService:  in.String("test-service"),
		Services:     in.List("services"),
		EnvFile:      in.String("env-file"),
		Build:        in.Bool("build"),
		WaitTimeout:  in.Duration("wait-timeout"),
		Timeout:      in.Duration("timeout"),
		Reports:      in.String("reports"),
		ReportsDir:   in.String("reports-dir"),
		ArtifactsDir: in.String("artifacts-dir"),
		LogsTail:     in.Int("logs-tail", 1, 100000),
		BaseURL:      in.URL("base-url"),
		TestCommand:  in.Multiline("test-command"),
	}
	if cfg.Timeout > 0 && cfg.WaitTimeout > cfg.Timeout {
		in.Invalid("wait-timeout", "%s is longer than timeout (%s)", cfg.WaitTimeout, cfg.Timeout)
	}
	return cfg, in.Err()
}

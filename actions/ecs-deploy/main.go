// Command ecs-deploy renders task definitions, runs a migration, deploys ECS services and waits until
// it knows whether each deployment worked, rolling back when not. It is the ecs-deploy action's
// entrypoint and a local CLI with the same flags.
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

func main() { os.Exit(realMain(context.Background())) }

func realMain(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "ecs-deploy", actionYML, opts, parseConfig, deploy)
}

// deploy is where the engine of issue #7 plugs in; until then the action
// validates its inputs and exits 3, never 0.
func deploy(context.Context, *actionkit.Kit, config) error { return actionkit.ErrNotBuilt }

// config is every input of the action, typed and validated.
type config struct {
	Cluster            string
	Services           []string
	TaskDefinition     string
	Images             string
	Environment        []string
	MigrationContainer string
	MigrationCommand   []string
	Wait               bool
	Timeout            time.Duration
	PollInterval       time.Duration
	RollbackOnFailure  bool
	KeepRevisions      int
	Region             string
	GitHubToken        string
	EnvironmentURL     string
	DryRun             bool
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		Cluster:            in.String("cluster"),
		Services:           in.Multiline("services"),
		TaskDefinition:     in.String("task-definition"),
		Images:             in.String("images"),
		Environment:        in.Multiline("environment"),
		MigrationContainer: in.String("migration-container"),
		MigrationCommand:   in.Multiline("migration-command"),
		Wait:               in.Bool("wait"),
		Timeout:            in.Duration("timeout"),
		PollInterval:       in.Duration("poll-interval"),
		RollbackOnFailure:  in.Bool("rollback-on-failure"),
		KeepRevisions:      in.Int("keep-revisions", 0, 1000),
		Region:             in.String("region"),
		GitHubToken:        in.Secret("github-token"),
		EnvironmentURL:     in.URL("environment-url"),
		DryRun:             in.Bool("dry-run"),
	}
	if cfg.PollInterval <= 0 {
		in.Invalid("poll-interval", "must be more than 0")
	} else if cfg.Timeout > 0 && cfg.PollInterval > cfg.Timeout {
		in.Invalid("poll-interval", "%s is longer than timeout (%s)", cfg.PollInterval, cfg.Timeout)
	}
	if (cfg.MigrationContainer == "") != (len(cfg.MigrationCommand) == 0) {
		in.Invalid("migration-container", "migration-container and migration-command go together")
	}
	return cfg, in.Err()
}

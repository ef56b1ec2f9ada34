// Command ecs-deploy renders task definitions, runs a migration, deploys ECS services and waits until
// it knows whether each deployment worked, rolling back when not. It is the ecs-deploy action's
// entrypoint and a local CLI with the same flags.
package main

import (
	"context"
	_ "embed"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/ecs"
)

//go:embed action.yml
var actionYML []byte

func main() { os.Exit(actionkit.Guard(func() int { return realMain(context.Background()) })) }

func realMain(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "ecs-deploy", actionYML, opts, parseConfig, deploy)
}

// config is every input of the action, typed and validated.
type config struct {
	Deploy         ecs.Options
	Region         string
	GitHubToken    string
	EnvironmentURL string
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		Deploy: ecs.Options{
			Cluster:       in.String("cluster"),
			Wait:          in.Bool("wait"),
			Timeout:       in.Duration("timeout"),
			PollInterval:  in.Duration("poll-interval"),
			Rollback:      in.Bool("rollback-on-failure"),
			KeepRevisions: in.Int("keep-revisions", 0, 1000),
			DryRun:        in.Bool("dry-run"),
		},
		Region:         in.String("region"),
		GitHubToken:    in.Secret("github-token"),
		EnvironmentURL: in.URL("environment-url"),
	}
	o := &cfg.Deploy
	if o.PollInterval <= 0 {
		in.Invalid("poll-interval", "must be more than 0")
	} else if o.Timeout > 0 && o.PollInterval > o.Timeout {
		in.Invalid("poll-interval", "%s is longer than timeout (%s)", o.PollInterval, o.Timeout)
	}
	shared := in.String("task-definition")
	ws := k.Getenv("GITHUB_WORKSPACE")
	for _, line := range in.Multiline("services") {
		name, file, _ := strings.Cut(line, "=")
		name, file = strings.TrimSpace(name), strings.TrimSpace(file)
		if file == "" {
			file = shared
		}
		if name == "" || file == "" {
			in.Invalid("services", "%q names no task definition file, and task-definition is empty", line)
			continue
		}
		if !filepath.IsAbs(file) && ws != "" {
			file = filepath.Join(ws, file)
		}
		o.Services = append(o.Services, ecs.Service{Name: name, File: file})
	}
	images, err := ecs.ParseImages(in.Multiline("images"))
	if err != nil {
		in.Invalid("images", "%v", err)
	}
	o.Images = images
	env, err := ecs.ParseEnvironment(in.Multiline("environment"))
	if err != nil {
		in.Invalid("environment", "%v", err)
	}
	o.Env = env
	container, command := in.String("migration-container"), in.Multiline("migration-command")
	switch {
	case (container == "") != (len(command) == 0):
		in.Invalid("migration-container", "migration-container and migration-command go together")
	case container != "":
		o.Migration = &ecs.Migration{Container: container, Command: command}
	}
	if o.Migration != nil && !o.Wait {
		in.Invalid("wait", "a migration is always waited for; wait: false would update services before knowing they work")
	}
	if cfg.EnvironmentURL != "" && cfg.GitHubToken == "" {
		in.Invalid("environment-url", "is shown on the GitHub Deployment, which needs github-token")
	}
	return cfg, in.Err()
}

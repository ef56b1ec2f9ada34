// Command build-push-images builds every image once, tags it like docker/metadata-action and pushes
// it to Docker Hub, ECR and other registries. It is the build-push-images action's entrypoint and a
// local CLI with the same flags.
package main

import (
	"context"
	_ "embed"
	"os"

	"github.com/slipway-actions/slipway/internal/actionkit"
)

//go:embed action.yml
var actionYML []byte

func main() { os.Exit(realMain(context.Background())) }

func realMain(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "build-push-images", actionYML, opts, parseConfig, buildPush)
}

// buildPush is where the engine of issue #6 plugs in; until then the action
// validates its inputs and exits 3, never 0.
func buildPush(context.Context, *actionkit.Kit, config) error { return actionkit.ErrNotBuilt }

// config is every input of the action, typed and validated.
type config struct {
	Images             string
	Registries         []string
	Tags               []string
	Flavor             []string
	AllTags            []string
	GitHubToken        string
	Username           string
	Password           string
	AWSRegion          string
	CreateRepositories bool
	ECRLifecyclePolicy string
	Push               bool
	Secrets            []string
	CacheFrom          []string
	CacheTo            []string
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		Images:             in.String("images"),
		Registries:         in.List("registries"),
		Tags:               in.Multiline("tags"),
		Flavor:             in.Multiline("flavor"),
		AllTags:            in.List("all-tags"),
		GitHubToken:        in.Secret("github-token"),
		Username:           in.String("username"),
		Password:           in.Secret("password"),
		AWSRegion:          in.String("aws-region"),
		CreateRepositories: in.Bool("create-repositories"),
		ECRLifecyclePolicy: in.String("ecr-lifecycle-policy"),
		Push:               in.Bool("push"),
		Secrets:            in.Multiline("secrets"),
		CacheFrom:          in.Multiline("cache-from"),
		CacheTo:            in.Multiline("cache-to"),
	}
	for _, s := range cfg.Secrets {
		if _, v, ok := splitSecret(s); ok {
			k.AddMask(v)
		} else {
			in.Invalid("secrets", "each line must be id=value")
		}
	}
	if cfg.Push && len(cfg.Registries) == 0 {
		in.Invalid("registries", "is required when push is true")
	}
	if (cfg.Username == "") != (cfg.Password == "") {
		in.Invalid("username", "username and password go together")
	}
	return cfg, in.Err()
}

func splitSecret(line string) (id, value string, ok bool) {
	for i := 0; i < len(line); i++ {
		if line[i] == '=' {
			return line[:i], line[i+1:], i > 0
		}
	}
	return "", "", false
}

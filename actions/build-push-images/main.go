// Package buildpushimages is the build-push-images action: it builds every image once, tags it like
// docker/metadata-action and pushes it to Docker Hub, ECR and other registries. The one slipway
// program (cmd/slipway) runs it as `slipway build-push-images`, in the image and as a local CLI
// whose flags mirror the inputs.
package buildpushimages

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/registry"
)

//go:embed action.yml
var actionYML []byte

func Main(ctx context.Context, opts ...actionkit.Option) int {
	return actionkit.Main(ctx, "build-push-images", actionYML, opts, parseConfig, buildPush)
}

// config is every input of the action, typed and validated.
type config struct {
	Workspace          string
	Images             []images.Spec
	Registries         []registry.Registry
	Rules              []images.Rule
	Flavor             images.Flavor
	AllTags            []string
	GitHubToken        string
	Username           string
	Password           string
	AWSRegion          string
	CreateRepositories bool
	ECRLifecyclePolicy string // the policy's JSON text
	Push               bool
	Secrets            map[string][]byte
	CacheFrom          []string
	InlineCache        bool
	Builder            string
	Remote             remoteConfig
}

func parseConfig(k *actionkit.Kit) (config, error) {
	in := k.Inputs()
	cfg := config{
		Workspace:          k.Workspace(),
		AllTags:            in.List("all-tags"),
		GitHubToken:        in.Secret("github-token"),
		Username:           in.String("username"),
		Password:           in.Secret("password"),
		AWSRegion:          in.String("aws-region"),
		CreateRepositories: in.Bool("create-repositories"),
		Push:               in.Bool("push"),
		Builder:            in.Enum("builder", "auto", "classic"),
	}
	if text := in.String("images"); text != "" {
		specs, err := images.ParseSpecs(text, cfg.Workspace)
		if err != nil {
			in.Invalid("images", "%v", err)
		}
		cfg.Images = specs
	}
	regs, errs := registry.ParseAll(in.List("registries"))
	for _, err := range errs {
		in.Invalid("registries", "%v", err)
	}
	cfg.Registries = regs
	if cfg.Push && len(in.List("registries")) == 0 {
		in.Invalid("registries", "is required when push is true")
	}
	rules, err := images.ParseRules(in.Multiline("tags"))
	if err != nil {
		in.Invalid("tags", "%v", err)
	}
	cfg.Rules = rules
	fl, err := images.ParseFlavor(in.Multiline("flavor"))
	if err != nil {
		in.Invalid("flavor", "%v", err)
	}
	cfg.Flavor = fl
	if (cfg.Username == "") != (cfg.Password == "") {
		in.Invalid("username", "username and password go together")
	}
	cfg.Secrets = parseSecrets(k, in)
	cfg.CacheFrom, cfg.InlineCache = parseCache(in)
	cfg.Remote = parseRemote(k, in, cfg)
	cfg.ECRLifecyclePolicy = readLifecyclePolicy(in, cfg.Workspace)
	return cfg, in.Err()
}

// parseSecrets reads the secrets input, id=value per line, masking each value.
func parseSecrets(k *actionkit.Kit, in *actionkit.Inputs) map[string][]byte {
	secrets := map[string][]byte{}
	for _, line := range in.Multiline("secrets") {
		id, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(id) == "" {
			in.Invalid("secrets", "each line must be id=value")
			continue
		}
		k.AddMask(v)
		secrets[strings.TrimSpace(id)] = []byte(v)
	}
	return secrets
}

// parseCache reads cache-from (references) and whether cache-to asks for type=inline, for the
// engine's builder; parseRemote reads the caches slipway's buildkitd exports.
func parseCache(in *actionkit.Inputs) (from []string, inline bool) {
	for _, line := range in.Multiline("cache-from") {
		if cacheType(line) == "gha" {
			continue // slipway's buildkitd reads it (parseRemoteCaches)
		}
		ref, err := cacheRef(line)
		if err != nil {
			in.Invalid("cache-from", "%v", err)
			continue
		}
		from = append(from, ref)
	}
	for _, line := range in.Multiline("cache-to") {
		if strings.ReplaceAll(line, " ", "") == "type=inline" {
			inline = true
		}
	}
	return from, inline
}

// readLifecyclePolicy reads the ecr-lifecycle-policy file (relative to the workspace) as JSON text.
func readLifecyclePolicy(in *actionkit.Inputs, ws string) string {
	p := in.String("ecr-lifecycle-policy")
	if p == "" {
		return ""
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(ws, p)
	}
	data, err := os.ReadFile(p)
	switch {
	case err != nil:
		in.Invalid("ecr-lifecycle-policy", "%v", err)
	case !json.Valid(data):
		in.Invalid("ecr-lifecycle-policy", "%s is not JSON", p)
	default:
		return string(data)
	}
	return ""
}

// cacheType is the type= of a cache line; "" for an image reference.
func cacheType(line string) string {
	for _, f := range strings.Split(line, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(f), "type="); ok {
			return v
		}
	}
	return ""
}

// cacheRef reads a cache-from line: an image reference, or type=registry,ref=<reference>.
func cacheRef(line string) (string, error) {
	if !strings.Contains(line, "=") {
		return line, nil
	}
	var typ, ref string
	for _, f := range strings.Split(line, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		switch k {
		case "type":
			typ = v
		case "ref":
			ref = v
		}
	}
	if typ != "registry" || ref == "" {
		return "", fmt.Errorf("%q: the engine's builder reads cache from images only: give an image reference or type=registry,ref=<image>", line)
	}
	return ref, nil
}

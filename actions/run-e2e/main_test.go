package rune2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/docker"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/github/githubtest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
	"github.com/slipway-actions/slipway/internal/runnertest"
)

// TestMain runs the binary as the action for CheckAction's runs, else the tests, removing the image
// the in-image tests built.
func TestMain(m *testing.M) {
	if os.Getenv(actiontest.AsActionEnv) == "1" {
		os.Exit(actiontest.MainAsAction(m, Main))
	}
	os.Exit(runnertest.Main(m))
}

// contractPassword is the registry password of the contract's runs: '/', '+' and '=' make its URL,
// JSON and base64 forms differ from it.
const contractPassword = "pull-pass/word+42=x"
const contractToken = "ghs_runee2etoken4242token"

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "run-e2e", YAML: actionYML, Main: Main,
		Parse:     func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"timeout": "soon", "base-url": "ftp://x", "logs-tail": "0", "shard": "0/3"},
		WantErrors: []string{
			`input "test-service": is required`,
			`input "shard": "0/3": the shard must be 1 to 3`,
			`input "timeout": "soon" is not a duration`,
			`input "base-url": "ftp://x" is not an http(s) URL`,
			`input "logs-tail": 0 is out of range`,
		},
		Secrets: map[string]string{"registry-password": contractPassword, "github-token": contractToken},
		Needs: func(t *testing.T) {
			dockertest.Client(t)
			_, err := exec.LookPath("docker-registry")
			dockertest.Require(t, "docker-registry", err)
		},
		// The engine, and a registry that wants the password and holds the test service's image,
		// which the engine does not: run-e2e must pull it with the login inputs.
		Fakes: func(t *testing.T, r *actiontest.Runner, fakes *actiontest.Fakes) map[string]string {
			r.Env["DOCKER_HOST"] = fakes.DockerEngine(t)
			// GitHub's Checks API, where the check run goes with the token.
			gh := githubtest.New(t)
			gh.Token = contractToken
			root := fakes.HTTP(t, "the fake GitHub API", strings.TrimSuffix(gh.URL, "/api/v3"))
			r.Env["GITHUB_API_URL"], r.Env["GITHUB_GRAPHQL_URL"] = root+"/api/v3", root+"/api/graphql"
			r.Env["GITHUB_REPOSITORY"], r.Env["GITHUB_SHA"] = "acme/web", "abc123"
			r.Env["HOME"] = t.TempDir() // no docker config: the login inputs are the login
			name := strings.ToLower(dockertest.UniqueName(t, "contract"))
			cli, err := docker.Connect(context.Background(), "")
			if _, lookErr := exec.LookPath("docker-registry"); err != nil || lookErr != nil {
				return nil // Needs skips the secret run; the bad-input run needs neither
			}
			reg := registrytest.Start(t, registrytest.Options{User: "ci", Password: contractPassword})
			repo := "slipway-test/platform:" + name
			composetest.RegistryImage(t, cli, reg.Host, repo, &registry.AuthConfig{Username: "ci", Password: contractPassword, ServerAddress: reg.Host})
			host := fakes.Host(t, "the registry", reg.Host)
			t.Cleanup(func() {
				_, _ = cli.ImageRemove(context.Background(), host+"/"+repo, image.RemoveOptions{Force: true, PruneChildren: true})
				if n, err := compose.Leftovers(context.Background(), cli, name); err != nil || n != 0 {
					t.Errorf("%d leftovers of project %s (%v)", n, name, err)
				}
			})
			text := composetest.Compose(host+"/"+repo, "services:\n  e2e:\n    image: IMAGE\n    command: [migrate, -exit, \"0\"]\n")
			if err := os.WriteFile(filepath.Join(r.Env["GITHUB_WORKSPACE"], "docker-compose.yml"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			return map[string]string{"test-service": "e2e", "project-name": name, "build": "false",
				"registry": host, "registry-username": "ci"}
		},
	})
}

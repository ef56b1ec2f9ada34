package buildpushimages

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

func TestMain(m *testing.M) { os.Exit(actiontest.MainAsAction(m, Main)) }

// contractPassword is the registry password of the contract's runs: '/', '+' and '=' make its URL,
// JSON and base64 forms differ from it.
const contractPassword = "hub-pass/word+42=x"

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "build-push-images", YAML: actionYML, Main: Main,
		Parse:     func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"push": "true", "create-repositories": "perhaps", "username": "bot"},
		WantErrors: []string{
			`input "images" is required`,
			`input "registries": is required when push is true`,
			`input "create-repositories": "perhaps" is not a boolean`,
		},
		Secrets: map[string]string{"github-token": "ghp_abcdefghijklmnop0123456789", "password": contractPassword,
			"secrets": "npm=npm-token-987654321"},
		NotSent: map[string]string{"secrets": "a build secret travels inside the engine's BuildKit session, which the proxy passes on unread"},
		Needs: func(t *testing.T) {
			dockertest.Client(t)
			_, err := exec.LookPath("docker-registry")
			dockertest.Require(t, "docker-registry", err)
		},
		// The engine, a registry that wants the password, and GitHub's repository API for the token;
		// the Dockerfile's RUN prints the build secret, which must not reach the log.
		Fakes: func(t *testing.T, r *actiontest.Runner, fakes *actiontest.Fakes) map[string]string {
			r.Env["DOCKER_HOST"] = fakes.DockerEngine(t)
			r.Env["GITHUB_API_URL"] = fakes.HTTP(t, "the fake GitHub API", repositoryAPI(t)) + "/api/v3"
			r.Env["GITHUB_REPOSITORY"], r.Env["GITHUB_SHA"], r.Env["GITHUB_SERVER_URL"] = "acme/web", sha, "https://github.com"
			r.Env["GITHUB_EVENT_NAME"], r.Env["GITHUB_REF"] = "push", "refs/heads/main"
			r.Env["HOME"] = t.TempDir()
			if _, err := exec.LookPath("docker-registry"); err != nil {
				return nil // no registry here: Needs skips the secret run, the bad-input run needs none
			}
			reg := registrytest.Start(t, registrytest.Options{User: "bot", Password: contractPassword})
			host := fakes.Host(t, "the registry", reg.Host)
			ws := r.Env["GITHUB_WORKSPACE"]
			dockertest.GoBinary(t, ws, "../../internal/images/testdata/tool", "tool")
			// nonce: the RUN is never cached, so it prints the secret every time.
			df := "FROM scratch\nCOPY tool nonce /\nRUN --mount=type=secret,id=npm [\"/tool\", \"cat\", \"/run/secrets/npm\"]\n"
			for name, text := range map[string]string{"Dockerfile": df, "nonce": t.Name() + time.Now().String()} {
				if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() { removeImages(t, host+"/api") })
			return map[string]string{"images": "api", "registries": host, "username": "bot", "tags": "type=raw,value=v1"}
		},
	})
}

// repositoryAPI answers GitHub's get-a-repository and list-repository-tags calls as GitHub does:
// https://docs.github.com/en/rest/repos/repos#get-a-repository,
// https://docs.github.com/en/rest/repos/repos#list-repository-tags
func repositoryAPI(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v3/repos/acme/web":
			fmt.Fprint(w, `{"description":"The web platform","license":{"spdx_id":"Apache-2.0"}}`)
		case "/api/v3/repos/acme/web/tags":
			fmt.Fprint(w, `[{"name":"v1.0.0"}]`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// removeImages removes the engine's images of repo, every tag.
func removeImages(t *testing.T, repo string) {
	cli := dockertest.Client(t)
	imgs, _ := cli.ImageList(context.Background(), image.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo))})
	for _, img := range imgs {
		_, _ = cli.ImageRemove(context.Background(), img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
	}
}

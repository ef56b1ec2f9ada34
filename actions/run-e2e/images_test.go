package rune2e

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"

	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

// A fresh runner: every image of the platform is in a registry that wants a login, and the login is
// in the docker config under HOME (where docker/login-action writes it; /github/home in the action's
// container). run-e2e pulls them and the tests pass; the password is never printed.
func TestRunE2E_PullsWithTheDockerConfigInHome(t *testing.T) {
	t.Parallel()
	reg, img := privateImage(t, "pull-s3cret")
	r, ws := platformWorkspace(t)
	writeCompose(t, ws, composetest.Compose(img, composetest.Green))
	home := t.TempDir()
	writeDockerConfig(t, filepath.Join(home, ".docker"), reg.Host, "ci:pull-s3cret")
	r.Env["HOME"] = home
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["result"] != "passed" {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if !strings.Contains(res.Stdout, "pulling "+img+" for api, db, e2e, migrate with the login from the docker config") ||
		!strings.Contains(res.Stdout, "pulled "+img+" in ") {
		t.Errorf("the pull is not in the log:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Summary, "| "+img+" | api, db, e2e, migrate | pulled (") || !strings.Contains(res.Summary, "Pulling took ") {
		t.Errorf("summary:\n%s", res.Summary)
	}
	for _, line := range strings.Split(res.Stdout+res.Summary, "\n") {
		if strings.Contains(line, "pull-s3cret") {
			t.Errorf("the password was printed: %s", line)
		}
	}
}

// Without a login the registry refuses us: exit 2, naming the image and saying how to log in; with
// the login inputs for that registry the pull works.
func TestRunE2E_RefusedPullIsExit2AndTheLoginInputsFixIt(t *testing.T) {
	t.Parallel()
	reg, img := privateImage(t, "input-s3cret")
	r, ws := platformWorkspace(t)
	writeCompose(t, ws, composetest.Compose(img, composetest.Green))
	r.Env["HOME"] = t.TempDir() // no docker config
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "pull "+img+" (service api, db, e2e, migrate): registry "+reg.Host+" refused us, without a login") ||
		!strings.Contains(res.Stdout, "registry-username and registry-password") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	r.Input("registry", reg.Host).Input("registry-username", "ci").Input("registry-password", "input-s3cret")
	res = r.Run(t, context.Background(), Main)
	if res.Code != 0 || !strings.Contains(res.Stdout, "with the login from the login given for "+reg.Host) {
		t.Fatalf("with the login inputs: exit %d; log:\n%s", res.Code, res.Stdout)
	}
	for _, line := range strings.Split(res.Stdout+res.Summary, "\n") {
		if strings.Contains(line, "input-s3cret") && !strings.HasPrefix(line, "::add-mask::") {
			t.Errorf("the password was printed: %s", line)
		}
	}
}

func TestRunE2E_MissingImageIsExit2NamingIt(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	img := reg.Host + "/slipway-test/not-pushed:" + strings.ToLower(dockertest.UniqueName(t, "m"))
	r, ws := platformWorkspace(t)
	writeCompose(t, ws, composetest.Compose(img, composetest.Green))
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "pull "+img+" (service api, db, e2e, migrate): the image does not exist") {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

// URL mode, as the merge and release workflows run it on a fresh runner: only the test service runs
// (its dependencies' images exist nowhere), pulled when it has only an image, built when it has a
// build section, against base-url.
func TestRunE2E_URLModeFromAnEmptyEngine(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	reg := registrytest.Start(t, registrytest.Options{})
	deployed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(deployed.Close)
	for _, c := range []struct{ name, service string }{
		{"pulled", "image: " + composetest.RegistryImage(t, cli, reg.Host, "slipway-test/e2e:"+strings.ToLower(dockertest.UniqueName(t, "url")), nil)},
		{"built", "build: ./e2e"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, ws := platformWorkspace(t)
			writeCompose(t, ws, `services:
  db: {image: slipway-test/exists-nowhere:1}
  e2e:
    `+c.service+`
    network_mode: host # the deployed platform listens on this machine's loopback
    command: [e2e, -reports, /reports]
    depends_on: [db]
`)
			if c.name == "built" {
				composetest.BuildContext(t, filepath.Join(ws, "e2e"), "FROM scratch\nCOPY platform /platform\nENTRYPOINT [\"/platform\"]\n")
				project := r.Env["INPUT_PROJECT-NAME"]
				t.Cleanup(func() {
					_, _ = cli.ImageRemove(context.Background(), project+"-e2e", image.RemoveOptions{Force: true})
				})
			}
			r.Input("base-url", deployed.URL).Input("build", "true")
			res := r.Run(t, context.Background(), Main)
			if res.Code != 0 || res.Outputs["result"] != "passed" || res.Outputs["tests"] != "2" {
				t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
			}
			if strings.Contains(res.Stdout, "exists-nowhere") {
				t.Errorf("URL mode touched a dependency:\n%s", res.Stdout)
			}
		})
	}
}

// privateImage starts a docker-registry whose user ci has the password given and puts the platform
// image there only: the engine holds nothing of it.
func privateImage(t *testing.T, password string) (*registrytest.Registry, string) {
	t.Helper()
	cli := dockertest.Client(t)
	reg := registrytest.Start(t, registrytest.Options{User: "ci", Password: password})
	login := &registry.AuthConfig{Username: "ci", Password: password, ServerAddress: reg.Host}
	img := composetest.RegistryImage(t, cli, reg.Host, "slipway-test/platform:"+strings.ToLower(dockertest.UniqueName(t, "private")), login)
	composetest.Absent(t, cli, img)
	return reg, img
}

func writeCompose(t *testing.T, ws, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(ws, "docker-compose.yml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeDockerConfig(t *testing.T, dir, host, userPass string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := `{"auths":{"` + host + `":{"auth":"` + base64.StdEncoding.EncodeToString([]byte(userPass)) + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A service built FROM a base image that is only in a registry with a login: the build pulls it with
// the logins pulls use (here the docker config under HOME), and never tries to pull the service's own
// image, which is named after the project and exists nowhere. Without a login the run is exit 2,
// naming the base image, before anything starts.
func TestRunE2E_BuildsFromAPrivateBaseWithTheSameLogins(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	reg, base := privateImage(t, "base-s3cret")
	r, ws := platformWorkspace(t)
	writeCompose(t, ws, "services:\n  e2e:\n    build: ./e2e\n    command: [migrate, -exit, \"0\"]\n")
	if err := os.MkdirAll(filepath.Join(ws, "e2e"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "e2e", "Dockerfile"), []byte("FROM "+base+"\nENV BUILT=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	project := r.Env["INPUT_PROJECT-NAME"]
	t.Cleanup(func() {
		_, _ = cli.ImageRemove(context.Background(), project+"-e2e", image.RemoveOptions{Force: true})
		_, _ = cli.ImageRemove(context.Background(), base, image.RemoveOptions{Force: true})
	})
	r.Input("build", "false")   // built because its image is missing, as `docker compose up` does
	r.Env["HOME"] = t.TempDir() // no docker config
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "base image "+base+": its registry refused us") {
		t.Fatalf("without a login: exit %d; log:\n%s", res.Code, res.Stdout)
	}
	home := t.TempDir()
	writeDockerConfig(t, filepath.Join(home, ".docker"), reg.Host, "ci:base-s3cret")
	r.Env["HOME"] = home
	res = r.Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["result"] != "passed" {
		t.Fatalf("with the docker config: exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if strings.Contains(res.Stdout, "pulling "+project) || strings.Contains(res.Stdout, "pull "+project) {
		t.Errorf("run-e2e tried to pull the image of a service that is only built:\n%s", res.Stdout)
	}
	for _, line := range strings.Split(res.Stdout+res.Summary, "\n") {
		if strings.Contains(line, "base-s3cret") {
			t.Errorf("the password was printed: %s", line)
		}
	}
}

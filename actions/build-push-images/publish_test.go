package buildpushimages

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	slipwayregistry "github.com/slipway-actions/slipway/internal/registry"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

const dockerfile = `FROM scratch AS tools
COPY tool /tool
FROM tools AS base
RUN ["/tool", "rand", "/shared"]
FROM base AS api
RUN --mount=type=secret,id=pypi ["/tool", "secret", "pypi", "/pypi.sha"]
COPY api.txt /api.txt
RUN ["/tool", "cat", "/api.txt"]
FROM base AS worker
COPY worker.txt /worker.txt
`

const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"

// platform writes a workspace with a multi-stage Dockerfile holding two targets, and a runner for it
// as a tag push of v1.2.0 would run it.
func platform(t *testing.T, df string) (*actiontest.Runner, string) {
	t.Helper()
	ws := t.TempDir()
	dockertest.GoBinary(t, ws, "../../internal/images/testdata/tool", "tool")
	// A RUN step prints api.txt: text that tries to issue workflow commands.
	inject := fmt.Sprintf("::set-output name=digest::pwned\n::error::pwned %s %d\n", t.Name(), time.Now().UnixNano()) // unique: the RUN is never cached
	for n, text := range map[string]string{"Dockerfile": df, "api.txt": inject, "worker.txt": t.Name()} {
		if err := os.WriteFile(filepath.Join(ws, n), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"] = ws
	r.Env["GITHUB_EVENT_NAME"] = "push"
	r.Env["GITHUB_REF"] = "refs/tags/v1.2.0"
	r.Env["GITHUB_SHA"] = sha
	r.Env["GITHUB_REPOSITORY"] = "acme/web"
	r.Env["GITHUB_SERVER_URL"] = "https://github.com"
	r.Input("images", "- {name: api, target: api}\n- {name: worker, target: worker}\n")
	r.Input("tags", "type=semver,pattern={{version}}\ntype=semver,pattern={{major}}.{{minor}}\ntype=semver,pattern={{major}}\ntype=sha")
	r.Input("all-tags", "v1.0.0, v1.1.0, v1.2.0, v2.0.0-rc.1")
	r.Input("provenance", "false") // the engine's builder; a release with provenance builds on buildkitd (remote_test.go)
	return r, ws
}

func cleanupImages(t *testing.T, outputs map[string]string) {
	cli := dockertest.Client(t)
	t.Cleanup(func() {
		var imgs []imageOutput
		_ = json.Unmarshal([]byte(outputs["images"]), &imgs)
		for _, img := range imgs { // every tag of it: local name:tag and registry references
			_, _ = cli.ImageRemove(context.Background(), img.ID, image.RemoveOptions{Force: true, PruneChildren: true})
		}
	})
}

func TestBuildPush_ReleaseTagGoesToBothRegistriesWithSemverTags(t *testing.T) {
	t.Parallel()
	hub := registrytest.Start(t, registrytest.Options{User: "bot", Password: "hub-password-42"})
	mirror := registrytest.Start(t, registrytest.Options{User: "bot", Password: "hub-password-42"})
	r, _ := platform(t, dockerfile)
	r.Input("registries", hub.Host+"/acme\n"+mirror.Host).Input("username", "bot").Input("password", "hub-password-42")
	r.Input("secrets", "pypi=pypi-token-0123456789")
	res := r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
	}
	var imgs []imageOutput
	if err := json.Unmarshal([]byte(res.Outputs["images"]), &imgs); err != nil || len(imgs) != 2 {
		t.Fatalf("images output %q: %v", res.Outputs["images"], err)
	}
	want := []string{"1", "1.2", "1.2.0", "latest", "sha-9f86d08"}
	auth := authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "hub-password-42"})
	for _, repo := range []string{hub.Host + "/acme/api", hub.Host + "/acme/worker", mirror.Host + "/api", mirror.Host + "/worker"} {
		if got := registrytest.Tags(t, repo, auth); strings.Join(slices.Sorted(maps.Keys(got)), " ") != strings.Join(want, " ") {
			t.Errorf("%s has tags %v, want %v", repo, got, want)
		}
	}
	if !strings.Contains(res.Stdout, "[api] | ::set-output name=digest::pwned") {
		t.Errorf("the RUN output is not in the log:\n%s", res.Stdout)
	}
	inspect, err := dockertest.Client(t).ImageInspect(context.Background(), imgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.version":  "1.2.0",
		"org.opencontainers.image.revision": sha,
		"org.opencontainers.image.source":   "https://github.com/acme/web",
		"org.opencontainers.image.title":    "api",
	} {
		if got := inspect.Config.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	if _, err := time.Parse(time.RFC3339, inspect.Config.Labels["org.opencontainers.image.created"]); err != nil {
		t.Errorf("label created: %v", err)
	}
	if imgs[0].Name != "api" || len(imgs[0].Tags) != 10 || !strings.HasPrefix(imgs[0].Digest, "sha256:") {
		t.Errorf("api output %+v", imgs[0])
	}
	if res.Outputs["digest"] != imgs[0].Digest || !strings.Contains(res.Outputs["tags"], mirror.Host+"/api:1.2.0\n") {
		t.Errorf("outputs %v", res.Outputs)
	}
	if !strings.Contains(res.Summary, "| api | 1.2.0 1.2 1 sha-9f86d08 latest |") {
		t.Errorf("summary:\n%s", res.Summary)
	}
	for _, leak := range []string{"pypi-token-0123456789", "hub-password-42"} {
		if strings.Contains(actiontest.WithoutMaskCommands(res.Stdout)+res.Summary+res.Outputs["images"], leak) {
			t.Errorf("%q leaked into the log, summary or outputs", leak)
		}
	}
	for _, c := range actiontest.Commands(res.Stdout) {
		if c.Name == "set-output" || (c.Name == "error" && strings.Contains(c.Message, "pwned")) {
			t.Errorf("a RUN step issued %s:\n%s", c.Name, res.Stdout)
		}
	}
}

func TestBuildPush_PullRequestBuildsWithoutPushing(t *testing.T) {
	t.Parallel()
	r, _ := platform(t, strings.Replace(dockerfile, `RUN --mount=type=secret,id=pypi ["/tool", "secret", "pypi", "/pypi.sha"]`, "", 1))
	r.Env["GITHUB_EVENT_NAME"] = "pull_request"
	r.Env["GITHUB_REF"] = "refs/pull/7/merge"
	r.Input("push", "false").Input("tags", "type=ref,event=pr")
	res := r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
	}
	if res.Outputs["tags"] != "api:pr-7" || res.Outputs["digest"] != "" {
		t.Errorf("outputs %v", res.Outputs)
	}
	if !strings.Contains(res.Summary, "(not pushed)") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

func TestBuildPush_BadInputListedAtOnceBeforeAnyBuild(t *testing.T) {
	t.Parallel()
	r := actiontest.NewRunner(t)
	ws := t.TempDir()
	_ = os.WriteFile(filepath.Join(ws, "Dockerfile"), []byte("FROM scratch AS app\n"), 0o644)
	r.Env["GITHUB_WORKSPACE"] = ws
	r.Input("images", "- {name: api, target: tests}\n- {name: web, context: web}\n")
	r.Input("registries", "acme\nhttps://ghcr.io/acme").Input("tags", "type=semver").Input("cache-to", "type=gha")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{
		`target "tests" is not a stage of Dockerfile (stages: app)`,
		`image \"web\": context \"web\" is not a directory`,
		`registry \"acme\": \"acme\" is not a host`,
		`write the host without a scheme`,
		`input \"tags\": \"type=semver\": type=semver needs a pattern`,
		`input \"cache-to\"`,
	} {
		if !strings.Contains(res.Stdout, strings.ReplaceAll(want, `\"`, `"`)) {
			t.Errorf("log lacks %s:\n%s", want, res.Stdout)
		}
	}
}

func TestBuildPush_NoTagForThisRefIsBadInput(t *testing.T) {
	t.Parallel()
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Env["GITHUB_REF"] = "refs/heads/main"
	r.Input("images", "api").Input("push", "false").Input("tags", "type=semver,pattern={{version}}")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "no tag rule gives a tag for push refs/heads/main") {
		t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
	}
}

func TestBuildPush_WrongPasswordExits2AndPushesNothing(t *testing.T) {
	t.Parallel()
	open := registrytest.Start(t, registrytest.Options{})
	locked := registrytest.Start(t, registrytest.Options{User: "bot", Password: "right"})
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Input("images", "api").Input("registries", open.Host+"\n"+locked.Host).Input("username", "bot").Input("password", "wrong-pw-5551234")
	res := r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 2 || !strings.Contains(res.Stdout, locked.Host+": registry said 401 Unauthorized") {
		t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
	}
	if strings.Contains(actiontest.WithoutMaskCommands(res.Stdout)+res.Summary, "wrong-pw-5551234") {
		t.Error("the password leaked")
	}
	if tags := registrytest.Tags(t, open.Host+"/api", authn.Anonymous); len(tags) != 0 {
		t.Errorf("the open registry got %v", tags)
	}
}

// A registry that cannot be reached is not bad input: exit 3 (a re-run may pass), before anything is
// pushed, naming the registry; the user has nothing to change.
func TestBuildPush_AnUnreachableRegistryExits3AndPushesNothing(t *testing.T) {
	t.Parallel()
	open := registrytest.Start(t, registrytest.Options{})
	down := registrytest.ClosedPort(t)
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Input("images", "api").Input("registries", open.Host+"\n"+down).Input("tags", "type=raw,value=v1")
	res := r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 3 {
		t.Fatalf("exit %d, want 3\n%s", res.Code, res.Stdout)
	}
	if !strings.Contains(res.Stdout, "nothing was pushed") || !strings.Contains(res.Stdout, down+": ") || !strings.Contains(res.Stdout, "connection refused") {
		t.Errorf("log does not say which registry could not be reached:\n%s", res.Stdout)
	}
	if tags := registrytest.Tags(t, open.Host+"/api", authn.Anonymous); len(tags) != 0 {
		t.Errorf("the open registry got %v", tags)
	}
}

func TestBuildPush_ARegistryFailingMidPushExits3AndSaysWhoHoldsWhat(t *testing.T) {
	t.Parallel()
	first := registrytest.Start(t, registrytest.Options{})
	second := registrytest.Start(t, registrytest.Options{})
	proxy := registrytest.NewProxy(t, second.Host)
	proxy.FailManifests(100) // every manifest PUT: the copy's blobs land, its manifest never does
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Input("images", "api").Input("registries", first.Host+"\n"+proxy.Host).Input("tags", "type=raw,value=v1")
	res := r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 3 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{
		first.Host + " holds " + first.Host + "/api:v1",
		proxy.Host + " holds nothing of api",
		"api → " + proxy.Host,
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	if !strings.Contains(res.Summary, proxy.Host+" — FAILED") {
		t.Errorf("summary:\n%s", res.Summary)
	}
	if got := registrytest.Tags(t, second.Host+"/api", authn.Anonymous); len(got) != 0 {
		t.Errorf("the failing registry holds %v", got)
	}
}

// Without username/password, credentials come from the docker config that docker/login-action
// writes: DOCKER_CONFIG of the step's environment (not the test process's), so this runs in parallel.
func TestBuildPush_LogsInWithTheDockerConfig(t *testing.T) {
	t.Parallel()
	locked := registrytest.Start(t, registrytest.Options{User: "bot", Password: "from-docker-config"})
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("bot:from-docker-config"))
	cfg := fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, locked.Host, auth)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Env["DOCKER_CONFIG"] = dir
	r.Input("images", "api").Input("registries", locked.Host).Input("tags", "type=raw,value=v1")
	res := r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stdout)
	}
	got := registrytest.Tags(t, locked.Host+"/api", authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "from-docker-config"}))
	if got["v1"] == "" || got["v1"] != res.Outputs["digest"] {
		t.Errorf("tags %v, digest output %q", got, res.Outputs["digest"])
	}
}

// In a container action (HOME is /github/home) a registry that asks for a login where there is none
// is bad input whose message says how docker/login-action's login reaches the container; the in-runner
// test (actions/runner_test.go) follows that advice.
func TestBuildPush_NoLoginInAContainerActionSaysHowToPassIt(t *testing.T) {
	t.Parallel()
	locked := registrytest.Start(t, registrytest.Options{User: "bot", Password: "unseen"})
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Env["HOME"] = "/github/home" // as the runner sets it; nothing is there on this machine
	r.Input("images", "api").Input("registries", locked.Host).Input("tags", "type=raw,value=v1")
	res := r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 2 {
		t.Fatalf("exit %d, want 2\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{
		locked.Host + ": registry said 401 Unauthorized for " + locked.Host + "/api, and there were no credentials for it",
		"/github/home/.docker/config.json has no login for it",
		"cannot read the runner's ~/.docker/config.json",
		`echo "DOCKER_CONFIG=$RUNNER_TEMP/_github_home/.docker" >> "$GITHUB_ENV"`,
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, res.Stdout)
		}
	}
	if got := registrytest.Tags(t, locked.Host+"/api", authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "unseen"})); len(got) != 0 {
		t.Errorf("pushed %v", got)
	}
}

// A Dockerfile FROM a base image that is only in a registry with a login: the build pulls it with the
// push's own logins (here username/password for that registry), and without them the run is exit 2
// naming the base image, before anything is pushed.
func TestBuildPush_BuildsFromAPrivateBaseWithThePushLogins(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	locked := registrytest.Start(t, registrytest.Options{User: "bot", Password: "base-s3cret"})
	base := composetest.RegistryImage(t, cli, locked.Host, "slipway-test/base:"+strings.ToLower(dockertest.UniqueName(t, "b")),
		&registry.AuthConfig{Username: "bot", Password: "base-s3cret", ServerAddress: locked.Host})
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), base, image.RemoveOptions{Force: true}) })
	r, _ := platform(t, "FROM "+base+"\nCOPY api.txt /\n")
	r.Input("images", "api").Input("registries", locked.Host).Input("tags", "type=raw,value=v1")
	r.Env["DOCKER_CONFIG"] = t.TempDir() // no login there
	res := r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 2 || !strings.Contains(res.Stdout, "nothing was pushed: build api: base image "+base+": its registry refused us") {
		t.Fatalf("without a login: exit %d\n%s", res.Code, res.Stdout)
	}
	r.Input("username", "bot").Input("password", "base-s3cret")
	res = r.Run(t, context.Background(), Main)
	cleanupImages(t, res.Outputs)
	if res.Code != 0 {
		t.Fatalf("with username/password: exit %d\n%s", res.Code, res.Stdout)
	}
	got := registrytest.Tags(t, locked.Host+"/api", authn.FromConfig(authn.AuthConfig{Username: "bot", Password: "base-s3cret"}))
	if got["v1"] == "" || got["v1"] != res.Outputs["digest"] {
		t.Errorf("tags %v, digest output %q", got, res.Outputs["digest"])
	}
}

// username/password serve every registry of the push but ECR, whose token the push gets from AWS:
// a FROM line of an ECR registry pulls with the docker config's login.
func TestGivenLogins_ServeEveryRegistryButECR(t *testing.T) {
	t.Parallel()
	regs, errs := slipwayregistry.ParseAll([]string{"docker.io/acme", "ghcr.io/acme", "123456789012.dkr.ecr.eu-west-2.amazonaws.com"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := givenLogins(config{Registries: regs, Username: "bot", Password: "pw"})
	if want := []string{"docker.io", "ghcr.io"}; !slices.Equal(slices.Sorted(maps.Keys(got)), want) || got["ghcr.io"].Username != "bot" {
		t.Errorf("givenLogins = %v, want bot's login for %v", slices.Sorted(maps.Keys(got)), want)
	}
}

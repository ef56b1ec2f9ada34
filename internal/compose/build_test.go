package compose

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// build: goes through BuildKit: a cache mount keeps its files from one build to the next, a build
// secret comes from the environment, and the target's stage is built without the stages it does not
// need (the classic builder would build the failing one).
func TestEnsureImages_BuildsWithBuildKit(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	img := "slipway-test/buildkit:" + strings.ToLower(dockertest.UniqueName(t, "b"))
	var ids []string // each build's image: the second build takes the tag from the first
	t.Cleanup(func() {
		removeImage(cli, img)
		for _, id := range ids {
			removeImage(cli, id)
		}
	})
	cacheID := fmt.Sprintf("slipway-test-%d", time.Now().UnixNano())
	service := func(runID string) string {
		return `    image: ` + img + `
    build:
      context: ./ctx
      target: final
      args: {RUN_ID: "` + runID + `"}
      secrets: [token]
secrets:
  token: {environment: SLIPWAY_TEST_TOKEN}
`
	}
	r, _, s := oneService(t, service("1"))
	s.Env = []string{"SLIPWAY_TEST_TOKEN=t0ken-from-env"}
	composetest.BuildContext(t, filepath.Join(s.WorkDir, "ctx"), `FROM scratch AS tools
COPY platform /platform
FROM tools AS unused
RUN ["/platform", "copy", "/does-not-exist", "/x"]
FROM tools AS final
ARG RUN_ID
RUN --mount=type=cache,id=`+cacheID+`,target=/cache ["/platform", "count", "/cache/n", "/count"]
RUN --mount=type=secret,id=token ["/platform", "copy", "/run/secrets/token", "/token"]
ENTRYPOINT ["/platform"]
`)
	for _, runID := range []string{"1", "2"} { // a new RUN_ID runs the step again, with the same cache
		if err := os.WriteFile(filepath.Join(s.WorkDir, "compose.yml"), []byte("services:\n  e2e:\n"+service(runID)), 0o644); err != nil {
			t.Fatal(err)
		}
		imgs, err := ensure(t, r, s, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(imgs.Built) != 1 || imgs.Built[0].Builder != "BuildKit" {
			t.Fatalf("built = %+v", imgs.Built)
		}
		ids = append(ids, imgs.Built[0].ID)
	}
	if code, out := dockertest.Run(t, cli, img, []string{"/platform"}, "copy", "/count", "/dev/stdout"); code != 0 || out != "2" {
		t.Errorf("the cache mount's count after two builds = %q (exit %d), want 2", out, code)
	}
	if code, out := dockertest.Run(t, cli, img, []string{"/platform"}, "copy", "/token", "/dev/stdout"); code != 0 || out != "t0ken-from-env" {
		t.Errorf("the build secret = %q (exit %d)", out, code)
	}
}

// A service behind a profile that is not enabled is left out, unless it is the test service (or
// named in services), as `docker compose run` does; profiles come from the input, else
// COMPOSE_PROFILES.
func TestLoad_Profiles(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"compose.yml": `services:
  db: {image: x}
  debug: {image: x, profiles: [debug]}
  seed: {image: x, profiles: [seed]}
  e2e: {image: y, profiles: [test], depends_on: [db]}
  broken: {image: y, profiles: [broken], depends_on: [seed]}
  fixtures: {image: x, profiles: [it]}
  it: {image: y, profiles: [it], depends_on: [fixtures]}
`})
	load := func(test string, profiles []string, env ...string) ([]string, error) {
		p, _, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "p",
			TestService: test, Profiles: profiles, Env: env})
		if err != nil {
			return nil, err
		}
		return p.ServiceNames(), nil
	}
	for _, c := range []struct {
		name     string
		profiles []string
		env      []string
		want     string
	}{
		{"the test service behind a profile", nil, nil, "db e2e"},
		{"the profiles input", []string{"debug"}, nil, "db debug e2e"},
		{"COMPOSE_PROFILES", nil, []string{"COMPOSE_PROFILES=debug,seed"}, "db debug e2e seed"},
		{"the input wins over COMPOSE_PROFILES", []string{"seed"}, []string{"COMPOSE_PROFILES=debug"}, "db e2e seed"},
	} {
		got, err := load("e2e", c.profiles, c.env...)
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("%s: services %v, %v; want %s", c.name, got, err, c.want)
		}
	}
	// A dependency behind the test service's own profile comes along, as with docker compose up it.
	if got, err := load("it", nil); err != nil || strings.Join(got, " ") != "db fixtures it" {
		t.Errorf("a dependency in the test service's profile: %v, %v", got, err)
	}
	if _, err := load("broken", nil); !isInputError(err) || !strings.Contains(err.Error(), "service broken depends on seed, which is behind a profile that is not enabled (profiles: seed)") {
		t.Errorf("a dependency behind a disabled profile: %v", err)
	}
}

package compose

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/slipway-actions/slipway/internal/failure"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const platform = `services:
  db:
    image: slipway-test/db
    healthcheck: {test: ["CMD", "/db", "-check"], interval: 1s}
  migrate:
    image: slipway-test/migrate
    depends_on: {db: {condition: service_healthy}}
  api:
    image: slipway-test/api:${API_TAG:-latest}
    environment: [DATABASE_URL=postgres://db/app]
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  web:
    image: slipway-test/web
  e2e:
    image: slipway-test/e2e
    depends_on: {api: {condition: service_healthy}}
`

func TestLoad_InterpolatesAndKeepsConditions(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"compose.yml": platform, "e2e.env": "API_TAG=1.2.3\n"})
	p, _, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "slipway-t1",
		EnvFiles: []string{"e2e.env"}, TestService: "e2e", Services: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Services["api"].Image; got != "slipway-test/api:1.2.3" {
		t.Errorf("api image = %q, want the env file's tag", got)
	}
	if _, ok := p.Services["web"]; ok {
		t.Errorf("web was loaded though only api and e2e (and their dependencies) were asked for")
	}
	if c := p.Services["api"].DependsOn["migrate"].Condition; c != "service_completed_successfully" {
		t.Errorf("condition = %q", c)
	}
}

func TestLoad_ListsEveryProblem(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"compose.yml": platform, "broken.yml": "services: [\n"})
	_, _, err := Load(context.Background(), Spec{Files: []string{"missing.yml"}, WorkDir: dir, ProjectName: "p", EnvFiles: []string{"none.env"}, TestService: "e2e"})
	if !isInputError(err) || !strings.Contains(err.Error(), "compose-file missing.yml") || !strings.Contains(err.Error(), "env-file none.env") {
		t.Errorf("err = %v", err)
	}
	_, _, err = Load(context.Background(), Spec{Files: []string{"broken.yml"}, WorkDir: dir, ProjectName: "p", TestService: "e2e"})
	if !isInputError(err) || !strings.Contains(err.Error(), "compose-file broken.yml") {
		t.Errorf("err = %v", err)
	}
	_, _, err = Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "p", TestService: "tests", Services: []string{"apii"}})
	if !isInputError(err) || !strings.Contains(err.Error(), `test-service "tests" is not a service of the project (services: api, db, e2e, migrate, web)`) ||
		!strings.Contains(err.Error(), `services: "apii" is not a service`) {
		t.Errorf("err = %v", err)
	}
}

func TestPrepare_URLModeRunsOnlyTheTestServiceAgainstTheURL(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"compose.yml": platform})
	p, _, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "p", TestService: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	p = Prepare(p, "e2e", Choices{Command: []string{"pytest", "-x"}, BaseURL: "https://staging.example.com"})
	e2e, ok := p.Services["e2e"]
	if len(p.Services) != 1 || !ok || len(e2e.DependsOn) != 0 {
		t.Fatalf("services = %v", p.ServiceNames())
	}
	if u := e2e.Environment["BASE_URL"]; u == nil || *u != "https://staging.example.com" || strings.Join(e2e.Command, " ") != "pytest -x" {
		t.Errorf("e2e = %+v", e2e)
	}
}

func TestCheck_NotesWhatIsLeftOutAndRefusesWhatWouldChangeTheResult(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"compose.yml": `services:
  api:
    image: x
    scale: 3
    develop: {watch: [{path: ., action: rebuild}]}
    deploy: {placement: {constraints: [node.role==manager]}}
  e2e:
    image: y
    scale: 2
    use_api_socket: true
    pre_start: [{command: [seed]}]
    build: {context: ., ssh: [default]}
`})
	p, unsupported, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "p", TestService: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	// Compose itself names what it leaves out of a project outside Swarm.
	if !strings.Contains(strings.Join(unsupported, "\n"), `service "api": deploy.placement`) {
		t.Errorf("Compose's unsupported attributes = %q", unsupported)
	}
	notes, err := Check(p, "e2e")
	want := []string{"service api: develop (watch and sync are for development; the images run as built)"}
	if strings.Join(notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes = %q, want %q", notes, want)
	}
	for _, w := range []string{
		"service e2e: use_api_socket is not supported: Compose would copy the runner's registry logins into the container",
		"service e2e: build.ssh is not supported",
		"service e2e: scale 2: the test service runs once",
	} {
		if !isInputError(err) || !strings.Contains(err.Error(), w) {
			t.Errorf("err = %v, want it to say %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "pre_start") || strings.Contains(err.Error(), "service api") {
		t.Errorf("err = %v: pre_start and scale are Compose's to run", err)
	}
}

// A compose-go upgrade that parses a new build key fails here until run-e2e's builder decides what to
// do with it; service keys are Compose's engine's, and the few run-e2e decides must exist.
func TestServiceKeys_EveryKeyIsDecided(t *testing.T) {
	t.Parallel()
	for typ, table := range map[reflect.Type]map[string]rule{
		reflect.TypeFor[types.ServiceConfig](): serviceKeys,
		reflect.TypeFor[types.BuildConfig]():   buildKeys,
	} {
		keys := yamlKeys(typ)
		for _, k := range keys {
			if _, ok := table[k]; !ok && typ == reflect.TypeFor[types.BuildConfig]() {
				t.Errorf("%s: key %q is parsed by compose-go but neither honoured nor named by run-e2e", typ.Name(), k)
			}
		}
		for k := range table {
			if !slices.Contains(keys, k) {
				t.Errorf("%s: key %q is decided but compose-go has no such key", typ.Name(), k)
			}
		}
	}
}

func isInputError(err error) bool { return failure.Of(err) == failure.Input }

// The project directory is the first Compose file's directory, as Compose takes it: its .env, its
// env_file and its ./ paths; project-directory moves it, as --project-directory does.
func TestLoad_ProjectDirectoryIsTheFirstComposeFilesDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"e2e/compose.yml": "services:\n  e2e:\n    image: x\n    env_file: [app.env]\n    environment: {GREETING: \"${GREETING}\"}\n    volumes: [./data:/data]\n",
		"e2e/.env":        "GREETING=from-e2e\n",
		"e2e/app.env":     "FROM=e2e\n",
		".env":            "GREETING=from-the-root\n",
		"app.env":         "FROM=root\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ projectDir, want string }{{"", "e2e"}, {".", "root"}} {
		p, _, err := Load(context.Background(), Spec{Files: []string{"e2e/compose.yml"}, WorkDir: dir, ProjectDir: c.projectDir, ProjectName: "p", TestService: "e2e"})
		if err != nil {
			t.Fatal(err)
		}
		wantDir := filepath.Join(dir, strings.TrimPrefix(strings.TrimPrefix(c.want, "root"), "."))
		env := p.Services["e2e"].Environment
		if p.WorkingDir != wantDir || *env["GREETING"] != "from-"+map[string]string{"e2e": "e2e", "root": "the-root"}[c.want] ||
			*env["FROM"] != c.want || p.Services["e2e"].Volumes[0].Source != filepath.Join(wantDir, "data") {
			t.Errorf("project-directory %q: working dir %s, GREETING %s, FROM %s, bind %s; want all from %s", c.projectDir, p.WorkingDir,
				*env["GREETING"], *env["FROM"], p.Services["e2e"].Volumes[0].Source, wantDir)
		}
	}
	_, _, err := Load(context.Background(), Spec{Files: []string{"e2e/compose.yml"}, WorkDir: dir, ProjectDir: "nowhere", ProjectName: "p", TestService: "e2e"})
	if !isInputError(err) || !strings.Contains(err.Error(), "project-directory nowhere is not a directory") {
		t.Errorf("err = %v", err)
	}
}

// The run's environment for the test service (a shard's) is set over what the Compose file says,
// on the test service only; the platform stays whole.
func TestPrepare_SetsTheTestServicesEnvironmentOverTheFiles(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"compose.yml": strings.Replace(platform, "image: slipway-test/e2e",
		"image: slipway-test/e2e\n    environment: [SLIPWAY_SHARD=9/9, KEEP=1]", 1)})
	p, _, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "p", TestService: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	p = Prepare(p, "e2e", Choices{Env: map[string]string{"SLIPWAY_SHARD": "2/3", "SLIPWAY_SHARD_INDEX": "2"}})
	env := p.Services["e2e"].Environment
	for k, want := range map[string]string{"SLIPWAY_SHARD": "2/3", "SLIPWAY_SHARD_INDEX": "2", "KEEP": "1"} {
		if v := env[k]; v == nil || *v != want {
			t.Errorf("e2e's %s = %v, want %s", k, v, want)
		}
	}
	if len(p.Services) != 5 || p.Services["api"].Environment["SLIPWAY_SHARD"] != nil {
		t.Errorf("services %v; api's environment %v", p.ServiceNames(), p.Services["api"].Environment)
	}
}

package compose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
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
	p, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "slipway-t1",
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
	_, err := Load(context.Background(), Spec{Files: []string{"missing.yml"}, WorkDir: dir, ProjectName: "p", EnvFiles: []string{"none.env"}, TestService: "e2e"})
	if !isInputError(err) || !strings.Contains(err.Error(), "compose-file missing.yml") || !strings.Contains(err.Error(), "env-file none.env") {
		t.Errorf("err = %v", err)
	}
	_, err = Load(context.Background(), Spec{Files: []string{"broken.yml"}, WorkDir: dir, ProjectName: "p", TestService: "e2e"})
	if !isInputError(err) || !strings.Contains(err.Error(), "compose-file broken.yml") {
		t.Errorf("err = %v", err)
	}
	_, err = Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "p", TestService: "tests", Services: []string{"apii"}})
	if !isInputError(err) || !strings.Contains(err.Error(), `test-service "tests" is not a service of the project (services: api, db, e2e, migrate, web)`) ||
		!strings.Contains(err.Error(), `services: "apii" is not a service`) {
		t.Errorf("err = %v", err)
	}
}

func TestPrepare_URLModeRunsOnlyTheTestServiceAgainstTheURL(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"compose.yml": platform})
	p, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "p", TestService: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	p = Prepare(p, "e2e", []string{"pytest", "-x"}, "https://staging.example.com")
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
  e2e:
    image: y
    pre_start: [{command: [seed]}]
    build: {context: ., ssh: [default]}
`})
	p, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "p", TestService: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	notes, err := Check(p)
	want := []string{"service api: develop (watch and sync are for development; the images run as built); 3 replicas (run-e2e starts one)"}
	if strings.Join(notes, "\n") != strings.Join(want, "\n") {
		t.Errorf("notes = %q, want %q", notes, want)
	}
	for _, w := range []string{
		"service e2e: pre_start is not supported: run-e2e does not run pre_start init containers",
		"service e2e: build.ssh is not supported",
	} {
		if !isInputError(err) || !strings.Contains(err.Error(), w) {
			t.Errorf("err = %v, want it to say %q", err, w)
		}
	}
}

// A compose-go upgrade that parses a new key fails here until run-e2e decides what to do with it.
func TestServiceKeys_EveryKeyIsDecided(t *testing.T) {
	t.Parallel()
	for typ, table := range map[reflect.Type]map[string]rule{
		reflect.TypeFor[types.ServiceConfig](): serviceKeys,
		reflect.TypeFor[types.BuildConfig]():   buildKeys,
	} {
		keys := yamlKeys(typ)
		for _, k := range keys {
			if _, ok := table[k]; !ok {
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

func isInputError(err error) bool { return errors.As(err, new(*InputError)) }

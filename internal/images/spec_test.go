package images

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSpecs_YAMLAndLines(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	for name, text := range map[string]string{
		"api/Dockerfile":        "FROM scratch AS runtime\n",
		"docker/web.Dockerfile": "FROM scratch\n",
		"web/index.html":        "<p>",
	} {
		p := filepath.Join(ws, name)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	specs, err := ParseSpecs(`
- name: api
  context: api
  target: runtime
  build-args: [PYTHON=3.12, EMPTY=]
  labels: {team: payments}
- name: acme/web
  context: web
  dockerfile: docker/web.Dockerfile
`, ws)
	if err != nil {
		t.Fatal(err)
	}
	if specs[0].DockerfilePath != filepath.Join(ws, "api/Dockerfile") || specs[0].BuildArgs["PYTHON"] != "3.12" || specs[0].Labels["team"] != "payments" {
		t.Errorf("api: %+v", specs[0])
	}
	if _, ok := specs[0].BuildArgs["EMPTY"]; !ok {
		t.Errorf("an empty build arg was dropped")
	}
	if specs[1].DockerfilePath != filepath.Join(ws, "docker/web.Dockerfile") {
		t.Errorf("web's Dockerfile (relative to the workspace) = %s", specs[1].DockerfilePath)
	}
	lines, err := ParseSpecs("api=api\n# comment\n", ws)
	if err != nil || len(lines) != 1 || lines[0].ContextDir != filepath.Join(ws, "api") {
		t.Errorf("lines: %+v, %v", lines, err)
	}
}

func TestParseSpecs_EveryProblemNamed(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	_ = os.MkdirAll(filepath.Join(ws, "api"), 0o755)
	_ = os.WriteFile(filepath.Join(ws, "api/Dockerfile"), []byte("FROM scratch AS runtime\n"), 0o644)
	_ = os.MkdirAll(filepath.Join(ws, "empty"), 0o755)
	_, err := ParseSpecs(`
- name: api
  context: api
  target: tests
- name: API
  context: api
- name: outside
  context: ../elsewhere
- name: nodockerfile
  context: empty
- name: multi
  context: api
  platforms: [linux/amd64, linux/sparc]
- context: api
- name: api
  context: api
`, ws)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`image "api": target "tests" is not a stage of api/Dockerfile (stages: runtime)`,
		`image "API": name "API" is not a repository name`,
		`image "outside": context: "../elsewhere" is outside the workspace`,
		`image "nodockerfile": dockerfile "Dockerfile" not found (looked for empty/Dockerfile and Dockerfile)`,
		`image "multi": platform "linux/sparc" is not one BuildKit builds`,
		`image 6: name is required`,
		`image "api": name is given twice`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

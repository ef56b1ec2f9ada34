package lint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		files   map[string]string
		want    string
		wantErr string
	}{
		{"nothing", map[string]string{"main.py": ""}, "", ""},
		{"pyproject tools", map[string]string{"pyproject.toml": "[tool.black]\n[tool.ruff.lint]\nselect=['E']\n[tool.ruff.format]\n[tool.mypy]\n"}, "ruff,ruff-format,black,mypy", ""},
		{"flake8 never from pyproject", map[string]string{"pyproject.toml": "[tool.flake8]\n"}, "", ""},
		{"setup.cfg sections", map[string]string{"setup.cfg": "[metadata]\n[flake8]\n[isort]\n[mypy]\n[pylint.messages_control]\n"}, "flake8,isort,pylint,mypy", ""},
		{"tox.ini and .flake8", map[string]string{"tox.ini": "[tox]\n", ".flake8": "[flake8]\nmax-line-length=90\n"}, "flake8", ""},
		{"dedicated files", map[string]string{".isort.cfg": "", "mypy.ini": "[mypy]\n", ".pylintrc": "", "ruff.toml": "line-length = 90\n"}, "ruff,isort,pylint,mypy", ""},
		{"pre-commit hooks", map[string]string{".pre-commit-config.yaml": "repos:\n- repo: x\n  hooks:\n  - id: ruff\n  - id: ruff-format\n  - id: trailing-whitespace\n- repo: y\n  hooks:\n  - id: black\n"}, "ruff,ruff-format,black", ""},
		{"broken pyproject", map[string]string{"pyproject.toml": "[tool.black\nline-length = 1\n"}, "", "pyproject.toml"},
		{"broken pre-commit", map[string]string{".pre-commit-config.yaml": "repos: [\n"}, "", ".pre-commit-config.yaml"},
		{"broken setup.cfg, as configparser reads it", map[string]string{"setup.cfg": "[flake8]\nmax-line-length = 90\nmax-line-length = 100\n"}, "", "setup.cfg: line 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := sandboxtest.Dir(t)
			for name, text := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			d, err := Detect(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(d.Tools, ","); got != tc.want {
				t.Errorf("tools = %q, want %q", got, tc.want)
			}
		})
	}
}

func errorAs[T error](err error, target *T) bool { return errors.As(err, target) }

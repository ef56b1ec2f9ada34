package pyenv

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

func TestReadPlan(t *testing.T) {
	t.Parallel()
	preCommit := `repos:
- repo: https://github.com/psf/black-pre-commit-mirror
  rev: 24.2.0
  hooks: [{id: black}]
- repo: https://github.com/pre-commit/mirrors-mypy
  rev: v1.8.0
  hooks:
  - id: mypy
    additional_dependencies: [types-requests==2.31.0, "django-stubs[compatible-mypy]"]
- repo: https://github.com/PyCQA/flake8
  rev: 0123456789abcdef0123456789abcdef01234567
  hooks: [{id: flake8, additional_dependencies: [flake8-bugbear==24.2.6]}]
- repo: local
  hooks: [{id: pylint, name: pylint, entry: pylint, language: system}]
- repo: https://github.com/PyCQA/isort
  rev: 5.13.2
  hooks: [{id: isort}]
`
	pyproject := `[project]
name = "x"
dependencies = ["requests>=2"]
[project.optional-dependencies]
postgres = ["psycopg2"]
test = ["pytest==8.0.0"]
[dependency-groups]
lint = ["pylint-django==2.5.5", {include-group = "typing"}]
typing = ["types-pyyaml"]
docs = ["sphinx"]
`
	poetry := `[tool.poetry.dependencies]
python = "^3.11"
django = "^4.2.1"
celery = {version = "~5.3", extras = ["redis"]}
localpkg = {path = "../localpkg"}
optional-thing = {version = "*", optional = true}
[tool.poetry.group.dev.dependencies]
pytest = ">=7,<9"
black = "24.1.1"
[tool.poetry.group.docs.dependencies]
sphinx = "*"
`
	for _, tc := range []struct {
		name, mode string
		files      map[string]string
		tools      []string
		want       []string          // requirements, "-r" files relative to the directory
		pins       map[string]string // distribution → source
		note       string
		err        string
	}{
		{name: "none", mode: "none", files: map[string]string{"requirements.txt": "x\n"}},
		{name: "auto with nothing to read", mode: "auto", files: map[string]string{"app.py": ""}},
		{name: "pre-commit revs and additional dependencies of the linters that run", mode: "auto",
			files: map[string]string{PreCommitConfig: preCommit}, tools: []string{"black", "mypy", "flake8", "pylint"},
			want: []string{"black==24.2.0", "mypy==1.8.0", "types-requests==2.31.0", "django-stubs[compatible-mypy]", "flake8-bugbear==24.2.6"},
			pins: map[string]string{"black": PreCommitConfig, "mypy": PreCommitConfig, "django-stubs": PreCommitConfig},
			note: `hook flake8 has rev "0123456789abcdef0123456789abcdef01234567", not a version`},
		{name: "requirements files, with the files they include", mode: "auto",
			files: map[string]string{"requirements.txt": "requests==2.31.0\n", "requirements/dev.txt": "-r ../requirements.txt\n-c constraints.txt\nBlack==24.1.0  # formatter\npylint_django\n-e .\n", "requirements/constraints.txt": "x<2\n"},
			tools: []string{"black"},
			want:  []string{"-r", "requirements.txt", "-r", "requirements/dev.txt"},
			pins:  map[string]string{"requests": "requirements.txt", "black": "requirements/dev.txt", "pylint-django": "requirements/dev.txt"}},
		{name: "pyproject dependencies and development groups", mode: "auto", files: map[string]string{"pyproject.toml": pyproject},
			want: []string{"requests>=2", "pylint-django==2.5.5", "types-pyyaml", "pytest==8.0.0"},
			pins: map[string]string{"pylint-django": "pyproject.toml [dependency-groups] lint", "pytest": "pyproject.toml [project.optional-dependencies] test"}},
		{name: "Poetry constraints", mode: "auto", files: map[string]string{"pyproject.toml": poetry},
			want: []string{"celery[redis]>=5.3,<5.4", "django>=4.2.1,<5.0.0", "black==24.1.1", "pytest>=7,<9"},
			pins: map[string]string{"black": "pyproject.toml [tool.poetry.group.dev]"},
			note: "localpkg is not from an index"},
		{name: "a named group", mode: "docs", files: map[string]string{"pyproject.toml": pyproject}, want: []string{"sphinx"}},
		{name: "a named file", mode: "requirements/ci.txt", files: map[string]string{"requirements/ci.txt": "flake8==7.0.0\n"},
			want: []string{"-r", "requirements/ci.txt"}, pins: map[string]string{"flake8": "requirements/ci.txt"}},
		{name: "a missing file", mode: "requirements-ci.txt", err: `"requirements-ci.txt" is not a requirements file`},
		{name: "a file outside", mode: "../secrets.txt", err: `is outside the working directory`},
		{name: "an unknown group", mode: "ci", files: map[string]string{"pyproject.toml": pyproject}, err: `(its groups: docs, lint, postgres, test, typing)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := sandboxtest.Dir(t)
			linttest.WriteFiles(t, dir, tc.files)
			p, err := ReadPlan(dir, tc.mode, lintersNamed(tc.tools...))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range p.Requirements {
				if rel, err := filepath.Rel(dir, r); err == nil && filepath.IsLocal(rel) && filepath.IsAbs(r) {
					r = filepath.ToSlash(rel)
				}
				got = append(got, r)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("requirements = %q, want %q", got, tc.want)
			}
			if p.Empty() != (len(tc.want) == 0) {
				t.Errorf("Empty() = %v with %d requirements", p.Empty(), len(tc.want))
			}
			for dist, src := range tc.pins {
				if p.Pins[dist] != src {
					t.Errorf("pin of %s from %q, want %q (all: %v)", dist, p.Pins[dist], src, p.Pins)
				}
			}
			if tc.note != "" && !strings.Contains(strings.Join(p.Notes, "\n"), tc.note) {
				t.Errorf("notes %q lack %q", p.Notes, tc.note)
			}
		})
	}
}

func TestPoetryConstraint(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"^1.2.3": ">=1.2.3,<2.0.0", "^0.2.3": ">=0.2.3,<0.3.0", "^0.0.3": ">=0.0.3,<0.0.4", "^2": ">=2,<3",
		"~1.2.3": ">=1.2.3,<1.3.0", "~1.2": ">=1.2,<1.3", "~1": ">=1,<2", "~=1.4": "~=1.4",
		"1.2.3": "==1.2.3", "*": "", ">=1.0, <2.0": ">=1.0,<2.0", "2.*": "==2.*",
		">=1.2 <1.5": ">=1.2,<1.5", ">= 1.2, < 1.5": ">=1.2,<1.5", "^ 1.2": ">=1.2,<2.0",
	} {
		if got, ok := poetryConstraint(in); !ok || got != want {
			t.Errorf("poetryConstraint(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := poetryConstraint("^1.0 || ^2.0"); ok {
		t.Errorf("an or-constraint was read")
	}
}

func TestReadPlan_RefusesConfigEntriesThatAreNotRequirements(t *testing.T) {
	t.Parallel()
	dir := sandboxtest.Dir(t)
	linttest.WriteFiles(t, dir, map[string]string{
		PreCommitConfig: `repos:
- repo: https://github.com/PyCQA/flake8
  rev: 7.0.0
  hooks:
  - id: flake8
    additional_dependencies: ["--index-url=http://evil/simple", "--no-deps", "-r", "/etc/passwd", "flake8-bugbear==24.2.6"]
`,
		"pyproject.toml": `[project]
name = "p"
dependencies = ["--target=/tmp/x", "requests>=2", "tomli; python_version < '3.11'", "pkg @ https://example.com/pkg-1.0-py3-none-any.whl"]
[tool.poetry.group.dev.dependencies]
"--pre" = "*"
`,
		"requirements-dev.txt": "-e .\n./libs/helper\n--index-url https://mirror.example/simple\n",
	})
	_, err := ReadPlan(dir, "auto", lintersNamed("flake8"))
	if err == nil {
		t.Fatal("the entries that are not requirements were read")
	}
	for _, want := range []string{
		`.pre-commit-config.yaml: hook flake8 additional_dependencies: "--index-url=http://evil/simple" is not a requirement`,
		`.pre-commit-config.yaml: hook flake8 additional_dependencies: "--no-deps" is not a requirement`,
		`.pre-commit-config.yaml: hook flake8 additional_dependencies: "-r" is not a requirement`,
		`.pre-commit-config.yaml: hook flake8 additional_dependencies: "/etc/passwd" is not a requirement`,
		`pyproject.toml [project] dependencies: "--target=/tmp/x" is not a requirement`,
		`pyproject.toml [tool.poetry.group.dev]: "--pre" is not a requirement`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
	for _, fine := range []string{"flake8-bugbear", "requests", "tomli", "pkg @", "requirements-dev.txt", "mirror.example"} {
		if strings.Contains(err.Error(), fine) {
			t.Errorf("the error names %q, which is fine (a requirement, or a requirements file: pip's own format):\n%v", fine, err)
		}
	}
}

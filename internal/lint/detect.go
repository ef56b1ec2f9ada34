package lint

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// Known lists the tools lint-python can run, in the order they are reported.
var Known = []string{"ruff", "ruff-format", "flake8", "black", "isort", "pylint", "mypy"}

// IsKnown reports whether name is a tool lint-python can run.
func IsKnown(name string) bool {
	for _, k := range Known {
		if k == name {
			return true
		}
	}
	return false
}

// Detection is what a repository configures: each tool with the file that says so.
type Detection struct {
	Tools   []string          // in Known order
	Sources map[string]string // tool → file (relative to the project directory) that configures it
}

var iniSection = regexp.MustCompile(`^\s*\[([^\]]+)\]`)

// Detect reads the project directory's config files and returns the tools they configure.
// pyproject.toml is read for [tool.ruff|black|isort|mypy|pylint]; setup.cfg, tox.ini and .flake8 for
// [flake8] (flake8 never reads pyproject.toml), [isort], [mypy] and [pylint.*]; .isort.cfg, mypy.ini,
// .pylintrc, ruff.toml; and .pre-commit-config.yaml for the hooks a repository uses. A config file that
// does not parse is an error naming it: the tools would fail on it too.
func Detect(dir string) (Detection, error) {
	d := Detection{Sources: map[string]string{}}
	add := func(tool, source string) {
		if _, ok := d.Sources[tool]; !ok {
			d.Sources[tool] = source
		}
	}
	var errs []error

	if b, err := os.ReadFile(filepath.Join(dir, "pyproject.toml")); err == nil {
		var doc struct {
			Tool map[string]any `toml:"tool"`
		}
		if err := toml.Unmarshal(b, &doc); err != nil {
			errs = append(errs, fmt.Errorf("pyproject.toml: %w", err))
		}
		for _, tool := range []string{"ruff", "black", "isort", "mypy", "pylint"} {
			if section, ok := doc.Tool[tool]; ok {
				add(tool, "pyproject.toml")
				if m, ok := section.(map[string]any); ok && tool == "ruff" {
					if _, ok := m["format"]; ok {
						add("ruff-format", "pyproject.toml")
					}
				}
			}
		}
	}
	for _, name := range []string{"ruff.toml", ".ruff.toml"} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			var v map[string]any
			if err := toml.Unmarshal(b, &v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			add("ruff", name)
			if _, ok := v["format"]; ok {
				add("ruff-format", name)
			}
		}
	}
	for _, name := range []string{"setup.cfg", "tox.ini", ".flake8"} {
		sections, err := readINISections(filepath.Join(dir, name))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			continue
		}
		for _, s := range sections {
			switch {
			case s == "flake8":
				add("flake8", name)
			case s == "isort" || s == "tool:isort":
				add("isort", name)
			case s == "mypy" || strings.HasPrefix(s, "mypy-"):
				add("mypy", name)
			case strings.HasPrefix(s, "pylint."):
				add("pylint", name)
			}
		}
	}
	for name, tool := range map[string]string{".isort.cfg": "isort", "mypy.ini": "mypy", ".mypy.ini": "mypy", ".pylintrc": "pylint", "pylintrc": "pylint"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			add(tool, name)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, ".pre-commit-config.yaml")); err == nil {
		var cfg struct {
			Repos []struct {
				Hooks []struct {
					ID string `yaml:"id"`
				} `yaml:"hooks"`
			} `yaml:"repos"`
		}
		if err := yaml.Unmarshal(b, &cfg); err != nil {
			errs = append(errs, fmt.Errorf(".pre-commit-config.yaml: %w", err))
		}
		for _, r := range cfg.Repos {
			for _, h := range r.Hooks {
				id := h.ID
				if id == "ruff-check" {
					id = "ruff"
				}
				if IsKnown(id) {
					add(id, ".pre-commit-config.yaml")
				}
			}
		}
	}
	for _, k := range Known {
		if _, ok := d.Sources[k]; ok {
			d.Tools = append(d.Tools, k)
		}
	}
	return d, errors.Join(errs...)
}

// readINISections lists the [section] names of an INI file.
func readINISections(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var sections []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		if m := iniSection.FindStringSubmatch(sc.Text()); m != nil {
			sections = append(sections, strings.TrimSpace(m[1]))
		}
	}
	sort.Strings(sections)
	return sections, sc.Err()
}

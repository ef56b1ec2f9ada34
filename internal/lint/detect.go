package lint

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"
)

// Detection is what a repository configures: each tool with the file that says so.
type Detection struct {
	Tools   []string          // in Known order
	Sources map[string]string // tool → file (relative to the project directory) that configures it
}

// Detect reads the project directory's config files and returns the tools they configure: the
// places each tool's entry in the table names (pyproject.toml's [tool.X], setup.cfg, tox.ini and
// .flake8 sections, dedicated files; flake8 never reads pyproject.toml), and the hooks of
// .pre-commit-config.yaml. A config file that does not parse is an error naming it: the tools
// would fail on it too.
func Detect(dir string) (Detection, error) {
	d := Detection{Sources: map[string]string{}}
	files := configFiles{dir: dir, toml: map[string]map[string]any{}, ini: map[string]map[string]map[string]string{}}
	for _, t := range tools {
		for _, c := range t.configs {
			if files.has(c) {
				d.Sources[t.name] = c.file
				break
			}
		}
	}
	hooks, err := preCommitHooks(dir)
	if err != nil {
		files.errs = append(files.errs, err)
	}
	for _, h := range hooks {
		for _, t := range tools {
			if _, ok := d.Sources[t.name]; !ok && contains(t.hooks, h.ID) {
				d.Sources[t.name] = preCommitConfig
			}
		}
	}
	for _, t := range tools {
		if _, ok := d.Sources[t.name]; ok {
			d.Tools = append(d.Tools, t.name)
		}
	}
	return d, errors.Join(files.errs...)
}

// configFiles reads each config file once.
type configFiles struct {
	dir  string
	toml map[string]map[string]any
	ini  map[string]map[string]map[string]string
	errs []error
}

// has reports whether the file of c exists and holds its key.
func (f *configFiles) has(c configKey) bool {
	file := filepath.Join(f.dir, c.file)
	if strings.HasSuffix(c.file, ".toml") {
		doc, ok := f.toml[c.file]
		if !ok {
			b, err := os.ReadFile(file)
			if err == nil {
				doc = map[string]any{}
				if err := toml.Unmarshal(b, &doc); err != nil {
					f.errs = append(f.errs, fmt.Errorf("%s: %w", c.file, err))
				}
			}
			f.toml[c.file] = doc
		}
		if doc == nil {
			return false
		}
		var v any = doc
		for _, k := range strings.Split(c.key, ".") {
			if k == "" {
				break
			}
			m, ok := v.(map[string]any)
			if !ok {
				return false
			}
			if v, ok = m[k]; !ok {
				return false
			}
		}
		return true
	}
	if c.key == "" {
		return exists(file)
	}
	sections, ok := f.ini[c.file]
	if !ok {
		sections, _ = readINI(file)
		f.ini[c.file] = sections
	}
	for s := range sections {
		if ok, _ := path.Match(c.key, s); ok {
			return true
		}
	}
	return false
}

// preCommitConfig is the file pre-commit reads.
const preCommitConfig = ".pre-commit-config.yaml"

// preCommitHook is one hook of .pre-commit-config.yaml, with its repository's rev.
type preCommitHook struct {
	Repo, Rev              string
	ID                     string   `yaml:"id"`
	AdditionalDependencies []string `yaml:"additional_dependencies"`
}

// preCommitHooks reads the hooks of the project's .pre-commit-config.yaml (none when it is missing).
func preCommitHooks(dir string) ([]preCommitHook, error) {
	b, err := os.ReadFile(filepath.Join(dir, preCommitConfig))
	if err != nil {
		return nil, nil
	}
	var cfg struct {
		Repos []struct {
			Repo  string          `yaml:"repo"`
			Rev   string          `yaml:"rev"`
			Hooks []preCommitHook `yaml:"hooks"`
		} `yaml:"repos"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", preCommitConfig, err)
	}
	var hooks []preCommitHook
	for _, r := range cfg.Repos {
		for _, h := range r.Hooks {
			h.Repo, h.Rev = r.Repo, r.Rev
			hooks = append(hooks, h)
		}
	}
	return hooks, nil
}

package lint

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/slipway-actions/slipway/internal/pyenv"
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
	files := configFiles{dir: dir, toml: map[string]map[string]any{}, ini: map[string]*iniFile{}}
	for _, t := range tools {
		for _, c := range t.configs {
			if files.has(c) {
				d.Sources[t.name] = c.file
				break
			}
		}
	}
	hooks, err := pyenv.PreCommitHooks(dir)
	if err != nil {
		files.errs = append(files.errs, err)
	}
	for _, h := range hooks {
		for _, t := range tools {
			if _, ok := d.Sources[t.name]; !ok && contains(t.hooks, h.ID) {
				d.Sources[t.name] = pyenv.PreCommitConfig
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

// configFiles reads each config file once: TOML with go-toml, INI as configparser does (parseINI).
type configFiles struct {
	dir  string
	toml map[string]map[string]any
	ini  map[string]*iniFile // nil for a file that is missing or does not parse
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
		return tomlPath(doc, strings.Split(c.key, "."))
	}
	if c.key == "" {
		return exists(file)
	}
	ini, ok := f.ini[c.file]
	if !ok {
		if b, err := os.ReadFile(file); err == nil {
			if ini, err = parseINI(string(b), iniDialect{}); err != nil {
				f.errs = append(f.errs, fmt.Errorf("%s: %w", c.file, err))
			}
		}
		f.ini[c.file] = ini
	}
	if ini == nil {
		return false
	}
	for _, s := range ini.sections {
		if ok, _ := path.Match(c.key, s.name); ok {
			return true
		}
	}
	return false
}

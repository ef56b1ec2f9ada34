package pyenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Plan is what the install input asks for, read from the project before anything is touched: the
// requirements pip gets and, for each distribution named, the file that names it.
type Plan struct {
	Mode string // auto, none, a requirements file or a pyproject group
	// Requirements are pip's arguments, in order: "-r <file>" pairs and requirement strings.
	Requirements []string
	// Pins maps a distribution (normalised name) to where the project names it.
	Pins map[string]string
	// Notes say what was read and what was left out, and why.
	Notes []string
	// dir is the project directory: pip runs there, as a developer runs "pip install -r …" from the
	// project's root, so that a requirements file's "-e ." and "./libs/x" are the project's.
	dir string
	// files are the requirements files pip reads (and those they include): their text is part of
	// the environment's key.
	files []string
	// locals are the project directories a requirements file names by path ("-e .", "./libs/x"):
	// their build files are part of the key, and pip's build leaves nothing in them.
	locals []string
	// refused are the config entries that are not requirements, each naming its file and entry.
	refused []error
}

// Empty reports whether there is nothing to install: the linters on PATH run.
func (p *Plan) Empty() bool { return p == nil || len(p.Requirements) == 0 }

// devNames are the group and extra names auto reads as development dependencies.
var devNames = []string{"dev", "develop", "development", "lint", "linting", "linters", "test", "tests",
	"testing", "typing", "types", "mypy", "style", "qa", "check", "checks"}

// devRequirementFiles are the requirements files auto installs, besides requirements.txt.
var devRequirementFiles = []string{"requirements-dev.txt", "requirements_dev.txt", "dev-requirements.txt",
	"dev_requirements.txt", "requirements-lint.txt", "requirements_lint.txt", "requirements-test.txt",
	"requirements_test.txt", "test-requirements.txt", "requirements/dev.txt", "requirements/development.txt",
	"requirements/lint.txt", "requirements/test.txt", "requirements/tests.txt"}

// Linter is what a plan knows of a linter that will run: the distribution a pin names, and the
// pre-commit hooks that run it (their rev pins it).
type Linter struct {
	Dist  string   // on PyPI
	Hooks []string // pre-commit hook ids
}

// ReadPlan reads what install asks for (mode) in the project directory dir, for the linters that
// will run. auto: the pins of .pre-commit-config.yaml (each hook's rev for its linter, and its
// additional_dependencies), requirements.txt and the development requirements files, and
// pyproject.toml's dependencies with its development groups ([dependency-groups],
// [project.optional-dependencies], Poetry's groups). A file name or a group name installs that alone.
// Every error is the input's: a name that is neither, or a config file that does not parse or lists
// what is not a requirement.
func ReadPlan(dir, mode string, linters []Linter) (*Plan, error) {
	p := &Plan{Mode: mode, Pins: map[string]string{}, dir: dir}
	switch {
	case mode == "none" || mode == "":
		return p, nil
	case mode == "auto":
		if err := p.addPreCommit(dir, linters); err != nil {
			return nil, fmt.Errorf("install: %w", err)
		}
		for _, name := range append([]string{"requirements.txt"}, devRequirementFiles...) {
			if exists(filepath.Join(dir, filepath.FromSlash(name))) {
				p.addFile(dir, name)
			}
		}
		py, err := readPyproject(dir)
		if err != nil {
			return nil, fmt.Errorf("install: %w", err)
		}
		if py != nil {
			p.addPyproject(py, "")
		}
		return p.checked()
	case strings.HasSuffix(mode, ".txt") || strings.HasSuffix(mode, ".in") || strings.ContainsRune(mode, '/') || exists(filepath.Join(dir, mode)):
		file := filepath.Join(dir, filepath.FromSlash(mode))
		if r, err := filepath.Rel(dir, file); err != nil || !filepath.IsLocal(r) {
			return nil, fmt.Errorf("install: %q is outside the working directory", mode)
		}
		if st, err := os.Stat(file); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("install: %q is not a requirements file in the working directory", mode)
		}
		p.addFile(dir, mode)
		return p, nil
	}
	py, err := readPyproject(dir)
	if err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	if py == nil || !p.addPyproject(py, mode) {
		groups := "none"
		if py != nil {
			groups = strings.Join(py.groupNames(), ", ")
		}
		return nil, fmt.Errorf("install: %q is neither auto, none, a requirements file nor a group of pyproject.toml (its groups: %s)", mode, groups)
	}
	return p.checked()
}

// checked is the plan, or an error listing every config entry that is not a requirement.
func (p *Plan) checked() (*Plan, error) {
	if len(p.refused) > 0 {
		return nil, fmt.Errorf("install: the project's config lists what pip would read as an option or a path, not a requirement; "+
			"each entry must be a PEP 508 requirement (a name, optional [extras], a version specifier or \"@ <URL>\", an optional \"; marker\"); "+
			"name a private index with PIP_INDEX_URL or PIP_EXTRA_INDEX_URL, and put pip options in a requirements file:\n%w", errors.Join(p.refused...))
	}
	return p, nil
}

// add appends requirement strings from source (where names the file and the entry's place in it,
// for errors), remembering the first source of each name. An entry that is not a PEP 508
// requirement is refused: it reaches pip as an argument of its own.
func (p *Plan) add(source, where string, reqs ...string) {
	for _, r := range reqs {
		r = strings.TrimSpace(r)
		if r == "" || slices.Contains(p.Requirements, r) {
			continue
		}
		if err := checkRequirement(r); err != nil {
			p.refused = append(p.refused, fmt.Errorf("%s: %q is not a requirement: %v", where, r, err))
			continue
		}
		p.Requirements = append(p.Requirements, r)
		p.pin(requirementName(r), source)
	}
}

func (p *Plan) pin(name, source string) {
	if name == "" {
		return
	}
	if _, ok := p.Pins[name]; !ok {
		p.Pins[name] = source
	}
}

// addPreCommit pins each linter that runs to its hook's rev, with the hook's additional_dependencies.
func (p *Plan) addPreCommit(dir string, linters []Linter) error {
	hooks, err := PreCommitHooks(dir)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		for _, l := range linters {
			if !slices.Contains(l.Hooks, h.ID) {
				continue
			}
			if h.Repo != "local" && h.Repo != "meta" {
				if v, ok := versionOfRev(h.Rev); ok {
					p.add(PreCommitConfig, PreCommitConfig+": hook "+h.ID+" rev", l.Dist+"=="+v)
				} else {
					p.Notes = append(p.Notes, fmt.Sprintf("%s: hook %s has rev %q, not a version: %s is not pinned", PreCommitConfig, h.ID, h.Rev, l.Dist))
				}
			}
			p.add(PreCommitConfig, PreCommitConfig+": hook "+h.ID+" additional_dependencies", h.AdditionalDependencies...)
			break
		}
	}
	return nil
}

var revVersion = regexp.MustCompile(`^v?(\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?)$`)

// versionOfRev reads a pre-commit rev as a version: v1.8.0 and 24.2.0 are; a SHA or a branch is not.
func versionOfRev(rev string) (string, bool) {
	m := revVersion.FindStringSubmatch(rev)
	if m == nil || len(rev) >= 40 {
		return "", false
	}
	return m[1], true
}

// addFile has pip read a requirements file, and notes the names in it and the files it includes.
func (p *Plan) addFile(dir, name string) {
	file := filepath.Join(dir, filepath.FromSlash(name))
	p.Requirements = append(p.Requirements, "-r", file)
	p.readRequirements(file, filepath.ToSlash(name), map[string]bool{})
}

func (p *Plan) readRequirements(file, source string, seen map[string]bool) {
	if seen[file] {
		return
	}
	seen[file] = true
	b, err := os.ReadFile(file)
	if err != nil {
		return // pip will say
	}
	p.files = append(p.files, file)
	text := strings.ReplaceAll(string(b), "\\\n", "")
	for _, line := range strings.Split(text, "\n") {
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		fields := strings.Fields(line)
		switch {
		case line == "" || line[0] == '#':
		case fields[0] == "-r" || fields[0] == "--requirement" || fields[0] == "-c" || fields[0] == "--constraint":
			if len(fields) > 1 {
				inc := filepath.Join(filepath.Dir(file), fields[1])
				if fields[0] == "-c" || fields[0] == "--constraint" {
					p.readConstraints(inc, seen)
				} else {
					rel, _ := filepath.Rel(filepath.Dir(file), inc)
					p.readRequirements(inc, filepath.ToSlash(filepath.Join(filepath.Dir(filepath.FromSlash(source)), rel)), seen)
				}
			}
		case fields[0] == "-e" || fields[0] == "--editable":
			if len(fields) > 1 {
				p.local(fields[1])
			}
		case strings.HasPrefix(fields[0], "--editable="):
			p.local(strings.TrimPrefix(fields[0], "--editable="))
		case strings.HasPrefix(line, "-"):
		case strings.HasPrefix(line, ".") || strings.HasPrefix(line, "/") || strings.HasPrefix(line, "file:"):
			p.local(fields[0])
		default:
			p.pin(requirementName(line), source)
		}
	}
}

// local notes a path that a requirements file has pip install (relative to the project directory,
// where pip runs): a directory is a project pip builds, a file (a wheel) is part of the key.
func (p *Plan) local(spec string) {
	spec = strings.TrimPrefix(strings.TrimPrefix(spec, "file://"), "file:")
	spec, _, _ = strings.Cut(spec, "#")
	if i := strings.IndexByte(spec, '['); i > 0 && strings.HasSuffix(spec, "]") {
		spec = spec[:i] // ".[dev]": the project, with extras
	}
	if !strings.HasPrefix(spec, ".") && !strings.HasPrefix(spec, "/") {
		return // a VCS or other URL
	}
	if !filepath.IsAbs(spec) {
		spec = filepath.Join(p.dir, spec)
	}
	st, err := os.Stat(spec)
	switch {
	case err != nil:
	case st.IsDir() && !slices.Contains(p.locals, spec):
		p.locals = append(p.locals, spec)
	case st.Mode().IsRegular() && !slices.Contains(p.files, spec):
		p.files = append(p.files, spec)
	}
}

// readConstraints keeps a constraints file's text in the key; it names no requirement.
func (p *Plan) readConstraints(file string, seen map[string]bool) {
	if !seen[file] && exists(file) {
		seen[file] = true
		p.files = append(p.files, file)
	}
}

var requirementNameRE = regexp.MustCompile(`^\s*([A-Za-z0-9][A-Za-z0-9._-]*)`)

// requirementName is the normalised distribution name of a PEP 508 requirement (PEP 503).
func requirementName(req string) string {
	m := requirementNameRE.FindStringSubmatch(req)
	if m == nil {
		return ""
	}
	return normaliseName(m[1])
}

var nameSeparators = regexp.MustCompile(`[-_.]+`)

func normaliseName(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

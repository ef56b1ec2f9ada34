package lint

import (
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// changedTargets is what each tool lints in only-changed mode: the changed Python files that a full
// run of that tool would have linted, and the import roots of the whole tree.
type changedTargets struct {
	byTool map[string][]string // tool → files relative to the project directory
	roots  []string            // absolute
}

func (c changedTargets) forTool(t tool) []string { return c.byTool[t.name] }

// selectChanged picks the files each tool gets in only-changed mode. A tool given a file by name
// does not always apply its exclusions to it as it does when it walks the tree: isort and ruff do
// when told (--filter-files, --force-exclude), and for the others the walk's rules (the table's
// skips) are applied here, from the config file the tool reads. So a changed file the full run
// would skip is skipped.
func selectChanged(o Options) (changedTargets, error) {
	var files []string
	for file, ranges := range o.Changed {
		if len(ranges) == 0 || excluded(file, o.Exclude) {
			continue
		}
		ext := path.Ext(file)
		if ext != ".py" && ext != ".pyi" {
			continue
		}
		r, err := filepath.Rel(o.Dir, filepath.Join(o.Workspace, filepath.FromSlash(file)))
		if err != nil || !filepath.IsLocal(r) || !under(filepath.ToSlash(r), o.Paths) {
			continue
		}
		if st, err := os.Stat(filepath.Join(o.Dir, r)); err != nil || !st.Mode().IsRegular() {
			continue
		}
		files = append(files, filepath.ToSlash(r))
	}
	sort.Strings(files)
	c := changedTargets{byTool: map[string][]string{}}
	if len(files) == 0 {
		return c, nil
	}
	perModule := false
	for _, name := range o.Tools {
		t, _ := lookup(name)
		perModule = perModule || t.perModule
		skip := t.walkSkips(o.Dir)
		for _, f := range files {
			if skip == nil || !skip(f) {
				c.byTool[name] = append(c.byTool[name], f)
			}
		}
	}
	if perModule {
		c.roots = importRoots(o.Dir, o.Paths)
	}
	return c, nil
}

// walkSkips is the tool's walk rule in the project directory dir (its skips, with the config file
// its own search finds); nil for a tool that applies its exclusions itself.
func (t tool) walkSkips(dir string) func(string) bool {
	if t.skips == nil {
		return nil
	}
	config := ""
	if t.configFile != nil {
		config = t.configFile(dir, "")
	}
	return t.skips(dir, config)
}

// under reports whether a slash path relative to the project directory is in one of paths.
func under(file string, paths []string) bool {
	if len(paths) == 0 {
		return true
	}
	for _, p := range paths {
		p = path.Clean(filepath.ToSlash(p))
		if p == "." || file == p || strings.HasPrefix(file, p+"/") {
			return true
		}
	}
	return false
}

// ancestors lists the directories above a slash path, outermost first: "a/b/c.py" → a, a/b.
func ancestors(file string) []string {
	var dirs []string
	for d := path.Dir(file); d != "." && d != "/"; d = path.Dir(d) {
		dirs = append([]string{d}, dirs...)
	}
	return dirs
}

// flake8DefaultExclude is flake8's default exclude.
var flake8DefaultExclude = []string{".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs", "*.egg"}

// flake8Skips is flake8's walk (flake8/discover_files.py): a directory whose name or absolute path
// matches exclude or extend-exclude of [flake8] in its config file (fnmatch patterns; one with a
// slash is relative to the config file) is not entered. flake8 matches a file named on its command
// line itself, not the directories above it.
func flake8Skips(dir, config string) func(string) bool {
	patterns := append([]string(nil), flake8DefaultExclude...)
	var extend []string
	if s := readINISection(config, "flake8", iniDialect{}); s != nil {
		if v, ok := s.get("exclude"); ok {
			patterns = stringList(v, true)
		}
		for _, k := range []string{"extend-exclude", "extend_exclude"} {
			if v, ok := s.get(k); ok {
				extend = stringList(v, true)
			}
		}
	}
	configDir := dir
	if config != "" {
		configDir = filepath.Dir(config)
	}
	var res []*regexp.Regexp
	for _, p := range append(patterns, extend...) {
		if strings.Contains(p, "/") {
			p = filepath.Join(configDir, p)
		}
		res = append(res, compileAll(fnmatchRegexp(strings.TrimSuffix(p, "/")))...)
	}
	return func(file string) bool {
		for _, d := range ancestors(file) {
			if searchAny(res, path.Base(d)) || searchAny(res, filepath.Join(dir, filepath.FromSlash(d))) {
				return true
			}
		}
		return false
	}
}

// blackDefaultExclude is black's DEFAULT_EXCLUDES (black 24).
const blackDefaultExclude = `/(\.direnv|\.eggs|\.git|\.hg|\.ipynb_checkpoints|\.mypy_cache|\.nox|\.pytest_cache|\.ruff_cache|\.tox|\.svn|\.venv|\.vscode|__pypackages__|_build|buck-out|build|dist|venv)/`

// blackSkips is black's walk: exclude (or its default) and extend-exclude of [tool.black] in the
// project root's pyproject.toml, searched in "/"+the path from the project root, with a trailing
// slash for a directory, at every level. black applies only force-exclude to a file named on its
// command line (and it does so itself).
func blackSkips(dir, config string) func(string) bool {
	var cfg struct {
		Tool struct {
			Black struct {
				Exclude       *string `toml:"exclude"`
				ExtendExclude string  `toml:"extend-exclude"`
			} `toml:"black"`
		} `toml:"tool"`
	}
	readTOML(config, &cfg)
	exclude := blackDefaultExclude
	if cfg.Tool.Black.Exclude != nil {
		exclude = *cfg.Tool.Black.Exclude
	}
	res := compileAll(pythonRegexp(exclude), pythonRegexp(cfg.Tool.Black.ExtendExclude))
	prefix, _ := filepath.Rel(blackRoot(dir), dir)
	return func(file string) bool {
		p := path.Join(filepath.ToSlash(prefix), file)
		for _, d := range ancestors(p) {
			if searchAny(res, "/"+d+"/") {
				return true
			}
		}
		return searchAny(res, "/"+p)
	}
}

// mypySkips is mypy's walk (mypy/find_sources.py): names starting with a dot, __pycache__,
// site-packages and node_modules are never entered; exclude of its config file is searched in the
// path relative to the working directory, a directory's with a trailing slash; a .pyi beside a .py
// is the one checked.
func mypySkips(dir, config string) func(string) bool {
	res := compileAll(mypyExclude(config)...)
	return func(file string) bool {
		parts := strings.Split(file, "/")
		for _, name := range parts {
			if strings.HasPrefix(name, ".") || name == "__pycache__" || name == "site-packages" || name == "node_modules" {
				return true
			}
		}
		for _, d := range ancestors(file) {
			if searchAny(res, d+"/") {
				return true
			}
		}
		if strings.HasSuffix(file, ".py") && exists(filepath.Join(dir, filepath.FromSlash(file)+"i")) {
			return true
		}
		return searchAny(res, file)
	}
}

// mypyExclude reads exclude from mypy's config file: [tool.mypy] of a TOML file (a regular
// expression or a list of them), else [mypy].
func mypyExclude(config string) []string {
	if strings.HasSuffix(config, ".toml") {
		var cfg struct {
			Tool struct {
				Mypy *struct {
					Exclude any `toml:"exclude"`
				} `toml:"mypy"`
			} `toml:"tool"`
		}
		if readTOML(config, &cfg) && cfg.Tool.Mypy != nil {
			return stringList(cfg.Tool.Mypy.Exclude, false)
		}
		return nil
	}
	if s := readINISection(config, "mypy", iniDialect{}); s != nil {
		if v, ok := s.get("exclude"); ok {
			return []string{pythonRegexp(v)}
		}
	}
	return nil
}

// pylintSkips is pylint's recursive walk (pylint/lint/pylinter.py _discover_files, expand_modules):
// above the first package, a directory whose name is in ignore or matches ignore-patterns, or whose
// path matches ignore-paths, is not entered; inside a package only subpackages are (directories with
// an __init__.py), less those named in ignore. pylint checks the file itself.
func pylintSkips(dir, config string) func(string) bool {
	ignore, patterns, paths := pylintIgnores(config)
	namePatterns, pathPatterns := compileAll(anchor(patterns)...), compileAll(anchor(paths)...)
	top := exists(filepath.Join(dir, "__init__.py")) // pylint takes the whole directory as one package
	return func(file string) bool {
		inPackage := top
		for _, d := range ancestors(file) {
			base := path.Base(d)
			isPackage := exists(filepath.Join(dir, filepath.FromSlash(d), "__init__.py"))
			switch {
			case inPackage && (!isPackage || contains(ignore, base)):
				return true
			case !inPackage && (contains(ignore, base) || searchAny(namePatterns, base) || searchAny(pathPatterns, d)):
				return true
			}
			inPackage = inPackage || isPackage
		}
		return false
	}
}

// pylintIgnores reads ignore, ignore-patterns and ignore-paths from pylint's config file, with
// pylint's defaults.
func pylintIgnores(config string) (ignore, patterns, paths []string) {
	ignore, patterns = []string{"CVS"}, []string{`^\.#`}
	main := pylintMainOptions(config)
	if v, ok := main["ignore"]; ok {
		ignore = stringList(v, true)
	}
	if v, ok := main["ignore-patterns"]; ok {
		patterns = stringList(v, true)
	}
	if v, ok := main["ignore-paths"]; ok {
		paths = stringList(v, true)
	}
	return ignore, patterns, paths
}

// pylintMainOptions are the options of pylint's main section (MAIN or MASTER, in any case) in its
// config file: the table [tool.pylint.main] of a TOML file, the section [main] of an rc file, and
// [pylint.main] of setup.cfg and tox.ini, read with pylint's inline comments.
func pylintMainOptions(config string) map[string]any {
	main := map[string]any{}
	isMain := func(section, prefix string) bool {
		s := strings.ToLower(strings.TrimPrefix(section, prefix))
		return s == "main" || s == "master"
	}
	if strings.HasSuffix(config, ".toml") {
		var cfg struct {
			Tool struct {
				Pylint map[string]map[string]any `toml:"pylint"`
			} `toml:"tool"`
		}
		if readTOML(config, &cfg) {
			for section, values := range cfg.Tool.Pylint {
				if isMain(section, "") {
					maps.Copy(main, values)
				}
			}
		}
		return main
	}
	f, err := readINIFile(config, iniDialect{inlineComments: true})
	if err != nil {
		return main
	}
	prefix := ""
	if base := filepath.Base(config); base == "setup.cfg" || base == "tox.ini" {
		prefix = "pylint."
	}
	for _, s := range f.sections {
		if isMain(s.name, prefix) {
			for _, k := range f.folded(s).keys {
				main[k.name] = k.value()
			}
		}
	}
	return main
}

// mentionsDuplicateCode reports whether a pylint config file in dir could turn duplicate-code off.
func mentionsDuplicateCode(dir string) bool {
	for _, name := range []string{"pylintrc", ".pylintrc", "pyproject.toml", "setup.cfg", "tox.ini"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil && duplicateCodeSetting.Match(b) {
			return true
		}
	}
	return false
}

var duplicateCodeSetting = regexp.MustCompile(`(?i)duplicate-code|R0801|similarities|\ball\b`)

// importRoots are the directories a full run puts on the import path: for every Python module of
// the tree, the nearest directory above it that is not a package (pylint adds each one to sys.path;
// mypy names the module from it).
func importRoots(dir string, paths []string) []string {
	seen := map[string]bool{}
	isPackage := map[string]bool{}
	pkg := func(d string) bool {
		v, ok := isPackage[d]
		if !ok {
			v = exists(filepath.Join(d, "__init__.py")) || exists(filepath.Join(d, "__init__.pyi"))
			isPackage[d] = v
		}
		return v
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	for _, p := range paths {
		_ = filepath.WalkDir(filepath.Join(dir, p), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if p != dir && (strings.HasPrefix(name, ".") || name == "__pycache__" || name == "node_modules" || name == "site-packages") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(name, ".py") && !strings.HasSuffix(name, ".pyi") {
				return nil
			}
			root := filepath.Dir(p)
			for pkg(root) && filepath.Dir(root) != root {
				root = filepath.Dir(root)
			}
			seen[root] = true
			return nil
		})
	}
	roots := make([]string, 0, len(seen))
	for r := range seen {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	return roots
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// readTOML decodes a TOML file into v; false when it is missing or does not parse.
func readTOML(file string, v any) bool {
	b, err := os.ReadFile(file)
	return err == nil && toml.Unmarshal(b, v) == nil
}

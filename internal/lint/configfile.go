package lint

import (
	"os"
	"path/filepath"
	"strings"
)

// Each tool's own search for the one config file it reads (the tool table's configFile): untrusted
// mode copies that file, and only-changed mode reads the tool's exclusions from it.

// findFlake8Config is flake8's search (flake8/options/config.py, _find_config_file): from dir up to
// the root or the home directory, setup.cfg, tox.ini and .flake8 with a [flake8] or
// [flake8:local-plugins] section; a file that does not parse is passed over.
func findFlake8Config(dir, home string) string {
	for d := dir; ; {
		for _, name := range []string{"setup.cfg", "tox.ini", ".flake8"} {
			p := filepath.Join(d, name)
			if !isFile(p) {
				continue
			}
			if f, err := readINIFile(p, iniDialect{}); err == nil && (f.section("flake8") != nil || f.section("flake8:local-plugins") != nil) {
				return p
			}
		}
		up := filepath.Dir(d)
		if up == d || (home != "" && up == filepath.Clean(home)) {
			return ""
		}
		d = up
	}
}

// findMypyConfig is mypy's search (mypy/defaults.py CONFIG_FILES, mypy/config_parser.py): mypy.ini,
// .mypy.ini, pyproject.toml with [tool.mypy], setup.cfg with [mypy]; a file that does not parse is
// passed over. (The user's own config files come next: the copy stops mypy reading them.)
func findMypyConfig(dir, _ string) string {
	for _, name := range []string{"mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg"} {
		p := filepath.Join(dir, name)
		if !isFile(p) {
			continue
		}
		switch name {
		case "pyproject.toml":
			if tomlHas(p, "tool", "mypy") {
				return p
			}
		case "setup.cfg":
			if f, err := readINIFile(p, iniDialect{}); err == nil && f.section("mypy") != nil {
				return p
			}
		default:
			if _, err := readINIFile(p, iniDialect{}); err == nil {
				return p
			}
		}
	}
	return ""
}

// pylintRCNames are the rc files pylint reads (pylint 3 adds the .toml ones).
var pylintRCNames = []string{"pylintrc", "pylintrc.toml", ".pylintrc", ".pylintrc.toml"}

// findPylintConfig is pylint's search (pylint/config/find_default_config_files.py, 2.16 and 3.x):
// the rc files, pyproject.toml with [tool.pylint], setup.cfg and tox.ini with a pylint section in
// the directory; then, while the directory is a package, the rc files of the directories above;
// then pyproject.toml above, up to the repository's root.
func findPylintConfig(dir, _ string) string {
	for _, name := range append(append([]string(nil), pylintRCNames...), "pyproject.toml", "setup.cfg", "tox.ini") {
		if p := filepath.Join(dir, name); pylintReads(p) {
			return p
		}
	}
	for d := dir; isFile(filepath.Join(d, "__init__.py")) && filepath.Dir(d) != d; {
		d = filepath.Dir(d)
		for _, name := range pylintRCNames {
			if p := filepath.Join(d, name); pylintReads(p) {
				return p
			}
		}
	}
	for d := dir; ; d = filepath.Dir(d) {
		if p := filepath.Join(d, "pyproject.toml"); pylintReads(p) {
			return p
		}
		if filepath.Dir(d) == d || isDir(filepath.Join(d, ".git")) || isDir(filepath.Join(d, ".hg")) {
			return ""
		}
	}
}

// pylintReads reports whether pylint takes file for its config: a TOML file with [tool.pylint], a
// setup.cfg or tox.ini with a [pylint] or [pylint.*] section, any other rc file.
func pylintReads(file string) bool {
	if !isFile(file) {
		return false
	}
	switch base := filepath.Base(file); {
	case strings.HasSuffix(base, ".toml"):
		return tomlHas(file, "tool", "pylint")
	case base == "setup.cfg" || base == "tox.ini":
		f, err := readINIFile(file, iniDialect{})
		if err != nil {
			return false
		}
		for _, s := range f.sections {
			if s.name == "pylint" || strings.HasPrefix(s.name, "pylint.") {
				return true
			}
		}
		return false
	}
	return true
}

// blackRoot is black's project root (black/files.py, find_project_root): the nearest directory at or
// above dir with a pyproject.toml, .git or .hg; dir itself when there is none.
func blackRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if exists(filepath.Join(d, "pyproject.toml")) || exists(filepath.Join(d, ".git")) || exists(filepath.Join(d, ".hg")) {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// findBlackConfig is the pyproject.toml of black's project root, which black reads its settings
// from (black/files.py, find_pyproject_toml); "" when there is none.
func findBlackConfig(dir, _ string) string {
	if p := filepath.Join(blackRoot(dir), "pyproject.toml"); exists(p) {
		return p
	}
	return ""
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

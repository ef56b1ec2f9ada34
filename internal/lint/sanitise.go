package lint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Untrusted mode: the linters run no code the repository names. pylint, mypy and flake8 import
// plugins, run hooks and programs, and write files where their config says; a pull request controls
// that config. So each of them gets a sanitised copy of the config it would have read, written to a
// directory of our own and named on its command line (--rcfile, --config-file, --config), which
// also stops it looking for any other. black, isort and ruff name no code in their config.
//
// The copy is an allow-list at the level of spelling: only plain section and option names are
// written (a name a linter could read in another way is left out), in a form the linter reads back
// as exactly those keys; and of those, the options that run code, import modules or write files are
// left out, under every spelling the linter accepts (pylint: any abbreviation argparse would expand,
// and values it would read as options; mypy: its no_ and x_ forms and every *_report). What is left
// out is listed in Stripped, one entry per key.

// Sanitised is the configuration the linters read in untrusted mode.
type Sanitised struct {
	dir     string            // the directory of the copies
	configs map[string]string // tool → its copy
	// Stripped lists what was left out of the repository's config: one entry per key (or per file
	// that does not parse, or section that is not read as written).
	Stripped []Stripped
}

// Stripped is one setting of the repository's linter config that the linter did not get.
type Stripped struct {
	Tool    string `json:"tool"`
	File    string `json:"file"` // relative to the project directory
	Section string `json:"section,omitempty"`
	Key     string `json:"key,omitempty"` // empty: all of File, or all of Section
	Reason  string `json:"reason"`
}

// String is the log line for s: tool, what, file, and why.
func (s Stripped) String() string {
	what := "all of " + s.File
	switch {
	case s.Key != "" && s.Section != "":
		what = fmt.Sprintf("%s from %s [%s]", printable(s.Key), s.File, printable(s.Section))
	case s.Key != "":
		what = fmt.Sprintf("%s from %s", printable(s.Key), s.File)
	case s.Section != "":
		what = fmt.Sprintf("section [%s] of %s", printable(s.Section), s.File)
	}
	return fmt.Sprintf("%s: stripped %s: %s", s.Tool, what, s.Reason)
}

var plainText = regexp.MustCompile(`^[A-Za-z0-9_.:*,/ -]+$`)

// printable is s for a log line: as it is when plain, else quoted with escapes.
func printable(s string) string {
	if plainText.MatchString(s) {
		return s
	}
	return strconv.QuoteToASCII(s)
}

// Config is the copy tool reads ("" for a tool whose config names no code).
func (s *Sanitised) Config(tool string) string {
	if s == nil {
		return ""
	}
	return s.configs[tool]
}

// Close removes the copies.
func (s *Sanitised) Close() error {
	if s == nil || s.dir == "" {
		return nil
	}
	return os.RemoveAll(s.dir)
}

// configRules is how a linter finds its config, and how to make the sanitised copy of it.
type configRules struct {
	// flag names the one config file the linter then reads (and it looks for no other).
	flag string
	// sanitise makes the copy of file ("" for none): its name, and its text.
	sanitise func(st *stripper, file string, text []byte) (name, copy string)
}

// Sanitise writes a sanitised copy of the config of each tool in toolNames that can run code named
// in its config, as that tool would find it in the project directory dir. Close removes them. A
// config that does not parse gives an empty copy (the linter would not have read it either) and an
// entry in Stripped; a file that cannot be read is an error.
func Sanitise(dir, home string, toolNames []string) (*Sanitised, error) {
	tmp, err := os.MkdirTemp("", "slipway-lint-config-")
	if err != nil {
		return nil, err
	}
	// The linters run as the sandbox user: they read the copies as anyone may read the workspace
	// the originals are in.
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s := &Sanitised{dir: tmp, configs: map[string]string{}}
	for _, name := range toolNames {
		t, ok := lookup(name)
		if !ok || t.config == nil {
			continue
		}
		if err := s.add(t, dir, home); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Sanitised) add(t tool, dir, home string) error {
	file := t.configFile(dir, home)
	var text []byte
	st := &stripper{tool: t.name}
	if file != "" {
		st.file = file
		if rel, err := filepath.Rel(dir, file); err == nil {
			st.file = filepath.ToSlash(rel)
		}
		st.dir = filepath.Dir(file)
		// A link could name any file the action can read (/proc/1/environ): not followed.
		if fi, err := os.Lstat(file); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			st.strip("", "", "it is a link, which untrusted mode does not follow: none of it is used")
			file = ""
		} else if text, err = os.ReadFile(file); err != nil {
			return fmt.Errorf("untrusted mode: read %s's config: %w", t.name, err)
		}
	}
	name, copy := t.config.sanitise(st, file, text)
	sub := filepath.Join(s.dir, t.name)
	if err := os.Mkdir(sub, 0o755); err != nil {
		return err
	}
	out := filepath.Join(sub, name)
	if err := os.WriteFile(out, []byte(copy), 0o644); err != nil {
		return err
	}
	s.configs[t.name] = out
	s.Stripped = append(s.Stripped, st.stripped...)
	return nil
}

// stripper collects what one tool's copy leaves out.
type stripper struct {
	tool, file string
	dir        string // the directory of the original file
	stripped   []Stripped
}

func (st *stripper) strip(section, key, reason string) {
	s := Stripped{Tool: st.tool, File: st.file, Section: section, Key: key, Reason: reason}
	for _, seen := range st.stripped {
		if seen == s { // a DEFAULT key, folded into every section
			return
		}
	}
	st.stripped = append(st.stripped, s)
}

// unreadable notes that the file does not parse as the tool reads it: the copy is empty.
func (st *stripper) unreadable(err error) {
	st.strip("", "", fmt.Sprintf("it does not parse as %s reads it (%v): none of it is used", st.tool, err))
}

// optionRule is one option (or family of options) that runs code, imports modules or writes files.
type optionRule struct {
	name   string
	reason string
}

// pylintRules: pylint's options that run code, import modules or write files (pylint 2.16 to 3.3,
// pylint/lint/base_options.py and pylint/checkers).
var pylintRules = []optionRule{
	{"init-hook", "pylint runs it as Python code"},
	{"load-plugins", "pylint imports the plugin modules it names"},
	{"output-format", "pylint imports a reporter class named there, or writes to a file named there"},
	{"output", "pylint writes its report to the file named there"},
	{"rcfile", "it names another config file"},
	{"extension-pkg-allow-list", "pylint imports the compiled extensions it names"},
	{"extension-pkg-whitelist", "pylint imports the compiled extensions it names"},
	{"unsafe-load-any-extension", "pylint imports any compiled extension"},
	{"spelling-private-dict-file", "pylint reads and writes the file named there"},
	{"spelling-store-unknown-words", "pylint writes to its private dictionary file"},
	{"import-graph", "pylint writes a graph to the file named there"},
	{"ext-import-graph", "pylint writes a graph to the file named there"},
	{"int-import-graph", "pylint writes a graph to the file named there"},
}

// mypyRules: mypy's options that run code, import modules or write files (mypy/config_parser.py;
// any key ending in _report is a report directory).
var mypyRules = []optionRule{
	{"plugins", "mypy imports the plugins it names"},
	{"python_executable", "mypy runs that program"},
	{"install_types", "mypy would install packages with pip"},
	{"junit_xml", "mypy writes a file there"},
	{"cache_dir", "mypy writes its cache there"},
	{"quickstart_file", "mypy reads and writes the file named there"},
}

// flake8Rules: flake8's options that name files to read or write. Its local plugins are a section
// of their own, [flake8:local-plugins], which the copy leaves out.
var flake8Rules = []optionRule{
	{"output-file", "flake8 writes its report there"},
	{"append-config", "it names another config file"},
	{"config", "it names another config file"},
}

// pylintExtension is a plugin that is part of pylint itself: importing it from the installed
// pylint package runs none of the repository's code.
var pylintExtension = regexp.MustCompile(`^pylint\.extensions\.[A-Za-z_][A-Za-z0-9_]*$`)

// argparse reads "-1" and "-.5" as numbers; any other value that starts with "-" as an option.
var negativeNumber = regexp.MustCompile(`^-\d+$|^-\d*\.\d+$`)

// pylintRule says why pylint must not get the option named key (nil when it may): the key is one of
// pylintRules, any spelling of one, or any prefix argparse would expand to one.
func pylintRule(key string) *optionRule {
	c := strings.ReplaceAll(strings.ToLower(key), "_", "-")
	for i, r := range pylintRules {
		if c == r.name {
			return &pylintRules[i]
		}
	}
	for i, r := range pylintRules {
		if strings.HasPrefix(r.name, c) {
			return &optionRule{r.name, fmt.Sprintf("pylint reads it as %s (%s)", r.name, pylintRules[i].reason)}
		}
	}
	return nil
}

// mypyRule says why mypy must not get the option named key: one of mypyRules or a report, in any
// of the spellings mypy reads (no_ inverts a flag, x_ is ignored; dashes for good measure).
func mypyRule(key string) *optionRule {
	c := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	for {
		if strings.HasSuffix(c, "_report") {
			return &optionRule{c, "mypy writes a report there"}
		}
		for i, r := range mypyRules {
			if c == r.name {
				return &mypyRules[i]
			}
		}
		switch {
		case strings.HasPrefix(c, "no_"):
			c = c[3:]
		case strings.HasPrefix(c, "x_"):
			c = c[2:]
		default:
			return nil
		}
	}
}

func flake8Rule(key string) *optionRule {
	c := strings.ReplaceAll(strings.ToLower(key), "_", "-")
	for i, r := range flake8Rules {
		if c == r.name {
			return &flake8Rules[i]
		}
	}
	return nil
}

// lineTrips reports what a line of a written value would be, were some reader to take it for a key
// or a section header of its own (whatever its indentation): an option the tool must not get, a
// value pylint would read as an option, flake8's local-plugins section. The copy leaves out any
// key with such a line; so no line of a copy reads as one, however it is read.
func lineTrips(tool, line string) (string, bool) {
	s := strings.TrimLeftFunc(line, anySpace)
	if strings.HasPrefix(s, "[") {
		if tool == "flake8" && strings.Contains(strings.ToLower(s), "local-plugins") {
			return "flake8's local-plugins section", true
		}
		return "", false
	}
	i := strings.IndexAny(s, "=:")
	if i < 0 {
		return "", false
	}
	name := strings.TrimFunc(s[:i], anySpace)
	value := strings.TrimLeftFunc(s[i+1:], anySpace)
	var r *optionRule
	switch tool {
	case "pylint":
		if name != "" {
			r = pylintRule(name)
		}
		if r != nil && r.name == "load-plugins" && strings.ReplaceAll(strings.ToLower(name), "_", "-") == "load-plugins" {
			if _, reason := pylintPlugins(value); reason == "" {
				r = nil // pylint's own extensions only
			}
		}
		if r == nil && strings.HasPrefix(value, "-") && !negativeNumber.MatchString(strings.TrimRightFunc(value, anySpace)) {
			return "a value starting with -", true
		}
	case "mypy":
		r = mypyRule(name)
	case "flake8":
		r = flake8Rule(name)
	}
	if r != nil {
		return r.name, true
	}
	return "", false
}

// sanitiseINISection is the section as the tool may get it: its keys and DEFAULT's (folded in, as
// configparser reads them), each kept or left out by check. nil when the section's name is not
// plain (it is left out, and noted).
func sanitiseINISection(st *stripper, f *iniFile, s *iniSection, check func(iniKey) (iniKey, string)) *iniSection {
	if !plainINISection.MatchString(s.name) {
		st.strip(s.name, "", "not a plain section name: left out with its keys")
		return nil
	}
	kept := &iniSection{name: s.name}
	for _, k := range f.folded(s).keys {
		section := s.name
		if !s.has(k.name) {
			section = "DEFAULT"
		}
		if !plainINIKey.MatchString(k.name) {
			st.strip(section, k.name, "not a plain option name")
			continue
		}
		k2, reason := check(k)
		switch {
		case strings.HasPrefix(reason, "partly: "):
			st.strip(section, k.name, strings.TrimPrefix(reason, "partly: "))
		case reason != "":
			st.strip(section, k.name, reason)
			continue
		}
		kept.keys = append(kept.keys, k2)
	}
	return kept
}

// tripReason says why a key written as lines must be left out: a line of its value reads, alone, as
// something the tool must not get. Lines are split here at every character some reader might end a
// line at, though configparser ends them at "\r" and "\n" only.
func tripReason(tool string, lines []string) string {
	for i, line := range lines {
		for j, part := range anyLines(line) {
			if i == 0 && j == 0 {
				continue // the key's own line
			}
			if what, bad := lineTrips(tool, part); bad {
				return fmt.Sprintf("a line of its value reads as %s", what)
			}
		}
	}
	return ""
}

// anyLines splits s at "\r", "\n" and every other character that ends a line somewhere (vertical
// tab, form feed, the file, group and record separators, NEL, line and paragraph separators).
func anyLines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			return true
		}
		return false
	})
}

// errNoCopy says a tool that needs a sanitised config in untrusted mode was not given one.
var errNoCopy = errors.New("untrusted mode: no sanitised config")

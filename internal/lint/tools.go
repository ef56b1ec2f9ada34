package lint

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/slipway-actions/slipway/internal/process"
)

// tool is everything lint-python knows about one linter. Adding a linter is adding one entry to
// tools: detection, pins, the config file it reads and what it excludes, untrusted mode, the command
// line, parsing and scheduling all read it from here.
type tool struct {
	name   string // as the linters input names it
	binary string // the executable on PATH (the image's linter)
	module string // python -m <module>, in the project's environment
	dist   string // the distribution a pin names (PyPI)
	// hooks are the pre-commit hook ids that run it; their rev pins dist.
	hooks []string
	// configs are the places where a project configures it: a TOML table (dotted), an INI section
	// (a path.Match pattern), or, with an empty key, the file itself.
	configs []configKey
	// configFile is the tool's own search for the one config file it reads, from the project
	// directory (home: where flake8 stops looking upwards; "" for nowhere), "" when it finds none
	// (configfile.go). Untrusted mode copies that file (config), and only-changed mode reads the
	// tool's exclusions from it (skips). nil for a tool that needs neither.
	configFile func(dir, home string) string
	// config, for a tool whose config can name code it runs, is how untrusted mode gives it a
	// sanitised copy instead (sanitise.go); nil for a tool whose config names no code.
	config *configRules
	// skips, for a tool that does not apply its exclusions to a file named on its command line as
	// it does to the files it finds walking the tree, is that walk (scope.go): given the project
	// directory and the config file the tool reads, whether it passes over a file (a slash path
	// relative to the directory). Each entry says which options it reads. In only-changed mode such
	// a changed file is not given to the tool. nil for a tool that applies its exclusions itself
	// (isort and ruff, told so in args).
	skips func(dir, configFile string) func(file string) bool
	// formatter: check mode prints a diff of what it would rewrite, and a finding spans lines.
	formatter bool
	// cost is the tool's CPU time on a typical tree, relative (measured on bench/lint's tree of 240
	// modules with Debian's linters: pylint 37 s, black 15 s, mypy 4 s, flake8 3.5 s, isort 0.6 s);
	// the costliest start first, so the longest tool never waits behind short ones.
	cost int
	// perModule: in only-changed mode it gets the changed modules and, to import the rest, the
	// roots of the whole tree (pylint, mypy); otherwise it gets the changed files.
	perModule bool
	// args builds the command line (after the binary) for one invocation.
	args func(inv invocation) []string
	// env adds KEY=VALUE entries to the tool's environment for one invocation.
	env func(inv invocation) []string
	// writes are the directories it writes for one invocation besides its home (it runs in the
	// sandbox, which may write nothing else); nil for none.
	writes func(inv invocation) []string
	// parallel says whether the tool should use its own worker processes: only the long pole gains
	// from them (rest is what the other tools put on each core, in cost units; workers cost CPU the
	// others need), and only where its findings stay the same. nil means it takes no process count.
	parallel func(ctx context.Context, x *execution, rest int) bool
	// ranOK reports whether an exit code means the tool ran (with or without findings); any other
	// code, or a non-zero code with nothing parsed, is a crash.
	ranOK func(code int) bool
	parse func(stdout string, path func(string) string) ([]Finding, error)
}

// configKey is one place in one file where a tool's configuration lives.
type configKey struct{ file, key string }

// invocation is what one run of a tool is given.
type invocation struct {
	paths   []string // relative to the project directory: the tree, or the changed files
	changed bool     // paths are the changed files of a pull request
	jobs    int      // worker processes the tool may use itself
	// mypyCache is mypy's cache directory ("" leaves mypy's own choice).
	mypyCache string
	// roots are the import roots of the whole tree (changed mode, perModule tools).
	roots []string
	// version is the tool's version ("" when unknown), for options older versions lack.
	version string
	// untrusted: the run is in untrusted mode (no cache written where the config says).
	untrusted bool
}

// wholeTreeChecks are pylint's checks that compare modules with each other: they need every module
// in one run, so only a full run reports them (see the README).
const wholeTreeChecks = "duplicate-code,cyclic-import"

var tools = []tool{
	{
		name: "ruff", binary: "ruff", module: "ruff", dist: "ruff",
		hooks:   []string{"ruff", "ruff-check"},
		configs: []configKey{{"pyproject.toml", "tool.ruff"}, {"ruff.toml", ""}, {".ruff.toml", ""}},
		cost:    2,
		args: func(inv invocation) []string {
			return append(append([]string{"check", "--no-fix", "--output-format=json"}, ruffFlags(inv)...), inv.paths...)
		},
		ranOK: zeroOrOne, parse: parseRuff,
	},
	{
		name: "ruff-format", binary: "ruff", module: "ruff", dist: "ruff",
		hooks:     []string{"ruff-format"},
		configs:   []configKey{{"pyproject.toml", "tool.ruff.format"}, {"ruff.toml", "format"}, {".ruff.toml", "format"}},
		formatter: true, cost: 2,
		args: func(inv invocation) []string {
			return append(append([]string{"format", "--diff"}, ruffFlags(inv)...), inv.paths...)
		},
		ranOK: zeroOrOne, parse: formatter("ruff-format"),
	},
	{
		name: "flake8", binary: "flake8", module: "flake8", dist: "flake8",
		hooks:      []string{"flake8"},
		configs:    []configKey{{"setup.cfg", "flake8"}, {"tox.ini", "flake8"}, {".flake8", "flake8"}},
		configFile: findFlake8Config, config: flake8ConfigRules,
		// exclude and extend-exclude of [flake8]: fnmatch patterns, on the directories above a file
		skips: flake8Skips,
		cost:  35,
		// flake8 applies its exclude to files named on the command line too.
		args: func(inv invocation) []string {
			return append([]string{"--format=" + flake8Format, "--jobs=" + strconv.Itoa(inv.jobs)}, inv.paths...)
		},
		parallel: longPole,
		ranOK:    zeroOrOne, parse: noError(parseFlake8),
	},
	{
		name: "black", binary: "black", module: "black", dist: "black",
		hooks:      []string{"black"},
		configs:    []configKey{{"pyproject.toml", "tool.black"}},
		configFile: findBlackConfig,
		skips:      blackSkips, // exclude and extend-exclude of [tool.black]: regular expressions
		formatter:  true, cost: 150,
		args: func(inv invocation) []string {
			args := []string{"--check", "--diff", "--no-color", "--quiet"}
			if versionAtLeast(inv.version, 23, 1) { // --workers: black 23.1 has it (Debian bookworm's)
				args = append(args, "--workers="+strconv.Itoa(inv.jobs))
			}
			return append(args, inv.paths...)
		},
		env:      func(inv invocation) []string { return []string{"BLACK_NUM_WORKERS=" + strconv.Itoa(inv.jobs)} },
		parallel: longPole,
		ranOK:    zeroOrOne, parse: formatter("black"),
	},
	{
		name: "isort", binary: "isort", module: "isort", dist: "isort",
		hooks: []string{"isort"},
		configs: []configKey{{"pyproject.toml", "tool.isort"}, {".isort.cfg", ""}, {"setup.cfg", "isort"},
			{"setup.cfg", "tool:isort"}, {"tox.ini", "isort"}, {"tox.ini", "tool:isort"}},
		formatter: true, cost: 6,
		args: func(inv invocation) []string {
			args := []string{"--check-only", "--diff", "--quiet"}
			if inv.changed {
				args = append(args, "--filter-files") // skip settings apply to named files too
			}
			return append(args, inv.paths...)
		},
		ranOK: zeroOrOne, parse: formatter("isort"),
	},
	{
		name: "pylint", binary: "pylint", module: "pylint", dist: "pylint",
		hooks: []string{"pylint"},
		configs: []configKey{{"pyproject.toml", "tool.pylint"}, {".pylintrc", ""}, {"pylintrc", ""},
			{"setup.cfg", "pylint.*"}, {"tox.ini", "pylint.*"}},
		configFile: findPylintConfig, config: pylintConfigRules,
		// ignore (names), ignore-patterns and ignore-paths (regular expressions) of its main section
		skips: pylintSkips,
		cost:  370, perModule: true,
		args: func(inv invocation) []string {
			args := []string{"--output-format=json", "--score=n", "--recursive=y", "--persistent=n",
				"--jobs=" + strconv.Itoa(inv.jobs)}
			if inv.changed {
				// A full run puts the root of every module it finds on sys.path; the changed modules
				// import the others through the same roots.
				roots, _ := json.Marshal(inv.roots)
				args = append(args, "--disable="+wholeTreeChecks, "--init-hook=import sys; sys.path.extend("+string(roots)+")")
			}
			return append(args, inv.paths...)
		},
		// pylint is the long pole. Its own worker processes (--jobs) would spread it over the cores, but
		// with --jobs > 1 pylint skips duplicate-code (R0801): so only where that check is off, and
		// only if pylint is still the long pole without it (it costs 0.3 of a run with it).
		parallel: pylintWorkers,
		// pylint's exit code is a bit mask of message kinds; 32 is a usage error.
		ranOK: func(code int) bool { return code >= 0 && code&32 == 0 }, parse: parsePylint,
	},
	{
		name: "mypy", binary: "mypy", module: "mypy", dist: "mypy",
		hooks: []string{"mypy"},
		configs: []configKey{{"pyproject.toml", "tool.mypy"}, {"mypy.ini", ""}, {".mypy.ini", ""},
			{"setup.cfg", "mypy"}, {"setup.cfg", "mypy-*"}},
		configFile: findMypyConfig, config: mypyConfigRules,
		skips: mypySkips, // exclude of [mypy] or [tool.mypy]: regular expressions
		cost:  40, perModule: true,
		args: func(inv invocation) []string {
			args := []string{"--show-column-numbers", "--show-error-codes", "--no-error-summary",
				"--no-color-output", "--no-pretty", "--hide-error-context"}
			if inv.mypyCache != "" {
				args = append(args, "--cache-dir="+inv.mypyCache)
			}
			return append(args, inv.paths...)
		},
		writes: func(inv invocation) []string {
			if inv.mypyCache == "" {
				return nil
			}
			return []string{inv.mypyCache}
		},
		// The changed modules find the rest of the tree where a full run finds it: through the roots.
		env: func(inv invocation) []string {
			if !inv.changed || len(inv.roots) == 0 {
				return nil
			}
			return []string{"MYPYPATH=" + strings.Join(inv.roots, ":")}
		},
		ranOK: zeroOrOne, parse: noError(parseMypy),
	},
}

// Known lists the tools lint-python can run, in the order they are reported.
var Known = func() []string {
	names := make([]string, len(tools))
	for i, t := range tools {
		names[i] = t.name
	}
	return names
}()

// IsKnown reports whether name is a tool lint-python can run.
func IsKnown(name string) bool { _, ok := lookup(name); return ok }

func lookup(name string) (tool, bool) {
	for _, t := range tools {
		if t.name == name {
			return t, true
		}
	}
	return tool{}, false
}

// ruffFlags: --force-exclude makes ruff apply its exclude settings to the files named on its
// command line; in untrusted mode ruff writes no cache (its config says where).
func ruffFlags(inv invocation) []string {
	var flags []string
	if inv.changed {
		flags = append(flags, "--force-exclude")
	}
	if inv.untrusted {
		flags = append(flags, "--no-cache")
	}
	return flags
}

func zeroOrOne(code int) bool { return code == 0 || code == 1 }

// versionAtLeast reports whether a version string (24.1.0, 23.1a1) is major.minor or later; an
// unknown version is not.
func versionAtLeast(version string, major, minor int) bool {
	var ma, mi int
	if n, _ := fmt.Sscanf(version, "%d.%d", &ma, &mi); n < 2 {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// longPole: a tool takes worker processes when it alone clearly outlasts what the others put on a
// core (by half as much again: workers cost CPU of their own).
func longPole(_ context.Context, x *execution, rest int) bool { return outlasts(x.tool.cost, rest) }

func outlasts(cost, rest int) bool { return cost*2 > rest*3 }

func noError(f func(string, func(string) string) []Finding) func(string, func(string) string) ([]Finding, error) {
	return func(s string, p func(string) string) ([]Finding, error) { return f(s, p), nil }
}

func formatter(tool string) func(string, func(string) string) ([]Finding, error) {
	return func(s string, p func(string) string) ([]Finding, error) { return formatterFindings(tool, s, p), nil }
}

// pylintWorkers decides pylint's --jobs. Without duplicate-code pylint costs about 0.3 of a run with
// it; it takes workers if it is the long pole even so, and the project's config turns the check off:
// pylint, with that config, is asked (only when the config mentions the check: it is on by default).
// In only-changed mode duplicate-code is off (it needs the whole tree).
func pylintWorkers(ctx context.Context, x *execution, rest int) bool {
	if x.inv.changed {
		return true
	}
	if !outlasts(x.tool.cost*3/10, rest) || !mentionsDuplicateCode(x.dir) {
		return false
	}
	o, err := process.Run(ctx, process.Command{Argv: x.argv("--list-msgs-enabled"), Dir: x.dir, Env: x.env})
	if err != nil || o.Code != 0 {
		return false
	}
	enabled, _, found := strings.Cut(o.Stdout, "Disabled messages:")
	return found && !strings.Contains(enabled, "(R0801)")
}

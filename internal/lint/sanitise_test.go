package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/process"
	"github.com/slipway-actions/slipway/internal/pyenv"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// configKinds are the configs the sanitiser reads: the tool, and the file name it has.
var configKinds = []struct{ tool, file string }{
	{"pylint", ".pylintrc"},
	{"pylint", "setup.cfg"},
	{"pylint", "pyproject.toml"},
	{"mypy", "mypy.ini"},
	{"mypy", "setup.cfg"},
	{"mypy", "pyproject.toml"},
	{"flake8", "setup.cfg"},
	{"flake8", "tox.ini"},
}

// sanitiseText runs a tool's sanitiser on text as the file name in dir.
func sanitiseText(tool, dir, name, text string) (string, []Stripped) {
	t, _ := lookup(tool)
	st := &stripper{tool: tool, file: name, dir: dir}
	_, out := t.config.sanitise(st, filepath.Join(dir, name), []byte(text))
	return out, st.stripped
}

func strippedKeys(list []Stripped) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Section+"/"+s.Key)
	}
	return out
}

func TestSanitise_LeavesOutWhatRunsCodeUnderEverySpelling(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, tool, file, text string
		stripped               []string // section/key
		kept, gone             []string // text the copy has, and has not
	}{
		{
			name: "pylint in setup.cfg", tool: "pylint", file: "setup.cfg",
			text: "[flake8]\nmax-line-length = 100\n\n[pylint.main]\ninit-hook = import os; os.system('id')\n" +
				"load-plugins = evil_plugin, pylint.extensions.docparams\ndisable = C0114\n",
			stripped: []string{"pylint.main/init-hook", "pylint.main/load-plugins"},
			kept:     []string{"[pylint.main]", "disable = C0114", "load-plugins = pylint.extensions.docparams"},
			gone:     []string{"init-hook", "evil_plugin", "flake8", "max-line-length"},
		},
		{
			name: "pylintrc: DEFAULT, abbreviations, underscores, values read as options, interpolation", tool: "pylint", file: ".pylintrc",
			text: "[DEFAULT]\ninit-hook = x\n\n[MASTER]\noutput-f = evil.Reporter\ninit_hook = y\nexit-zero = --output-format=evil.R\n" +
				"jobs = -fevil.R\nfail-under = -1\nignore = %(x)s\nx = --load-plugins=evil\nLOAD-PLUGINS = evil\n\n[MESSAGES CONTROL]\ndisable = all\nenable = W0611\n",
			stripped: []string{"MASTER/output-f", "MASTER/init_hook", "MASTER/exit-zero", "MASTER/jobs",
				"MASTER/ignore", "MASTER/x", "MASTER/load-plugins", "DEFAULT/init-hook"},
			kept: []string{"[MESSAGES CONTROL]\ndisable = all\nenable = W0611", "fail-under = -1"},
			gone: []string{"init", "evil", "exit-zero", "%("},
		},
		{
			name: "pylint: a value whose lines read as options", tool: "pylint", file: ".pylintrc",
			text:     "[MAIN]\ndisable = C0114,\n  init-hook = open('x','w')\nignore = a\rinit-hook=b\ngood-names = i,\vload-plugins=evil\n",
			stripped: []string{"MAIN/disable", "MAIN/init-hook", "MAIN/good-names"},
			kept:     []string{"ignore = a\n"},
			gone:     []string{"init-hook", "evil", "C0114"},
		},
		{
			name: "pylint in pyproject.toml keeps the order", tool: "pylint", file: "pyproject.toml",
			text: "[tool.black]\n\n[tool.pylint.main]\nenable = [\"W0611\"]\ninit-hook = \"import os\"\nload-plugins = [\"pylint.extensions.mccabe\", \"evil\"]\n" +
				"disable = [\"all\"]\n\"output-format=evil.R\" = 1\n\n[tool.pylint.\"messages control\"]\njobs = \"--rcfile=/etc/x\"\n",
			stripped: []string{"tool.pylint.main/init-hook", "tool.pylint.main/load-plugins", "tool.pylint.main/output-format=evil.R",
				"tool.pylint.messages control/"},
			kept: []string{`"main" = { "enable" = ["W0611"], "load-plugins" = "pylint.extensions.mccabe", "disable" = ["all"] }`},
			gone: []string{"init-hook", "evil", "black", "rcfile"},
		},
		{
			name: "mypy.ini", tool: "mypy", file: "mypy.ini",
			text: "[DEFAULT]\nplugins = evil\n\n[mypy]\npython_executable = ./evil.sh\nno_install_types = False\nhtml_report = /tmp/r\n" +
				"x_junit_xml = /tmp/j\nmypy_path = $MYPY_CONFIG_FILE_DIR/stubs\nstrict = True\n\n[mypy-app.*]\nplugins = evil2\nignore_errors = True\n",
			stripped: []string{"mypy/python_executable", "mypy/no_install_types", "mypy/html_report", "mypy/x_junit_xml", "DEFAULT/plugins", "mypy-app.*/plugins"},
			kept:     []string{"mypy_path = /project/stubs", "strict = True", "[mypy-app.*]\nignore_errors = True"},
			gone:     []string{"evil", "report", "junit", "install"},
		},
		{
			name: "mypy in pyproject.toml", tool: "mypy", file: "pyproject.toml",
			text:     "[tool.mypy]\nplugins = [\"./evil.py\"]\nstrict = true\ncache_dir = \"/tmp\"\n\n[[tool.mypy.overrides]]\nmodule = \"app.*\"\npython_executable = \"/bin/sh\"\nignore_missing_imports = true\n",
			stripped: []string{"tool.mypy/plugins", "tool.mypy/cache_dir", "tool.mypy.overrides/python_executable"},
			kept:     []string{`"strict" = true`, `"ignore_missing_imports" = true`, `"module" = "app.*"`},
			gone:     []string{"evil", "cache_dir", "python_executable"},
		},
		{
			name: "flake8 local plugins", tool: "flake8", file: "tox.ini",
			text: "[tox]\nenvlist = py3\n\n[flake8:local-plugins]\nextension =\n  X1 = evil:Plugin\npaths = ./plugins\n\n[flake8]\n" +
				"max-line-length = 100\nexclude = ./build,dist,/abs\noutput_file = /usr/lib/python3/dist-packages/x.pth\n",
			stripped: []string{"flake8:local-plugins/extension", "flake8:local-plugins/paths", "flake8/output_file"},
			kept:     []string{"[flake8]\nmax-line-length = 100\nexclude = /project/build,dist,/abs\n"},
			gone:     []string{"local-plugins", "evil", "tox", "output"},
		},
		{
			name: "a file that does not parse", tool: "flake8", file: "setup.cfg",
			text:     "[flake8]\nmax-line-length = 100\n[flake8]\n",
			stripped: []string{"/"},
			gone:     []string{"max-line-length"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, stripped := sanitiseText(c.tool, "/project", c.file, c.text)
			if got := strings.Join(strippedKeys(stripped), " "); got != strings.Join(c.stripped, " ") {
				t.Errorf("stripped %s\nwant     %s", got, strings.Join(c.stripped, " "))
			}
			for _, k := range c.kept {
				if !strings.Contains(out, k) {
					t.Errorf("the copy lacks %q:\n%s", k, out)
				}
			}
			for _, g := range c.gone {
				if strings.Contains(strings.ToLower(out), strings.ToLower(g)) {
					t.Errorf("the copy still has %q:\n%s", g, out)
				}
			}
			for _, s := range stripped {
				if s.Tool != c.tool || s.File != c.file || s.Reason == "" || !strings.Contains(s.String(), c.file) {
					t.Errorf("entry %+v does not name the tool, the file and why", s)
				}
			}
			checkSanitised(t, c.tool, c.file, out)
		})
	}
}

// checkSanitised asserts what must hold of any copy, whatever the input: read back as the linter
// reads it, it has no option that runs code, imports or writes; no line of it, however a reader
// splits and indents it, reads as one; and sanitising it again changes nothing.
func checkSanitised(t *testing.T, tool, file, out string) {
	t.Helper()
	if strings.HasSuffix(file, ".toml") {
		checkTOMLCopy(t, tool, out)
	} else {
		checkINICopy(t, tool, out)
	}
	again, stripped := sanitiseText(tool, "/project", file, out)
	if again != out || len(stripped) > 0 {
		t.Errorf("sanitising the copy again changed it (stripped %v):\n%q\n%q", stripped, out, again)
	}
}

func checkINICopy(t *testing.T, tool, out string) {
	t.Helper()
	for _, line := range anyLines(out) {
		if strings.TrimFunc(line, anySpace) == "" {
			continue
		}
		if what, bad := lineTrips(tool, line); bad {
			t.Errorf("a line of the copy reads as %s: %q\n%s", what, line, out)
		}
	}
	f, err := parseINI(out, iniDialect{inlineComments: tool == "pylint"})
	if err != nil {
		t.Fatalf("the copy does not parse: %v\n%s", err, out)
	}
	if f.defaults != nil {
		t.Errorf("the copy has a DEFAULT section")
	}
	for _, s := range f.sections {
		if tool == "flake8" && s.name != "flake8" {
			t.Errorf("flake8's copy has section [%s]", s.name)
		}
		for _, k := range s.keys {
			if !plainINIKey.MatchString(k.name) {
				t.Errorf("key %q is not plain", k.name)
			}
			checkOption(t, tool, k.name, k.value())
		}
	}
}

func checkTOMLCopy(t *testing.T, tool, out string) {
	t.Helper()
	doc, err := readTOMLDoc([]byte(out))
	if err != nil {
		t.Fatalf("the copy does not parse: %v\n%s", err, out)
	}
	if len(doc.root) > 1 || len(doc.table("tool")) > 1 {
		t.Errorf("the copy has more than [tool.%s]:\n%s", tool, out)
	}
	table := doc.table("tool", tool)
	for k, v := range table {
		switch sub := v.(type) {
		case map[string]any:
			if tool != "pylint" {
				t.Errorf("mypy's copy has a table %q", k)
			}
			for k2, v2 := range sub {
				checkTOMLOption(t, tool, k2, v2)
			}
		case []any:
			if tool == "mypy" && k == "overrides" {
				for _, o := range sub {
					for k2, v2 := range o.(map[string]any) {
						if k2 != "module" {
							checkTOMLOption(t, tool, k2, v2)
						}
					}
				}
				continue
			}
			checkTOMLOption(t, tool, k, v)
		default:
			checkTOMLOption(t, tool, k, v)
		}
	}
}

func checkTOMLOption(t *testing.T, tool, key string, v any) {
	t.Helper()
	if !plainTOMLKey.MatchString(key) {
		t.Errorf("key %q is not plain", key)
	}
	text, ok := pythonText(v)
	if !ok && tool == "pylint" {
		t.Errorf("%s: a value pylint reads as key:value text: %v", key, v)
	}
	checkOption(t, tool, key, text)
}

func checkOption(t *testing.T, tool, key, value string) {
	t.Helper()
	switch tool {
	case "pylint":
		if r := pylintRule(key); r != nil {
			if _, reason := pylintPlugins(value); r.name != "load-plugins" || reason != "" {
				t.Errorf("the copy gives pylint %s = %q", key, value)
			}
		}
		if pylintValueReason(value) != "" || strings.HasPrefix(value, "%(") {
			t.Errorf("the copy gives pylint %s = %q, read as an option", key, value)
		}
	case "mypy":
		if mypyRule(key) != nil {
			t.Errorf("the copy gives mypy %s = %q", key, value)
		}
	case "flake8":
		if flake8Rule(key) != nil {
			t.Errorf("the copy gives flake8 %s = %q", key, value)
		}
	}
}

// FuzzSanitise feeds the sanitiser any text as any config it reads: the copy never gives a linter
// a plugin, a hook or a file to write, under any spelling (checkSanitised). Its seeds, in
// testdata/fuzz/FuzzSanitise, run with every go test.
func FuzzSanitise(f *testing.F) {
	f.Add(uint8(0), "[MAIN]\ninit-hook = x\n")
	f.Add(uint8(5), "[tool.mypy]\nplugins = [\"x\"]\n")
	f.Add(uint8(7), "[flake8:local-plugins]\nextension = X = y:Z\n")
	f.Fuzz(func(t *testing.T, kind uint8, text string) {
		k := configKinds[int(kind)%len(configKinds)]
		out, _ := sanitiseText(k.tool, "/project", k.file, text)
		checkSanitised(t, k.tool, k.file, out)
	})
}

// The reference: pylint's, mypy's and flake8's own config readers, run on each copy, find no plugin,
// hook, program, report or local plugin in it (and argparse, as pylint drives it, resolves none of
// its arguments to such an option).
func TestSanitise_TheLintersOwnReadersFindNothingThatRunsCode(t *testing.T) {
	t.Parallel()
	requireTools(t, "pylint", "mypy", "flake8")
	python := pyenv.ScriptInterpreter(process.LookPath(nil, "pylint"), nil) // pylint's, which has the three readers
	if python == "" {
		t.Fatal("pylint on PATH is not a Python script")
	}
	var inputs []struct{ tool, file, text string }
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzSanitise", "*"))
	for _, s := range seeds {
		kind, text := readFuzzSeed(t, s)
		k := configKinds[int(kind)%len(configKinds)]
		inputs = append(inputs, struct{ tool, file, text string }{k.tool, k.file, text})
	}
	if len(inputs) < 10 {
		t.Fatalf("%d seeds in testdata/fuzz/FuzzSanitise", len(inputs))
	}
	dir := sandboxtest.Dir(t)
	type job struct{ Tool, Path string }
	var jobs, originals []job
	for i, in := range inputs {
		out, _ := sanitiseText(in.tool, dir, in.file, in.text)
		name := in.file
		if strings.HasSuffix(name, ".toml") {
			name = "pyproject.toml"
		} else if in.tool != "flake8" && name != "setup.cfg" {
			name = map[string]string{"pylint": "pylintrc", "mypy": "mypy.ini"}[in.tool]
		}
		p := filepath.Join(dir, fmt.Sprintf("copy%03d", i), name)
		linttest.WriteFiles(t, filepath.Dir(p), map[string]string{name: out})
		jobs = append(jobs, job{in.tool, p})
		orig := filepath.Join(dir, fmt.Sprintf("orig%03d", i), in.file)
		linttest.WriteFiles(t, filepath.Dir(orig), map[string]string{in.file: in.text})
		originals = append(originals, job{in.tool, orig})
	}
	read := func(jobs []job) map[string][]string {
		in, _ := json.Marshal(jobs)
		o, err := process.Run(context.Background(), process.Command{Argv: []string{python, "-c", oracleScript}, Dir: process.NeutralDir,
			Env: process.Environ(nil).Query(), Stdin: bytes.NewReader(in)})
		if err != nil || o.Code != 0 {
			t.Fatalf("%v: %s", err, o.Stderr)
		}
		var bad map[string][]string
		if err := json.Unmarshal([]byte(o.Stdout), &bad); err != nil {
			t.Fatalf("%v: %s", err, o.Stdout)
		}
		return bad
	}
	for p, what := range read(jobs) {
		b, _ := os.ReadFile(p)
		t.Errorf("%s gives %v:\n%s", p, what, b)
	}
	// The control: the same readers find what the originals give (most seeds give something).
	n := 0
	for _, what := range read(originals) {
		if !strings.HasPrefix(what[0], "error: ") {
			n++
		}
	}
	t.Logf("the readers find something in %d of %d originals", n, len(inputs))
	if n < len(inputs)/2 {
		t.Errorf("the linters' readers find something in %d of %d originals: the check proves little", n, len(inputs))
	}
}

func readFuzzSeed(t *testing.T, file string) (uint8, string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	var kind uint8
	var text string
	if len(lines) < 3 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s is not a seed of go test fuzz v1", file)
	}
	k, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "byte("), ")"))
	if err != nil || len([]rune(k)) != 1 {
		t.Fatalf("%s: the first value is not byte('…'): %v", file, err)
	}
	kind = uint8([]rune(k)[0])
	if text, err = strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(lines[2]), "string("), ")")); err != nil {
		t.Fatalf("%s: the second value is not string(\"…\"): %v", file, err)
	}
	return kind, text
}

// oracleScript reads the copies with the linters' own code: pylint's config file parser and its
// argparse (every argument that argparse would take for an option), mypy's parse_config_file into
// its Options, flake8's load_config and plugin finder. It prints each copy that gives anything.
const oracleScript = `import json, sys
from pathlib import Path
bad = {}
def flag(path, what):
    bad.setdefault(path, []).append(what)
jobs = json.load(sys.stdin)
for job in jobs:
    try:
        tool, path = job["Tool"], job["Path"]
        if tool == "pylint":
            from pylint.lint import PyLinter
            from pylint.config.config_file_parser import _ConfigurationFileParser
            linter = PyLinter()
            linter.load_default_plugins()
            content, options = _ConfigurationFileParser(False, linter).parse_config_file(Path(path))
            if "init-hook" in content:
                flag(path, "init-hook")
            for p in content.get("load-plugins", "").split(","):
                if p.strip() and not p.strip().startswith("pylint.extensions."):
                    flag(path, "load-plugins " + p)
            danger = {"init_hook", "output_format", "output", "rcfile", "extension_pkg_allow_list",
                      "extension_pkg_whitelist", "unsafe_load_any_extension", "spelling_private_dict_file",
                      "spelling_store_unknown_words", "import_graph", "ext_import_graph", "int_import_graph"}
            for arg in options:
                if not arg.startswith("-"):
                    continue
                try:
                    r = linter._arg_parser._parse_optional(arg)
                except SystemExit:
                    continue  # ambiguous: pylint stops
                if r and r[0] is not None and r[0].dest in danger:
                    flag(path, arg + " -> " + r[0].dest)
                if r and r[0] is not None and r[0].dest == "load_plugins" and arg.split("=")[0] != "--load-plugins":
                    flag(path, arg + " -> load_plugins")
        elif tool == "mypy":
            import io
            from mypy.options import Options
            from mypy.config_parser import parse_config_file
            o, d = Options(), Options()
            parse_config_file(o, lambda: None, path, io.StringIO(), io.StringIO())
            for name in ("plugins", "python_executable", "install_types", "junit_xml", "cache_dir", "report_dirs"):
                if getattr(o, name) != getattr(d, name):
                    flag(path, name)
            for glob, updates in o.per_module_options.items():
                for name in ("plugins", "python_executable", "install_types", "junit_xml", "cache_dir"):
                    if name in updates:
                        flag(path, glob + " " + name)
        elif tool == "flake8":
            from flake8.options.config import load_config
            from flake8.plugins import finder
            cfg, cfg_dir = load_config(path, [], isolated=False)
            opts = finder.parse_plugin_options(cfg, cfg_dir, enable_extensions=None, require_plugins=None)
            if opts.local_plugin_paths or list(finder._find_local_plugins(cfg)):
                flag(path, "local plugins")
            if cfg.has_section("flake8") and (cfg.has_option("flake8", "output-file") or cfg.has_option("flake8", "output_file")):
                flag(path, "output-file")

    except Exception as e:
        flag(job["Path"], "error: " + repr(e))
print(json.dumps(bad))
`

// A config with nothing to strip means the same sanitised: the planted project, whose pylint, mypy
// and flake8 settings live in pyproject.toml and setup.cfg (with an exclude relative to it), gives
// the same findings in untrusted mode as in a trusted run.
func TestRun_UntrustedFindsWhatATrustedRunFinds(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8", "pylint", "mypy")
	dir := actiontest.CopyDir(t, "testdata/planted")
	linttest.WriteFiles(t, dir, map[string]string{
		"setup.cfg":          "[flake8]\nmax-line-length = 100\nextend-ignore = E203\nextend-exclude = ./app/generated\n",
		"app/generated/g.py": "import os\n",
	})
	tools := []string{"flake8", "pylint", "mypy"}
	ctx := context.Background()
	trusted, err := Run(ctx, Options{Workspace: dir, Dir: dir, Tools: tools, Explicit: true, MypyCache: sandboxtest.Dir(t)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Sanitise(dir, "", tools)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Stripped) != 0 {
		t.Errorf("stripped %v from a config with nothing to strip", s.Stripped)
	}
	untrusted, err := Run(ctx, Options{Workspace: dir, Dir: dir, Tools: tools, Explicit: true, MypyCache: sandboxtest.Dir(t), Sanitised: s})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := strings.Join(findingKeys(trusted.Findings), "\n"), strings.Join(findingKeys(untrusted.Findings), "\n"); a != b || a == "" {
		t.Errorf("trusted:\n%s\nuntrusted:\n%s", a, b)
	}
	for _, r := range untrusted.Tools {
		if !strings.Contains(strings.Join(r.Command, " "), s.Config(r.Tool)) {
			t.Errorf("%s did not get its sanitised config: %v", r.Tool, r.Command)
		}
	}
	if strings.Contains(strings.Join(findingKeys(trusted.Findings), " "), "generated") {
		t.Errorf("the exclude relative to setup.cfg did not apply")
	}
}

// The action runs in the workspace (the runner's working directory for a container action). A
// pull request's re.py or json.py there must never run in place of the standard library's: not
// when lint-python asks an interpreter for the linters' versions (python -c puts the working
// directory first on the import path), nor when the linters run. The test runs itself in such a
// directory.
func TestRun_AWorkspacesModulesNeverRunInPlaceOfTheStandardLibrarys(t *testing.T) {
	if os.Getenv("SLIPWAY_TEST_SHADOWED_RUN") == "1" {
		wd, _ := os.Getwd()
		tools := []string{"flake8", "pylint", "mypy"}
		s, err := Sanitise(wd, "", tools)
		if err == nil {
			_, err = Run(context.Background(), Options{Workspace: wd, Dir: wd, Tools: tools, Explicit: true, MypyCache: sandboxtest.Dir(t), Sanitised: s})
			s.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Parallel()
	requireTools(t, "flake8", "pylint", "mypy")
	dir, marks := sandboxtest.Dir(t), sandboxtest.Dir(t)
	files := map[string]string{"app.py": "\"\"\"App.\"\"\"\nimport json\n\nX = json.dumps(1)\n"}
	for _, m := range []string{"re", "json", "csv", "email", "zipfile", "pathlib", "textwrap", "tokenize", "argparse", "configparser"} {
		files[m+".py"] = "open(" + strconv.Quote(filepath.Join(marks, m)) + ", 'w').close()\n"
	}
	linttest.WriteFiles(t, dir, files)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRun_AWorkspacesModulesNeverRunInPlaceOfTheStandardLibrarys$", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SLIPWAY_TEST_SHADOWED_RUN=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the run in the workspace: %v\n%s", err, out)
	}
	if left, _ := os.ReadDir(marks); len(left) > 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Errorf("the workspace's modules ran: %v", names)
	}
}

// A config that is a link could name any file the action can read: untrusted mode does not follow
// it, and the linter gets an empty config.
func TestSanitise_DoesNotFollowALinkedConfig(t *testing.T) {
	t.Parallel()
	dir := sandboxtest.Dir(t)
	secret := filepath.Join(sandboxtest.Dir(t), "environ")
	linttest.WriteFiles(t, filepath.Dir(secret), map[string]string{"environ": "[MAIN]\ndisable = ghs_secrettoken42\n"})
	if err := os.Symlink(secret, filepath.Join(dir, ".pylintrc")); err != nil {
		t.Fatal(err)
	}
	s, err := Sanitise(dir, "", []string{"pylint"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ := os.ReadFile(s.Config("pylint"))
	if len(s.Stripped) != 1 || !strings.Contains(s.Stripped[0].String(), "pylint: stripped all of .pylintrc: it is a link") || len(b) != 0 {
		t.Errorf("stripped %v; copy %q", s.Stripped, b)
	}
}

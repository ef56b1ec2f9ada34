package lint

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

// pylintPython returns the interpreter the installed pylint runs with (from its #! line).
func pylintPython(t *testing.T) string {
	t.Helper()
	requireTools(t, "pylint")
	bin, _ := exec.LookPath("pylint")
	f, err := os.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	fields := strings.Fields(strings.TrimPrefix(line, "#!"))
	if len(fields) == 0 {
		t.Fatalf("%s has no #! line", bin)
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		return fields[1]
	}
	return fields[0]
}

// similarPython runs Python code with the plugin importable, in the interpreter pylint uses.
func similarPython(t *testing.T, code string) string {
	t.Helper()
	_, env, cleanup, err := withSimilarPlugin(childEnv())
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	cmd := exec.Command(pylintPython(t), "-c", code)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// requireVerifiedPylint skips (or fails under SLIPWAY_REQUIRE_DOCKER=1) when the installed pylint is
// not one the plugin was checked against: the plugin then leaves pylint alone, and a comparison of
// it with stock pylint would compare pylint with itself.
func requireVerifiedPylint(t *testing.T) {
	t.Helper()
	got := similarPython(t, "import slipway_similar as s; print(s._algorithm_digest() in s.VERIFIED.values())")
	var err error
	if got != "True" {
		err = fmt.Errorf("its duplicate-code algorithm is not in VERIFIED (%s)", got)
	}
	dockertest.Require(t, "a pylint the duplicate-code plugin was verified against", err)
}

func TestSimilarPlugin_ActiveOnlyOnAVerifiedAlgorithm(t *testing.T) {
	t.Parallel()
	requireVerifiedPylint(t)
	const check = `
from pylint.checkers import similar
stock = similar.SimilarChecker._compute_sims
import slipway_similar as s
%s
s.register(None)
print(similar.SimilarChecker._compute_sims is s._compute_sims, similar.SimilarChecker._compute_sims is stock)
`
	if got := similarPython(t, fmt.Sprintf(check, "")); got != "True False" {
		t.Errorf("on the verified pylint, replaced / left alone = %s, want True False", got)
	}
	// Any change in one of the functions the plugin stands in for (here remove_successive, loaded from
	// a file so that its source can be read) must leave pylint's own computation in place.
	changed := fmt.Sprintf(`
import importlib.util, pathlib
path = pathlib.Path(%q) / "changed.py"
path.write_text("def remove_successive(all_couples):\n    return None\n")
spec = importlib.util.spec_from_file_location("changed", path)
changed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(changed)
similar.remove_successive = changed.remove_successive
`, t.TempDir())
	if got := similarPython(t, fmt.Sprintf(check, changed)); got != "False True" {
		t.Errorf("on a changed algorithm, replaced / left alone = %s, want False True", got)
	}
	// and so must a pylint without the module (pylint 3 calls it symilar)
	if got := similarPython(t, "import sys; sys.modules['pylint.checkers.similar'] = None\nimport slipway_similar as s\ns.register(None)\nprint(s.similar)"); got != "None" {
		t.Errorf("without pylint.checkers.similar: %s", got)
	}
}

// duplicateCode runs pylint's duplicate-code check alone, with or without the plugin, and returns
// each R0801 message as the module it is reported on and the locations it names, in output order.
// The quoted lines are left out: stock pylint quotes either file of a pair, depending on memory
// addresses, so two stock runs differ there too.
func duplicateCode(t *testing.T, dir string, plugin bool) []string {
	t.Helper()
	args := []string{"--disable=all", "--enable=duplicate-code", "--output-format=json", "--score=n", "--recursive=y", "--persistent=n", "."}
	env := childEnv()
	if plugin {
		load, pluginEnv, cleanup, err := withSimilarPlugin(env)
		if err != nil {
			t.Fatal(err)
		}
		defer cleanup()
		args, env = append(load, args...), pluginEnv
	}
	cmd := exec.Command("pylint", args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.Output()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	var msgs []pylintMessage
	if err := json.Unmarshal(out, &msgs); err != nil {
		t.Fatalf("pylint output: %v\n%s", err, out)
	}
	loc := regexp.MustCompile(`(?m)^==\S+$`)
	var got []string
	for _, m := range msgs {
		head, _, _ := strings.Cut(m.Message, "\n")
		got = append(got, fmt.Sprintf("%s:%d %s %s", m.Path, m.Line, head, strings.Join(loc.FindAllString(m.Message, -1), " ")))
	}
	return got
}

func TestSimilarPlugin_SameFindingsAsPylint(t *testing.T) {
	t.Parallel()
	requireVerifiedPylint(t)
	for _, tc := range []struct{ name, config string }{
		{"pylint's defaults", ""},
		{"3 lines, comments and imports compared", "min-similarity-lines = 3\nignore-comments = false\nignore-imports = false\n"},
		{"6 lines, signatures and docstrings compared", "min-similarity-lines = 6\nignore-signatures = false\nignore-docstrings = false\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			similarTree(t, dir, 48, "[tool.pylint.similarities]\n"+tc.config)
			want := duplicateCode(t, dir, false)
			t.Logf("stock pylint: %d duplicate-code messages", len(want))
			got := duplicateCode(t, dir, true)
			if len(want) < 20 {
				t.Fatalf("stock pylint finds %d duplicates; the generated tree should hold more", len(want))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				n := 0
				for n < len(got) && n < len(want) && got[n] == want[n] {
					n++
				}
				t.Errorf("with the plugin %d messages, stock pylint %d; the first %d agree, then\n got %q\nwant %q",
					len(got), len(want), n, got[n:min(n+3, len(got))], want[n:min(n+3, len(want))])
			}
		})
	}
}

// similarTree writes Python modules made of shared blocks of statements, so that files repeat each
// other at different offsets, in different orders and lengths, between comments, docstrings, imports
// and multi-line signatures, some inside a region where duplicate-code is disabled.
func similarTree(t *testing.T, dir string, files int, pyproject string) {
	t.Helper()
	blocks := [][]string{
		{"total = 0", "for item in items:", "    total += item", "return total"},
		{"result = {}", "for key, value in table.items():", "    if value:", "        result[key] = value", "return result"},
		{"if not items:", "    raise ValueError(\"empty\")", "first = items[0]", "last = items[-1]"},
		{"name = name.strip()", "name = name.lower()", "if len(name) > 10:", "    name = name[:10]"},
		{"count = len(items)", "mean = sum(items) / count", "spread = max(items) - min(items)", "return mean, spread"},
		{"with open(path, encoding=\"utf-8\") as handle:", "    text = handle.read()", "lines = text.splitlines()", "return [l for l in lines if l]"},
		{"try:", "    value = int(text)", "except ValueError:", "    value = 0", "return value"},
		{"x = 1", "y = 2", "z = x + y", "w = z * 2"},
		{"y = 2", "x = 1", "w = z * 2", "z = x + y"},
		{")", "]", "}", "pass"},
	}
	rng := rand.New(rand.NewSource(4))
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("pyproject.toml", pyproject)
	for f := 0; f < files; f++ {
		var b strings.Builder
		b.WriteString("import os\nimport sys\nfrom typing import Any\n\n")
		disabled := f%7 == 3
		for fn := 0; fn < 2+rng.Intn(6); fn++ {
			if disabled && fn == 1 {
				b.WriteString("# pylint: disable=duplicate-code\n")
			}
			if rng.Intn(3) == 0 {
				fmt.Fprintf(&b, "def f%d_%d(\n    items: list,\n    table: dict,\n) -> Any:\n", f, fn)
			} else {
				fmt.Fprintf(&b, "def f%d_%d(items, table, name, path, text):\n", f, fn)
			}
			if rng.Intn(2) == 0 {
				b.WriteString("    \"\"\"Do the thing.\n\n    In detail.\n    \"\"\"\n")
			}
			// Consecutive blocks from one of a few starting points, so that runs longer than a block
			// recur across files; now and then the first line of a block is left out.
			first := rng.Intn(4) * 2
			for k := 0; k < 2+rng.Intn(3); k++ {
				block := blocks[(first+k)%len(blocks)]
				start := 0
				if rng.Intn(4) == 0 {
					start = 1
				}
				for _, line := range block[start:] {
					b.WriteString("    " + line + "\n")
					if rng.Intn(8) == 0 {
						b.WriteString("    # note\n")
					}
				}
			}
			b.WriteString("\n\n")
			if disabled && fn == 2 {
				b.WriteString("# pylint: enable=duplicate-code\n")
			}
		}
		write(fmt.Sprintf("pkg%d/mod%02d.py", f%3, f), b.String())
	}
	for p := 0; p < 3; p++ {
		write(fmt.Sprintf("pkg%d/__init__.py", p), "")
	}
}

func TestRun_LoadsTheDuplicateCodePluginUnlessStockIsAsked(t *testing.T) {
	t.Parallel()
	requireTools(t, "pylint")
	for _, stock := range []bool{false, true} {
		dir := t.TempDir()
		similarTree(t, dir, 6, "")
		rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"pylint"}, Explicit: true, StockDuplicateCode: stock})
		if err != nil {
			t.Fatal(err)
		}
		cmd := strings.Join(rep.Tools[0].Command, " ")
		if loaded := strings.Contains(cmd, "--load-plugins="+similarModule); loaded == stock {
			t.Errorf("StockDuplicateCode=%v: command %q", stock, cmd)
		}
	}
}

// Command lint measures lint-python against the same linters run one after another (what
// pre-commit/action does) on a generated tree of Python files, and prints the ratio of wall times.
// Each round uses fresh copies of the tree and no mypy cache, so neither side is warm.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

func main() {
	files := flag.Int("files", 240, "Python files in the generated tree")
	rounds := flag.Int("rounds", 3, "measured rounds (the median is reported)")
	bin := flag.String("bin", "", "path of the lint-python binary")
	flag.Parse()
	fmt.Printf("lint: %d Python files, 5 linters, median of %d rounds, %d cores\n", *files, *rounds, runtime.NumCPU())
	// pylint's duplicate-code check cannot run in pylint's worker processes, so lint-python keeps
	// pylint in one process where it is on. Measured with it on (pylint's default) and disabled
	// (pylint then uses its worker processes).
	for _, c := range []struct {
		label         string
		duplicateCode bool
	}{
		{"pylint duplicate-code on (default)", true},
		{"pylint duplicate-code disabled", false},
	} {
		if err := run(*bin, *files, *rounds, c.label, c.duplicateCode); err != nil {
			fmt.Fprintln(os.Stderr, "bench/lint:", err)
			os.Exit(1)
		}
	}
}

var linters = [][]string{
	{"flake8", "."},
	{"black", "--check", "--diff", "."},
	{"isort", "--check-only", "--diff", "."},
	{"pylint", "--recursive=y", "."},
	{"mypy", "."},
}

func run(bin string, files, rounds int, label string, duplicateCode bool) error {
	work, err := os.MkdirTemp("", "slipway-bench-lint-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var action, serial []time.Duration
	for r := 0; r < rounds; r++ {
		// Interleave the two sides so that drift on the machine hits both alike.
		a := filepath.Join(work, fmt.Sprintf("action-%d", r))
		s := filepath.Join(work, fmt.Sprintf("serial-%d", r))
		for _, dir := range []string{a, s} {
			if err := generate(dir, files, duplicateCode); err != nil {
				return err
			}
		}
		start := time.Now()
		cmd := exec.Command(bin, "--fail-on", "never", "--linters", "flake8,black,isort,pylint,mypy")
		cmd.Dir = a
		cmd.Env = benchEnv(a)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("lint-python: %v\n%s", err, tail(string(out)))
		}
		action = append(action, time.Since(start))

		start = time.Now()
		for _, l := range linters {
			cmd := exec.Command(l[0], l[1:]...)
			cmd.Dir = s
			cmd.Env = benchEnv(s)
			if out, err := cmd.CombinedOutput(); err != nil {
				if _, ok := err.(*exec.ExitError); !ok {
					return fmt.Errorf("%s: %v\n%s", l[0], err, tail(string(out)))
				}
			}
		}
		serial = append(serial, time.Since(start))
	}
	ma, ms := median(action), median(serial)
	fmt.Printf("%s:\n", label)
	fmt.Printf("  lint-python (parallel):     %v\n", ma.Round(time.Millisecond))
	fmt.Printf("  linters one after another:  %v\n", ms.Round(time.Millisecond))
	fmt.Printf("  ratio action/serial: %.2f (goal <= 0.60)\n", float64(ma)/float64(ms))
	return nil
}

func benchEnv(dir string) []string {
	return append(os.Environ(), "MYPY_CACHE_DIR=/dev/null", "XDG_CACHE_HOME="+filepath.Join(dir, ".cache"), "PYLINTHOME="+filepath.Join(dir, ".pylint"))
}

// generate writes a package tree of Python modules with a typical mix of clean code and findings
// for every linter, plus the config that makes lint-python's auto mode pick all five.
func generate(dir string, files int, duplicateCode bool) error {
	disable := `"missing-module-docstring"`
	if !duplicateCode {
		disable += `, "duplicate-code"`
	}
	cfg := map[string]string{
		"setup.cfg":      "[flake8]\nmax-line-length = 100\n",
		"pyproject.toml": "[tool.black]\nline-length = 100\n\n[tool.isort]\nprofile = \"black\"\n\n[tool.mypy]\nignore_missing_imports = true\n\n[tool.pylint.main]\ndisable = [" + disable + "]\n",
	}
	for name, text := range cfg {
		if err := write(filepath.Join(dir, name), text); err != nil {
			return err
		}
	}
	for i := 0; i < files; i++ {
		pkg := filepath.Join(dir, "app", fmt.Sprintf("pkg%02d", i/20))
		if i%20 == 0 {
			if err := write(filepath.Join(pkg, "__init__.py"), ""); err != nil {
				return err
			}
		}
		if err := write(filepath.Join(pkg, fmt.Sprintf("mod%03d.py", i)), module(i)); err != nil {
			return err
		}
	}
	return nil
}

func module(i int) string {
	var b strings.Builder
	b.WriteString("import os, sys\nfrom typing import Dict, List\nimport json\n\n\n")
	for f := 0; f < 8; f++ {
		fmt.Fprintf(&b, "def func_%d_%d(items: List[int], table: Dict[str, int]) -> int:\n", i, f)
		b.WriteString("    \"\"\"Sum the items and look up a key.\"\"\"\n    total = 0\n")
		b.WriteString("    for index in range(len(items)):\n        total += items[index]\n")
		if f%3 == 0 {
			b.WriteString("    unused=1\n")
		}
		if f%4 == 0 {
			b.WriteString("    return str(total)\n\n\n")
		} else {
			b.WriteString("    return total + table.get(\"k\", 0)\n\n\n")
		}
	}
	fmt.Fprintf(&b, "class Model%d:\n    \"\"\"A model.\"\"\"\n\n    def __init__(self, name: str) -> None:\n        self.name = name\n\n    def label(self) -> str:\n        \"\"\"Label.\"\"\"\n        return self.name.upper()\n", i)
	return b.String()
}

func write(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

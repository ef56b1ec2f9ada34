// Command lint measures lint-python on a generated tree of Python modules (linttest.Tree), in two
// parts, each side by side in one run:
//
//   - full tree: lint-python against the same five linters run one after another (what pre-commit
//     does), stock linters, cold caches on both sides. Beside the ratio it prints the floor on this
//     machine: no scheduler can beat the slowest linter alone, nor the total CPU seconds divided by the
//     cores, whichever is larger, divided by the serial time. Goal: ratio within 1.1 times the floor.
//   - pull request: a 5-file change (3 modules, a script, generated code), lint-python --only-changed
//     against its full run on the same tree. Goal: at most 0.2 of the full run's wall time, and the
//     same findings on the changed lines as the full run (pylint's whole-tree checks aside).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/lint"
	"github.com/slipway-actions/slipway/internal/lint/linttest"
)

func main() {
	modules := flag.Int("files", 240, "Python modules in the generated tree")
	rounds := flag.Int("rounds", 3, "measured rounds (the median is reported)")
	bin := flag.String("bin", "", "path of the slipway program (make binaries), run as slipway lint-python")
	spin := flag.Duration("spin", 0, "internal: burn CPU for this long (the capacity probe)")
	flag.Parse()
	if *spin > 0 {
		for deadline := time.Now().Add(*spin); time.Now().Before(deadline); {
		}
		return
	}
	fmt.Printf("lint: %d Python modules, 5 linters, median of %d rounds, %d cores\n", *modules, *rounds, runtime.NumCPU())
	for _, v := range [][]string{{"flake8", "--version"}, {"black", "--version"}, {"isort", "--version-number"}, {"pylint", "--version"}, {"mypy", "--version"}} {
		out, _ := exec.Command(v[0], v[1:]...).Output()
		fmt.Printf("  %s %s\n", v[0], strings.Fields(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(string(out)), v[0]+","), v[0]))[0])
	}
	// pylint's duplicate-code check cannot run in pylint's worker processes, so lint-python keeps
	// pylint in one process where it is on. Measured with it on (pylint's default) and disabled.
	for _, dup := range []bool{true, false} {
		if err := fullTree(*bin, linttest.Tree{Modules: *modules, DuplicateCode: dup}, *rounds); err != nil {
			fail(err)
		}
	}
	if err := pullRequest(*bin, linttest.Tree{Modules: *modules, DuplicateCode: true}, *rounds); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/lint:", err)
	os.Exit(1)
}

// serialLinters are the stock commands, as a developer or pre-commit runs them on the tree.
var serialLinters = [][]string{
	{"flake8", "."},
	{"black", "--check", "--diff", "."},
	{"isort", "--check-only", "--diff", "."},
	{"pylint", "--recursive=y", "."},
	{"mypy", "."},
}

// round is one measured round of the full-tree part.
type round struct {
	action, serial, slowest, cpu time.Duration
	// capacity is how many cores the round had: on a shared machine, fewer than it has.
	capacity float64
}

func (r round) ratio() float64 { return float64(r.action) / float64(r.serial) }

// floor is the best any scheduler could do: the slowest linter alone, or the CPU seconds of all
// spread over the cores, whichever is longer, over the serial time.
func (r round) floor(cores float64) float64 {
	return max(float64(r.slowest), float64(r.cpu)/cores) / float64(r.serial)
}

// capacity measures how many cores this process gets now: one spinner per core for a second, and the
// CPU seconds they got per second of wall time. On a machine shared with other work it is below
// runtime.NumCPU(), and the floor is computed with it too.
func capacity() (float64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	const d = time.Second
	cmds := make([]*exec.Cmd, runtime.NumCPU())
	start := time.Now()
	for i := range cmds {
		cmds[i] = exec.Command(self, "--spin", d.String())
		if err := cmds[i].Start(); err != nil {
			return 0, err
		}
	}
	var cpu time.Duration
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			return 0, err
		}
		cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	}
	return float64(cpu) / float64(time.Since(start)), nil
}

func fullTree(bin string, tree linttest.Tree, rounds int) error {
	work, err := os.MkdirTemp("", "slipway-bench-lint-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var rs []round
	for i := 0; i < rounds; i++ {
		// Interleave the two sides so that drift on the machine hits both alike.
		a, s := filepath.Join(work, fmt.Sprintf("action-%d", i)), filepath.Join(work, fmt.Sprintf("serial-%d", i))
		for _, dir := range []string{a, s} {
			if err := tree.Write(dir); err != nil {
				return err
			}
		}
		var r round
		before, err := capacity()
		if err != nil {
			return err
		}
		if r.action, err = lintPython(bin, a); err != nil {
			return err
		}
		for _, l := range serialLinters {
			wall, cpu, err := timed(s, l...)
			if err != nil {
				return err
			}
			r.serial += wall
			r.cpu += cpu
			r.slowest = max(r.slowest, wall)
		}
		after, err := capacity()
		if err != nil {
			return err
		}
		r.capacity = (before + after) / 2
		rs = append(rs, r)
	}
	cores := float64(runtime.NumCPU())
	sort.Slice(rs, func(i, j int) bool { return rs[i].ratio()/rs[i].floor(cores) < rs[j].ratio()/rs[j].floor(cores) })
	m := rs[len(rs)/2]
	label := "pylint duplicate-code on (default)"
	if !tree.DuplicateCode {
		label = "pylint duplicate-code disabled"
	}
	fmt.Printf("full tree, %s:\n", label)
	fmt.Printf("  lint-python (parallel):     %v\n", m.action.Round(time.Millisecond))
	fmt.Printf("  linters one after another:  %v (slowest alone %v, CPU %v)\n", m.serial.Round(time.Millisecond), m.slowest.Round(time.Millisecond), m.cpu.Round(time.Millisecond))
	fmt.Printf("  ratio action/serial: %.2f, floor on this machine: %.2f, ratio/floor: %.2f (goal <= 1.10)\n", m.ratio(), m.floor(cores), m.ratio()/m.floor(cores))
	fmt.Printf("  cores the round had (measured before and after it): %.2f of %d; floor with them: %.2f, ratio/floor: %.2f\n",
		m.capacity, runtime.NumCPU(), m.floor(m.capacity), m.ratio()/m.floor(m.capacity))
	return nil
}

func pullRequest(bin string, tree linttest.Tree, rounds int) error {
	work, err := os.MkdirTemp("", "slipway-bench-lint-pr-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	type prRound struct{ full, pr, cold time.Duration }
	var rs []prRound
	var same string
	for i := 0; i < rounds; i++ {
		dir := filepath.Join(work, fmt.Sprintf("tree-%d", i))
		if err := tree.Write(dir); err != nil {
			return err
		}
		if err := linttest.Commit(dir, "base"); err != nil {
			return err
		}
		// The base's run fills the mypy cache, as the reusable workflow restores it from main.
		if _, err := lintPython(bin, dir, "--cache-dir", ".slipway/base"); err != nil {
			return err
		}
		if err := linttest.Git(dir, "checkout", "-q", "-b", "feature"); err != nil {
			return err
		}
		files, err := linttest.Change(dir, []int{3, tree.Modules / 2, tree.Modules - 1})
		if err != nil {
			return err
		}
		if err := linttest.Commit(dir, "change"); err != nil {
			return err
		}
		var r prRound
		if r.full, err = lintPython(bin, dir, "--cache-dir", ".slipway/full", "--report-file", ".slipway/full.json"); err != nil {
			return err
		}
		if r.pr, err = lintPython(bin, dir, "--cache-dir", ".slipway/base", "--report-file", ".slipway/pr.json", "--only-changed", "--base-ref", "main"); err != nil {
			return err
		}
		if r.cold, err = lintPython(bin, dir, "--cache-dir", ".slipway/cold", "--report-file", ".slipway/cold.json", "--only-changed", "--base-ref", "main"); err != nil {
			return err
		}
		rs = append(rs, r)
		if same, err = compare(dir, len(files)); err != nil {
			return err
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].pr*rs[j].full < rs[j].pr*rs[i].full })
	m := rs[len(rs)/2]
	fmt.Printf("pull request, a 5-file change, only-changed:\n")
	fmt.Printf("  full run on the tree:                     %v\n", m.full.Round(time.Millisecond))
	fmt.Printf("  only-changed, mypy cache from the base:   %v, ratio %.2f (goal <= 0.20)\n", m.pr.Round(time.Millisecond), float64(m.pr)/float64(m.full))
	fmt.Printf("  only-changed, cold mypy cache:            %v, ratio %.2f\n", m.cold.Round(time.Millisecond), float64(m.cold)/float64(m.full))
	fmt.Printf("  findings on the changed lines: %s\n", same)
	return nil
}

// compare checks that only-changed reported what the full run reports on the changed lines.
func compare(dir string, changedFiles int) (string, error) {
	changes, err := lint.ChangedLines(context.Background(), dir, dir, "main")
	if err != nil {
		return "", err
	}
	read := func(name string) ([]string, error) {
		var rep lint.Report
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			return nil, err
		}
		var keys []string
		for _, f := range rep.Findings {
			if changes.Touches(f) && f.Code != "R0801" && f.Code != "R0401" {
				keys = append(keys, fmt.Sprintf("%s %s:%d:%d %s %s", f.Tool, f.File, f.Line, f.Col, f.Code, f.Message))
			}
		}
		sort.Strings(keys)
		return keys, nil
	}
	full, err := read(".slipway/full.json")
	if err != nil {
		return "", err
	}
	for _, name := range []string{".slipway/pr.json", ".slipway/cold.json"} {
		got, err := read(name)
		if err != nil {
			return "", err
		}
		if strings.Join(got, "\n") != strings.Join(full, "\n") {
			return "", fmt.Errorf("%s differs from the full run on the changed lines:\n got %q\nwant %q", name, got, full)
		}
	}
	return fmt.Sprintf("the same %d as the full run's, in %d changed files (pylint's duplicate-code and cyclic-import aside)", len(full), changedFiles), nil
}

// lintPython runs the binary in dir with the five linters and the stock linters of the machine.
func lintPython(bin, dir string, args ...string) (time.Duration, error) {
	args = append([]string{"--fail-on", "never", "--install", "none", "--linters", "flake8,black,isort,pylint,mypy"}, args...)
	wall, _, err := timed(dir, append([]string{bin, "lint-python"}, args...)...)
	return wall, err
}

// ranOK says which exit codes mean "ran" (with or without findings); any other is a failure.
func ranOK(name string, code int) bool {
	switch name {
	case "pylint":
		return code&32 == 0 // a bit mask of message kinds; 32 is a usage error
	case "flake8", "black", "isort", "mypy":
		return code == 0 || code == 1
	}
	return code == 0 // lint-python with fail-on never
}

// timed runs a command in dir and returns its wall time and CPU time (its own and its children's).
// Each command gets caches of its own, empty (black's, in XDG_CACHE_HOME), outside the tree.
func timed(dir string, argv ...string) (time.Duration, time.Duration, error) {
	home, err := os.MkdirTemp(filepath.Dir(dir), "cache-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(home)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+home, "PYLINTHOME="+home)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if _, exited := err.(*exec.ExitError); err != nil && (!exited || !ranOK(filepath.Base(argv[0]), cmd.ProcessState.ExitCode())) {
		return 0, 0, fmt.Errorf("%s: %v\n%s", argv[0], err, tail(string(out)))
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

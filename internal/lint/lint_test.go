package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/lint/linttest"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// requireTools skips (or fails under SLIPWAY_REQUIRE_DOCKER=1) when a linter is not installed.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		_, err := exec.LookPath(n)
		dockertest.Require(t, "the linter "+n, err)
	}
}

// direct runs a linter the way a developer would, with its default output, and returns its stdout
// and stderr together.
func direct(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out)
}

// keys extracts "file:line:code" (or "file" when code is empty) with a regexp whose groups are path,
// line, code, normalising paths to be relative to dir.
func keys(dir, out string, re *regexp.Regexp, fileOnly bool) []string {
	var ks []string
	for _, line := range strings.Split(out, "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		p := m[1]
		if filepath.IsAbs(p) {
			p, _ = filepath.Rel(dir, p)
		}
		p = filepath.ToSlash(filepath.Clean(p))
		if fileOnly {
			ks = append(ks, p)
			continue
		}
		ks = append(ks, p+":"+m[2]+":"+m[3])
	}
	sort.Strings(ks)
	return ks
}

func reportKeys(fs []Finding, fileOnly bool) []string {
	seen := map[string]bool{}
	var ks []string
	for _, f := range fs {
		k := f.File
		if !fileOnly {
			k = f.key()
		}
		if fileOnly && seen[k] {
			continue
		}
		seen[k] = true
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestRun_FindingsEqualRunningEachLinterDirectly(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8", "black", "isort", "pylint", "mypy")
	dir := actiontest.CopyDir(t, "testdata/planted")
	det, err := Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(det.Tools, ","); got != "flake8,black,isort,pylint,mypy" {
		t.Fatalf("detected %s", got)
	}
	rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: det.Tools, Explicit: true})
	if err != nil {
		t.Fatal(err)
	}
	byTool := map[string][]Finding{}
	for _, tr := range rep.Tools {
		byTool[tr.Tool] = tr.Findings
	}
	// A second, independent copy for the direct runs, so neither run sees the other's caches.
	ref := actiontest.CopyDir(t, "testdata/planted")
	for _, tc := range []struct {
		tool     string
		out      string
		re       string
		fileOnly bool
	}{
		{"flake8", direct(t, ref, "flake8", "."), `^(?:\./)?(.+?):(\d+):\d+: ([A-Z]\d+) `, false},
		{"pylint", direct(t, ref, "pylint", "--recursive=y", "."), `^(.+?):(\d+):\d+: ([A-Z]\d{4}): `, false},
		{"mypy", direct(t, ref, "mypy", "--show-error-codes", "."), `^(.+?):(\d+): (?:error|note): .*\[([a-z-]+)\]$`, false},
		{"black", direct(t, ref, "black", "--check", "."), `^would reformat (.+)$`, true},
		{"isort", direct(t, ref, "isort", "--check-only", "."), `^ERROR: (.+?) Imports are incorrectly sorted`, true},
	} {
		want := keys(ref, tc.out, regexp.MustCompile(tc.re), tc.fileOnly)
		got := reportKeys(byTool[tc.tool], tc.fileOnly)
		if len(want) == 0 {
			t.Errorf("%s: the direct run found nothing; the planted problems are gone:\n%s", tc.tool, tc.out)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: findings differ from running it directly\n got: %v\nwant: %v", tc.tool, got, want)
		}
	}
	if n := len(rep.Findings); n < 15 {
		t.Errorf("only %d findings in all; the planted project has more", n)
	}
}

func TestRun_ReportsFormatterHunkLines(t *testing.T) {
	t.Parallel()
	requireTools(t, "black", "isort")
	dir := actiontest.CopyDir(t, "testdata/planted")
	rep, err := Run(context.Background(), Options{Workspace: filepath.Dir(dir), Dir: dir, Tools: []string{"black", "isort"}, Explicit: true})
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(dir)
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.Tool+" "+f.File+":"+LineSpan(f.Line, f.EndLine))
	}
	want := []string{
		"isort " + base + "/app/models.py:line 1",
		"black " + base + "/app/models.py:line 10",
		"isort " + base + "/app/services/billing.py:lines 1-3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("formatter findings (paths relative to the workspace, one level up):\n got %q\nwant %q", got, want)
	}
}

func TestRun_OnlyChangedReportsExactlyTheChangedLines(t *testing.T) {
	t.Parallel()
	requireTools(t, "flake8", "git")
	dir := sandboxtest.Dir(t)
	gitRun := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitRun("init", "-q", "-b", "main")
	write("setup.cfg", "[flake8]\n")
	write("old.py", "import os\nimport sys\n\n\ndef f():\n    return 1\n")
	write("keep.py", "import json\n")
	gitRun("add", ".")
	gitRun("commit", "-qm", "base")
	gitRun("checkout", "-qb", "feature")
	// Line 2 changes (and becomes a new problem), line 6 changes with one; line 1 keeps its old problem.
	write("old.py", "import os\nimport re\n\n\ndef f():\n    return  1\n")
	write("new.py", "import abc\n")
	gitRun("add", ".")
	gitRun("commit", "-qm", "change")

	changes, err := ChangedLines(context.Background(), dir, dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	all, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"flake8"}, Explicit: true})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"flake8"}, Explicit: true, Changed: changes})
	if err != nil {
		t.Fatal(err)
	}
	got := reportKeys(rep.Findings, false)
	want := []string{"new.py:1:F401", "old.py:2:F401", "old.py:6:E271"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("only-changed findings = %v, want %v (all: %v)", got, want, reportKeys(all.Findings, false))
	}
	// keep.py is unchanged: flake8 never reads it; old.py's line 1 is read and left out.
	if rep.Filtered != 1 {
		t.Errorf("Filtered = %d, want 1 (old.py:1)", rep.Filtered)
	}
	if cmd := strings.Join(rep.Tools[0].Command, " "); !strings.HasSuffix(cmd, " new.py old.py") {
		t.Errorf("flake8 ran as %q, want only the changed files", cmd)
	}
}

// fakeTool puts an executable script named name first on PATH.
func fakeTool(t *testing.T, name, script string) {
	t.Helper()
	bin := sandboxtest.Dir(t)
	if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestRun_CrashingToolIsAnErrorNotZeroFindings(t *testing.T) {
	fakeTool(t, "flake8", `echo "Traceback: boom" >&2; exit 1`)
	dir := sandboxtest.Dir(t)
	_, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"flake8"}, Explicit: true})
	var te *ToolError
	if !errorAs(err, &te) || te.Tool != "flake8" || !strings.Contains(te.Stderr, "boom") {
		t.Fatalf("err = %v, want a ToolError for flake8 with its stderr", err)
	}
}

func TestRun_MissingToolErrorsWhenNamedSkipsWhenDetected(t *testing.T) {
	t.Setenv("PATH", sandboxtest.Dir(t))
	dir := sandboxtest.Dir(t)
	_, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"ruff", "mypy"}, Explicit: true})
	if err == nil || !strings.Contains(err.Error(), `linter "ruff" is not installed`) || !strings.Contains(err.Error(), `linter "mypy"`) {
		t.Fatalf("err = %v, want both missing linters named", err)
	}
	rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"ruff"}})
	if err != nil || rep.Tools[0].Skipped == "" {
		t.Fatalf("auto-detected missing tool: rep %+v err %v, want skipped", rep, err)
	}
}

// ruffStandIn puts a stand-in for ruff on PATH: ruff is not packaged for Debian, so not on slipway's
// CI machine (real ruff runs wherever it is installed: the image). It answers --version, and any
// other call only when it runs in dir with exactly argv, the arguments lint-python promises ruff;
// then it prints out and exits with code. Any other call is a usage error (exit 2, as ruff's) that
// names what it got, which lint-python reports as ruff's crash: dropping an argument fails the test.
func ruffStandIn(t *testing.T, dir string, argv []string, out string, code int) {
	t.Helper()
	wd, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append([]string{wd, out}, argv...) {
		if strings.Contains(s, "\nEND\n") {
			t.Fatalf("%q holds the stand-in's heredoc delimiter", s)
		}
	}
	fakeTool(t, "ruff", `if [ "$*" = --version ]; then echo "ruff 0.4.1"; exit 0; fi
got=$(printf '%s\n' "$(pwd -P)" "$@")
want=$(cat <<'END'
`+strings.Join(append([]string{wd}, argv...), "\n")+`
END
)
if [ "$got" != "$want" ]; then
	printf 'ruff stand-in: called (working directory, then argv) as\n%s\nnot as lint-python promises\n%s\n' "$got" "$want" >&2
	exit 2
fi
cat <<'END'
`+out+`
END
exit `+strconv.Itoa(code))
}

// ruff gets the arguments lint-python promises it (README: check mode with JSON output, no fixes;
// only-changed mode names the changed files and --force-exclude, so ruff applies its excludes to
// them; untrusted mode adds --no-cache), in the project directory, and its JSON (absolute file
// names) and diffs are read into findings.
func TestRun_RuffGetsTheArgumentsItIsPromised(t *testing.T) {
	const json = `[{"code":"F401","message":"` + "`os`" + ` imported but unused","filename":"DIR/app/x.py","location":{"row":1,"column":8},"end_location":{"row":1,"column":10},"fix":null,"noqa_row":1},
 {"code":null,"message":"SyntaxError: Expected an expression","filename":"DIR/app/y.py","location":{"row":3,"column":1},"end_location":{"row":3,"column":2},"fix":null,"noqa_row":null}]`
	const diff = "--- app/x.py\n+++ app/x.py\n@@ -1,3 +1,3 @@\n import os\n-x  = 1\n+x = 1\n y = 2\n"
	for _, tc := range []struct {
		name, tool string
		changed    Changes
		untrusted  bool
		argv       []string
		out        string
		want       []string
	}{
		{"check, the tree", "ruff", nil, false, []string{"check", "--no-fix", "--output-format=json", "."}, json,
			[]string{"app/x.py:1:F401", "app/y.py:3:syntax-error"}},
		{"check, only changed", "ruff", Changes{"app/x.py": {{1, 1}}}, false,
			[]string{"check", "--no-fix", "--output-format=json", "--force-exclude", "app/x.py"}, json, []string{"app/x.py:1:F401"}},
		{"check, untrusted", "ruff", nil, true, []string{"check", "--no-fix", "--output-format=json", "--no-cache", "."}, json,
			[]string{"app/x.py:1:F401", "app/y.py:3:syntax-error"}},
		{"format, the tree", "ruff-format", nil, false, []string{"format", "--diff", "."}, diff, []string{"app/x.py:2:format"}},
		{"format, only changed", "ruff-format", Changes{"app/x.py": {{2, 2}}}, false,
			[]string{"format", "--diff", "--force-exclude", "app/x.py"}, diff, []string{"app/x.py:2:format"}},
		{"format, untrusted", "ruff-format", nil, true, []string{"format", "--diff", "--no-cache", "."}, diff, []string{"app/x.py:2:format"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := sandboxtest.Dir(t)
			linttest.WriteFiles(t, dir, map[string]string{"app/x.py": "import os\nx  = 1\ny = 2\n", "app/y.py": "\n\nx = (\n"})
			ruffStandIn(t, dir, tc.argv, strings.ReplaceAll(tc.out, "DIR", dir), 1)
			o := Options{Workspace: dir, Dir: dir, Tools: []string{tc.tool}, Explicit: true, Changed: tc.changed}
			if tc.untrusted {
				s, err := Sanitise(dir, sandboxtest.Dir(t), o.Tools)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				o.Sanitised = s
			}
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if got := reportKeys(rep.Findings, false); strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("%s findings = %v, want %v", tc.tool, got, tc.want)
			}
		})
	}
}

func TestExcluded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, glob string
		want       bool
	}{
		{"app/migrations/0001.py", "migrations", true},
		{"app/migrations/0001.py", "app/migrations/**", true},
		{"app/migrations/0001.py", "*.py", true},
		{"app/models.py", "migrations", false},
		{"app/models.py", "app/m*.py", true},
		{"app/models.py", "./app", true},
	} {
		if got := excluded(tc.file, []string{tc.glob}); got != tc.want {
			t.Errorf("excluded(%q, %q) = %v, want %v", tc.file, tc.glob, got, tc.want)
		}
	}
}

func TestRun_PylintUsesJobsOnlyWithoutDuplicateCode(t *testing.T) {
	t.Parallel()
	requireTools(t, "pylint")
	cores := runtime.NumCPU()
	for _, tc := range []struct {
		name, config, wantJobs string
		others                 []string
	}{
		{"duplicate-code on (pylint's default)", "", "--jobs=1", nil},
		{"duplicate-code off", "[tool.pylint.main]\ndisable = [\"duplicate-code\"]\n", fmt.Sprintf("--jobs=%d", cores), nil},
		{"duplicate-code off beside the others", "[tool.pylint.main]\ndisable = [\"duplicate-code\"]\n", pylintJobsBesideOthers(cores), []string{"black", "mypy", "flake8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := actiontest.CopyDir(t, "testdata/planted")
			if err := os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: append([]string{"pylint"}, tc.others...), Explicit: true, Jobs: 2})
			if err != nil {
				t.Fatal(err)
			}
			if cmd := strings.Join(resultOf(t, rep, "pylint").Command, " "); !strings.Contains(cmd, tc.wantJobs) {
				t.Errorf("command %q lacks %s", cmd, tc.wantJobs)
			}
			dup := 0
			for _, f := range rep.Findings {
				if f.Code == "R0801" && f.Tool == "pylint" {
					dup++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.config == ""]; dup != want {
				t.Errorf("%d duplicate-code findings, want %d", dup, want)
			}
		})
	}
}

// pylintJobsBesideOthers is pylint's --jobs without duplicate-code beside black, mypy and flake8 on a
// machine of n cores. Without the check pylint costs 111 (0.3 of 370); black, mypy and flake8 put
// 225 (150+40+35) on each of n cores. Workers pay for themselves only when pylint still outlasts
// that by half as much again: 2×111 > 3×(225/n), from 4 cores on (hosted runners). On 2 or 3 cores
// (slipway's CI machine has 2) its workers would cost CPU the others need.
func pylintJobsBesideOthers(n int) string {
	if n >= 4 {
		return fmt.Sprintf("--jobs=%d", n)
	}
	return "--jobs=1"
}

// The expectation above holds for the machines slipway's CI runs on, whatever this one has.
func TestPylintJobsBesideOthers_TwoAndFourCores(t *testing.T) {
	t.Parallel()
	rest := func(n int) int {
		return (mustLookup(t, "black").cost + mustLookup(t, "mypy").cost + mustLookup(t, "flake8").cost) / n
	}
	pylint := mustLookup(t, "pylint").cost * 3 / 10
	for n, want := range map[int]bool{1: false, 2: false, 3: false, 4: true, 8: true} {
		if got := pylintJobsBesideOthers(n) != "--jobs=1"; got != want || n >= 2 && outlasts(pylint, rest(n)) != want {
			t.Errorf("%d cores: workers %v, scheduler's rule %v; want %v", n, got, outlasts(pylint, rest(n)), want)
		}
	}
}

func mustLookup(t *testing.T, name string) tool {
	t.Helper()
	tl, ok := lookup(name)
	if !ok {
		t.Fatalf("no tool %q", name)
	}
	return tl
}

func TestRun_CancelledRunLeavesNoToolProcess(t *testing.T) {
	pidFile := filepath.Join(sandboxtest.WritableDir(t), "worker.pid")
	// A tool with a worker process that keeps the output open, as black's and flake8's workers do.
	fakeTool(t, "flake8", `sleep 300 & echo $! > `+pidFile+`; wait`)
	dir := sandboxtest.Dir(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(pidFile); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	_, err := Run(ctx, Options{Workspace: dir, Dir: dir, Tools: []string{"flake8"}, Explicit: true})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Run returned %v after the cancel: it waited for the worker", d)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	// Killed, it is gone or a zombie until init reaps it; alive, it is sleeping.
	for i := 0; i < 40 && running(pid); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if running(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the tool's worker %d outlived the cancelled run", pid)
	}
}

// running reports whether a process exists and is not a zombie.
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

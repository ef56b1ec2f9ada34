package rune2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
)

// pytestPlatform is the test platform whose test service plays pytest (composetest's platform
// program, e2e -pytest): flags go to its first run, a named volume keeps a marker between runs.
func pytestPlatform(t *testing.T, flags string) (*actiontest.Runner, string) {
	t.Helper()
	return platformWorkspace(t, `-reports, /reports]`, `-reports, /reports, -pytest`+flags+`]`+"\n    volumes: [state:/state]",
		"depends_on: {api: {condition: service_healthy}}\n", "depends_on: {api: {condition: service_healthy}}\nvolumes:\n  state: {}\n")
}

// rerunWith is rerun-command for the platform program: its pytest mode, then the node ids.
func rerunWith(flags ...string) string {
	return strings.Join(append(append([]string{"e2e", "-url", "http://api:8080/health", "-reports", "/reports", "-pytest"}, flags...), "{cases}"), "\n")
}

// flakyWarnings are the warning annotations of flaky cases in a log.
func flakyWarnings(stdout string) []string {
	var out []string
	for _, c := range actiontest.Commands(stdout) {
		if c.Name == "warning" && strings.HasPrefix(c.Message, "failed, then passed on re-run") {
			out = append(out, c.Message)
		}
	}
	return out
}

// A case that fails, then passes on re-run is flaky: a warning, the step passes, the summary has a
// Flaky section, and the merged report keeps both runs (Surefire's flakyFailure).
func TestRunE2E_FlakyCasePassesWithAWarning(t *testing.T) {
	t.Parallel()
	r, ws := pytestPlatform(t, ", -flaky-marker, /state/marker")
	r.Input("rerun-command", rerunWith("-flaky-marker", "/state/marker"))
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || res.Outputs["result"] != "passed" || res.Outputs["flaky"] != "1" || res.Outputs["failures"] != "0" || res.Outputs["tests"] != "2" {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if w := flakyWarnings(res.Stdout); len(w) != 1 || !strings.Contains(w[0], "first run: no marker") {
		t.Errorf("flaky warnings %q; log:\n%s", w, res.Stdout)
	}
	for _, c := range actiontest.Commands(res.Stdout) {
		if c.Name == "error" {
			t.Errorf("error annotation: %+v", c)
		}
	}
	if !strings.Contains(res.Summary, "passed (1 flaky)") || !strings.Contains(res.Summary, "### Flaky (1)") || !strings.Contains(res.Summary, "first run: no marker") {
		t.Errorf("summary:\n%s", res.Summary)
	}
	merged, err := os.ReadFile(filepath.Join(ws, "e2e-reports", "junit.xml"))
	if err != nil || !strings.Contains(string(merged), `<flakyFailure message="first run: no marker">`) || strings.Contains(string(merged), "<failure") {
		t.Errorf("merged report (%v):\n%s", err, merged)
	}
	for _, run := range []string{"1", "2"} {
		if _, err := os.Stat(filepath.Join(ws, "e2e-reports", "runs", run, "junit.xml")); err != nil {
			t.Errorf("run %s's report: %v", run, err)
		}
	}
}

// fail-on-flaky fails the step on a flaky case.
func TestRunE2E_FailOnFlaky(t *testing.T) {
	t.Parallel()
	r, _ := pytestPlatform(t, ", -flaky-marker, /state/marker")
	r.Input("rerun-command", rerunWith("-flaky-marker", "/state/marker")).Input("fail-on-flaky", "true")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 || res.Outputs["result"] != "failed" || res.Outputs["flaky"] != "1" || !strings.Contains(res.Stdout, "(fail-on-flaky)") {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
}

// A case that fails on re-run too fails the step, with both failures in the report.
func TestRunE2E_CaseFailingTwiceFails(t *testing.T) {
	t.Parallel()
	r, ws := pytestPlatform(t, ", -fail")
	r.Input("rerun-command", rerunWith("-fail"))
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 || res.Outputs["result"] != "failed" || res.Outputs["flaky"] != "0" || res.Outputs["failures"] != "1" {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if !strings.Contains(res.Stdout, "1 failed cases failed again on re-run") || !strings.Contains(res.Stdout, "failed twice (again on re-run)") {
		t.Errorf("log:\n%s", res.Stdout)
	}
	merged, _ := os.ReadFile(filepath.Join(ws, "e2e-reports", "junit.xml"))
	if !strings.Contains(string(merged), `<failure message="expected 200">`) || !strings.Contains(string(merged), `<rerunFailure message="expected 200">`) {
		t.Errorf("merged report:\n%s", merged)
	}
}

// A suite whose failed cases cannot be selected is not re-run, and the log says why, once: reports
// that are not pytest's; a pytest report whose test command is not pytest's (rerun-failed: auto).
func TestRunE2E_NoRerunWhereCasesCannotBeSelected(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, flags, why string
	}{
		{name: "not pytest's reports", why: `the reports are not pytest's (suite "e2e", not "pytest")`},
		{name: "not pytest's command", flags: ", -pytest, -fail", why: "the test service's command (/platform e2e -url"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, _ := platformWorkspace(t, `-reports, /reports]`, `-reports, /reports, -fail`+c.flags+`]`)
			res := r.Run(t, context.Background(), Main)
			if res.Code != 1 || res.Outputs["flaky"] != "0" || strings.Count(res.Stdout, "rerun-failed: no re-run") != 1 || !strings.Contains(res.Stdout, c.why) {
				t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
			}
			if strings.Contains(res.Stdout, "re-running the failed cases") {
				t.Errorf("re-ran:\n%s", res.Stdout)
			}
		})
	}
}

// base-report: the summary lists the cases newly failing and newly passing against it.
func TestRunE2E_ComparesWithTheBaseReport(t *testing.T) {
	t.Parallel()
	r, ws := platformWorkspace(t, `-reports, /reports]`, `-reports, /reports, -fail]`)
	base := `<testsuites><testsuite name="e2e"><testcase classname="tests.test_health" name="test_health"><failure message="down"/></testcase>` +
		`<testcase classname="tests.test_checkout" name="test_checkout"/></testsuite></testsuites>`
	if err := os.MkdirAll(filepath.Join(ws, "base"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "base", "junit.xml"), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Input("base-report", "base/junit.xml")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{"### Compared with the base report", "| Newly failing (1) | Base | Now |", "| tests.test\\_checkout test\\_checkout | passed | failed |",
		"| Newly passing (1) | Base | Now |", "| tests.test\\_health test\\_health | failed | passed |"} {
		if !strings.Contains(res.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.Summary)
		}
	}
}

// The re-run command: rerun-command's {cases} become one argument per node id; auto keeps the first
// run's pytest options and leaves out its paths.
func TestPytestArgs_KeepOptionsDropPaths(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		entrypoint, command []string
		want                string
	}{
		{command: []string{"python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml=/reports/e2e.xml", "test_platform.py"},
			want: "python3 -m pytest -q -p no:cacheprovider --junitxml=/reports/e2e.xml"},
		{entrypoint: []string{"pytest"}, command: []string{"tests", "--junitxml", "/r/x.xml", "-k", "not slow"}, want: "--junitxml /r/x.xml -k not slow"},
		{entrypoint: []string{"docker-entrypoint.sh"}, command: []string{"/usr/bin/pytest-3", "tests/"}, want: "/usr/bin/pytest-3"},
		{command: []string{"sh", "-c", "pytest tests"}, want: "not pytest's"},
	} {
		args, why := pytestArgs(c.entrypoint, c.command)
		if got := strings.Join(args, " ") + why; !strings.Contains(got, c.want) || (why == "") != (c.want != "not pytest's") {
			t.Errorf("pytestArgs(%q, %q) = %q, %q; want %q", c.entrypoint, c.command, args, why, c.want)
		}
	}
}

// The re-run's inputs are checked with the rest, before anything starts: every problem at once.
func TestRunE2E_RerunInputsAreCheckedFirst(t *testing.T) {
	t.Parallel()
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"] = t.TempDir()
	r.Input("test-service", "e2e").Input("rerun-command", "pytest\n-q").Input("rerun-failed", "sometimes").
		Input("fail-on-flaky", "true").Input("base-report", "../base.xml")
	res := r.Run(t, context.Background(), Main)
	for _, want := range []string{`input "rerun-command": no argument is {cases}`, `input "rerun-failed"`,
		`input "reports": rerun-command and fail-on-flaky need the reports`, `input "base-report": "../base.xml" is outside the workspace`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks %s:\n%s", want, res.Stdout)
		}
	}
	if res.Code != 2 {
		t.Errorf("exit %d", res.Code)
	}
}

package compose

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/slipway-actions/slipway/internal/junit"
)

// pytestLike makes the test service play pytest, failing its checkout case on the first run only
// (a marker in a named volume), or on every run with -fail.
func pytestLike(flags string) []string {
	return []string{`-reports, /reports]`, `-reports, /reports, -pytest` + flags + `]` + "\n    volumes: [state:/state]",
		"depends_on: {api: {condition: service_healthy}}\n", "depends_on: {api: {condition: service_healthy}}\nvolumes:\n  state: {}\n"}
}

// The failed cases run again in a new container of the test service, selected by the node ids the
// first report gives, passed as argv (the id holds brackets and a space); the platform is not
// restarted: the engine's events show each dependency started once, and the test service twice,
// the second time before any dependency stopped.
func TestRun_RerunsFailedCasesAgainstTheSamePlatform(t *testing.T) {
	t.Parallel()
	r, s := project(t, pytestLike(", -flaky-marker, /state/marker")...)
	// The engine's record of the run, read as it happens (its history keeps only the last events of
	// a busy engine): every container event of the project, until each container created is destroyed.
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Minute)
	defer stop()
	msgs, errs := r.Docker.Events(ctx, events.ListOptions{Filters: filters.NewArgs(filters.Arg("type", "container"),
		filters.Arg("label", labelProject+"="+s.ProjectName))})
	seen := make(chan []events.Message, 1)
	go func() {
		var got []events.Message
		live := map[string]bool{}
		for {
			select {
			case m := <-msgs:
				got = append(got, m)
				switch m.Action {
				case "create":
					live[m.Actor.ID] = true
				case "destroy":
					delete(live, m.Actor.ID)
				}
				if len(live) == 0 && m.Action == "destroy" {
					seen <- got // the dependencies run until teardown: this is its last removal
					return
				}
			case err := <-errs:
				t.Errorf("engine events: %v", err)
				seen <- got
				return
			}
		}
	}()
	var asked []string
	rerun := func(_ context.Context, first *Result, exists func(string) bool) []string {
		var rep junit.Report
		for _, f := range first.Reports {
			fh, err := os.Open(f)
			if err != nil {
				t.Error(err)
				return nil
			}
			_ = rep.Parse(fh)
			_ = fh.Close()
		}
		cmd := []string{"e2e", "-url", "http://api:8080/health", "-reports", "/reports", "-pytest", "-flaky-marker", "/state/marker"}
		for _, c := range rep.Cases {
			if c.Status == junit.Failed {
				id, _ := c.PytestNodeID(exists)
				asked = append(asked, id)
				cmd = append(cmd, id)
			}
		}
		return cmd
	}
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute, Reports: "/reports/*.xml", ReportsDir: t.TempDir(),
		RerunReportsDir: t.TempDir(), ArtifactsDir: t.TempDir(), Rerun: rerun})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"tests/test_checkout.py::TestCheckout::test_pay[card-1.5 EUR]"}) {
		t.Fatalf("re-run asked for %q", asked)
	}
	if res.ExitCode != 1 || res.Rerun == nil || res.Rerun.ExitCode != 0 || len(res.Rerun.Reports) != 1 {
		t.Fatalf("result = %+v, rerun = %+v", res, res.Rerun)
	}
	if !strings.Contains(res.Rerun.FirstLog, "e2e: 1 passed, 1 failed") || !strings.Contains(res.Log("e2e"), `e2e args: ["tests/test_checkout.py::TestCheckout::test_pay[card-1.5 EUR]"]`) {
		t.Errorf("first log %q; last log %q", res.Rerun.FirstLog, res.Log("e2e"))
	}
	data, _ := os.ReadFile(res.Rerun.Reports[0])
	var second junit.Report
	if err := second.Parse(strings.NewReader(string(data))); err != nil || second.Tests != 1 || second.Failures != 0 {
		t.Errorf("re-run report: %+v, %v", second, err)
	}
	starts := map[string][]string{}
	var lastTestStart, firstDepStop int
	for n, m := range <-seen {
		svc := m.Actor.Attributes[labelService]
		switch {
		case m.Action == "start":
			starts[svc] = append(starts[svc], m.Actor.ID)
			if svc == "e2e" {
				lastTestStart = n + 1
			}
		case (m.Action == "die" || m.Action == "kill" || m.Action == "stop") && svc != "e2e" && svc != "migrate" && firstDepStop == 0:
			firstDepStop = n + 1
		}
	}
	for _, svc := range []string{"db", "api", "migrate"} {
		if len(starts[svc]) != 1 {
			t.Errorf("%s started %d times (%v)", svc, len(starts[svc]), starts)
		}
	}
	if len(starts["e2e"]) != 2 || starts["e2e"][0] == starts["e2e"][1] {
		t.Errorf("the test service's containers started: %v", starts["e2e"])
	}
	if firstDepStop != 0 && firstDepStop < lastTestStart {
		t.Errorf("a dependency stopped (event %d) before the re-run started (event %d)", firstDepStop, lastTestStart)
	}
}

// A case that fails again makes the re-run exit non-zero, with its report.
func TestRun_RerunOfACaseThatFailsAgain(t *testing.T) {
	t.Parallel()
	r, s := project(t, pytestLike(", -fail")...)
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute, Reports: "/reports/*.xml", ReportsDir: t.TempDir(), RerunReportsDir: t.TempDir(),
		Rerun: func(context.Context, *Result, func(string) bool) []string {
			return []string{"e2e", "-url", "http://api:8080/health", "-pytest", "-fail", "tests/test_checkout.py::TestCheckout::test_pay[card-1.5 EUR]"}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 1 || res.Rerun == nil || res.Rerun.ExitCode != 1 || len(res.Rerun.Reports) != 1 {
		t.Fatalf("result = %+v, rerun = %+v", res, res.Rerun)
	}
}

package flagrollout

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/rollout"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// TestMain lets a test start this package's test binary as the action itself, as main does
// (actionkit.Guard and a child of its own), so that it can be sent the signals the runner sends a
// cancelled step.
func TestMain(m *testing.M) {
	if os.Getenv("SLIPWAY_TEST_AS_ACTION") == "1" {
		os.Exit(actionkit.Guard(func() int { return Main(context.Background(), actionkit.WithArgs(nil)) }))
	}
	os.Exit(m.Run())
}

// startAsAction starts this test binary as the action itself (Guard and its child), in r's
// environment.
func startAsAction(t *testing.T, r *actiontest.Runner) *actiontest.Process {
	t.Helper()
	return r.Start(t, os.Args[0], []string{"-test.run=^$"}, "SLIPWAY_TEST_AS_ACTION=1")
}

// interruptGate starts the action (startAsAction) and, once its gate command has made the file
// marker, calls then and cancels the step as the runner does, SIGINT first. It returns the log,
// the exit code and how long the run went on after the SIGINT.
func interruptGate(t *testing.T, r *actiontest.Runner, marker string, then func()) (log string, code int, took time.Duration) {
	t.Helper()
	proc := startAsAction(t, r)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gate never started:\n%s", proc.Log())
		}
	}
	then()
	code, took, killed := proc.Cancel(t, syscall.SIGINT)
	if killed {
		t.Fatalf("still running when the runner kills it after SIGINT:\n%s", proc.Log())
	}
	return proc.Log(), code, took
}

// A step cancelled while its gate runs (SIGINT, the runner's first signal) is a cancel, not a
// failed gate: exit 3, the flag restored, the summary saying so. The gate command's whole process
// group is killed, so no child of its shell (here sleep, holding the output pipe) holds the run
// up: it ends long before the end of the cancel window.
func TestFlagRollout_SIGINTWhileTheGateRunsExits3AndRestores(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	started := filepath.Join(sandboxtest.WritableDir(t), "gate-started")
	r.Input("percentage", "10").Input("gate-command", "echo checking; sleep 60 & echo $! >'"+started+"'; wait; echo done")
	log, code, took := interruptGate(t, r, started, func() {})
	if took > 3*time.Second {
		t.Errorf("ended %s after SIGINT; the gate's children held it up", took.Round(time.Millisecond))
	}
	if code != 3 {
		t.Errorf("exit %d, want 3: a cancel is not a failed gate\n%s", code, log)
	}
	if strings.Contains(log, "gate failed") || strings.Contains(log, "done") {
		t.Errorf("log:\n%s", log)
	}
	if st := f.State("prodKey", 103); st.Default.Enabled || len(st.Overrides) != 0 || len(f.Segments(101)) != 0 {
		t.Errorf("Flagsmith holds %+v and segments %+v, want the state before the run\n%s", st, f.Segments(101), log)
	}
	summary, _ := os.ReadFile(r.SummaryFile)
	for _, want := range []string{"| cancelled; restored to the state before the run (read back from Flagsmith) |", "| 10% | cancelled: "} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("summary lacks %q:\n%s\nlog:\n%s", want, summary, log)
		}
	}
}

// A cancelled run ends within the window it has after the first signal, outputs and summary
// written, even when its gate lingers after the cancel (a process that left the gate's group holds
// the output pipe) and Flagsmith stops answering during the restore: the restore's time counts
// from the SIGINT, not from when the restore starts.
func TestFlagRollout_SIGINTEndsWithinTheWindowWhenFlagsmithHangs(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	started := filepath.Join(sandboxtest.WritableDir(t), "gate-started")
	r.Input("percentage", "10").Input("gate-command", `setsid sh -c 'touch "$0"; exec sleep 3' '`+started+`' & wait`)
	log, code, took := interruptGate(t, r, started, func() {
		f.Hold("", "/api/") // Flagsmith stops answering: the restore's first read hangs
	})
	if took > actionkit.CancelWindow+500*time.Millisecond {
		t.Errorf("ended %s after SIGINT, want within the cancel window (%s)", took.Round(time.Millisecond), actionkit.CancelWindow)
	}
	if code != 3 {
		t.Errorf("exit %d, want 3\n%s", code, log)
	}
	outputs, _ := os.ReadFile(r.OutputFile)
	parsed, _ := actiontest.ParseFileCommands(string(outputs))
	if parsed["previous-state"] == "" || parsed["state"] == "" {
		t.Errorf("outputs = %v\n%s", parsed, log)
	}
	summary, _ := os.ReadFile(r.SummaryFile)
	if !strings.Contains(string(summary), "| cancelled; the flag is at unknown (Flagsmith could not be read) |") {
		t.Errorf("summary:\n%s\nlog:\n%s", summary, log)
	}
}

// A step cancelled between a write and its answer (SIGTERM, the runner's second signal and docker
// stop's first) ends in the state before the run: the action reads Flagsmith back, undoes the
// write, says so in the summary and exits 3.
func TestFlagRollout_SIGTERMBetweenAWriteAndItsAnswer(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	first := r.Input("percentage", "10").Input("value", "blue").Run(t, context.Background(), Main)
	if first.Code != 0 {
		t.Fatalf("first step: exit %d\n%s", first.Code, first.Stdout)
	}
	before := f.State("prodKey", 103)

	r = actiontest.NewRunner(t)
	r.Input("api-url", f.URL).Input("api-key", f.Key).Input("project", "web").
		Input("environment", "Production").Input("feature", "new-checkout").Input("finalize", "true")
	applied := f.Hold(http.MethodPatch, "/api/__future__/environments/prodKey/features/103/")
	proc := startAsAction(t, r)
	select {
	case <-applied:
	case <-time.After(30 * time.Second):
		t.Fatalf("the default was never written:\n%s", proc.Log())
	}
	proc.Signal(t, syscall.SIGTERM)
	if code, ended := proc.Wait(actionkit.CancelWindow + 500*time.Millisecond); !ended || code != 3 {
		t.Errorf("exit %d (ended: %v), want 3 within the cancel window (%s)", code, ended, actionkit.CancelWindow)
	}
	log := proc.Log()
	if got := f.State("prodKey", 103); got.Default.Enabled || len(got.Overrides) != len(before.Overrides) || !got.Overrides[0].Enabled {
		t.Errorf("Flagsmith holds %+v, want %+v back\n%s", got, before, log)
	}
	summary, _ := os.ReadFile(r.SummaryFile)
	if !strings.Contains(string(summary), "| cancelled; restored to the state before the run (read back from Flagsmith) |") {
		t.Errorf("summary:\n%s\nlog:\n%s", summary, log)
	}
	outputs, _ := os.ReadFile(r.OutputFile)
	parsed, _ := actiontest.ParseFileCommands(string(outputs))
	if st, err := rollout.ParseState(parsed["state"]); err != nil || st.Describe() != `on for 10% (value "blue"), off for the rest` {
		t.Errorf("state output = %q, %v", parsed["state"], err)
	}
	if !strings.Contains(log, "::error::step finalize") || !strings.Contains(log, "terminated signal received; the flag was restored to its state before the run") {
		t.Errorf("log lacks the error annotation:\n%s", log)
	}
}

// The rollout segment is the environment's own; one that serves another environment is refused
// before any write (exit 2), naming it.
func TestFlagRollout_SegmentOfAnotherEnvironmentExits2(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	f.AddEnvironment(101, "Development", "devKey", false)
	dev := r.Input("environment", "Development").Input("segment-name", "checkout").Input("percentage", "50").Run(t, context.Background(), Main)
	if dev.Code != 0 {
		t.Fatalf("Development: exit %d\n%s", dev.Code, dev.Stdout)
	}
	n := len(f.Writes())
	prod := r.Input("environment", "Production").Input("percentage", "5").Run(t, context.Background(), Main)
	if prod.Code != 2 || !strings.Contains(prod.Stdout, `also serves`) || !strings.Contains(prod.Stdout, "Development") {
		t.Errorf("Production: exit %d\n%s", prod.Code, prod.Stdout)
	}
	if len(f.Writes()) != n {
		t.Errorf("wrote %+v", f.Writes()[n:])
	}
}

// A previous-state that names an override but no segment (it used to panic) is bad input, named.
func TestFlagRollout_InvalidPreviousStateExits2(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	prev := `{"project":101,"environment":"Production","environment_key":"prodKey","feature":"new-checkout","feature_id":103,` +
		`"default":{"enabled":false,"value":null},"segment":null,"override":{"priority":0,"enabled":true,"value":{"type":"integer","value":"x"}}}`
	res := r.Input("rollback", "true").Input("previous-state", prev).Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, `input "previous-state"`) || !strings.Contains(res.Stdout, "override without a segment") ||
		!strings.Contains(res.Stdout, `override.value: \"x\" is not an integer`) && !strings.Contains(res.Stdout, `override.value: "x" is not an integer`) {
		t.Errorf("exit %d\n%s", res.Code, res.Stdout)
	}
	if len(f.Requests()) != 0 {
		t.Errorf("asked Flagsmith %d times before the inputs were valid", len(f.Requests()))
	}
}

// The log says which endpoints a run used: __future__, or the stable ones on an older Flagsmith.
func TestFlagRollout_LogSaysWhichEndpoints(t *testing.T) {
	t.Parallel()
	for _, future := range []bool{true, false} {
		f, r := fakeFlagsmith(t)
		if !future {
			f.WithoutFuture()
		}
		res := r.Input("percentage", "5").Run(t, context.Background(), Main)
		want := map[bool]string{true: "feature states through the __future__ feature-state endpoint", false: "feature states through the stable endpoints"}[future]
		if res.Code != 0 || !strings.Contains(res.Stdout, want) {
			t.Errorf("future=%s: exit %d, log lacks %q:\n%s", strconv.FormatBool(future), res.Code, want, res.Stdout)
		}
	}
}

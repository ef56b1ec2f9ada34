package flagrollout

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
	"github.com/slipway-actions/slipway/internal/rollout"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

func fakeFlagsmith(t *testing.T) (*flagsmithtest.Fake, *actiontest.Runner) {
	t.Helper()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", false)
	f.AddFeature(p, "new-checkout", false)
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"] = sandboxtest.Dir(t)
	r.Input("api-url", f.URL).Input("api-key", f.Key).Input("project", "web").
		Input("environment", "Production").Input("feature", "new-checkout")
	return f, r
}

func TestFlagRollout_StepsReportStateAndSummary(t *testing.T) {
	t.Parallel()
	_, r := fakeFlagsmith(t)
	r.Input("steps", "10,50").Input("users", "alice").Input("gate-command", "echo checked $SLIPWAY_PERCENTAGE").
		Input("preview", "alice,bob")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	prev, err := rollout.ParseState(res.Outputs["previous-state"])
	if err != nil || prev.Override != nil {
		t.Fatalf("previous-state = %q, %v", res.Outputs["previous-state"], err)
	}
	after, err := rollout.ParseState(res.Outputs["state"])
	if err != nil || after.Describe() != "on for 50% and 1 named users, off for the rest" {
		t.Fatalf("state = %q, %v", res.Outputs["state"], err)
	}
	var preview []rollout.PreviewEntry
	if err := json.Unmarshal([]byte(res.Outputs["preview"]), &preview); err != nil || len(preview) != 2 || !preview[0].Inside {
		t.Errorf("preview = %q, %v", res.Outputs["preview"], err)
	}
	for _, want := range []string{"checked 10", "checked 50"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("log lacks the gate's output %q", want)
		}
	}
	for _, want := range []string{"flag-rollout: new-checkout in Production", "| off for everyone | on for 50% and 1 named users, off for the rest | done |", "| 50% | passed: gate-command exited 0 |", "| alice | yes | named in users |"} {
		if !strings.Contains(res.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.Summary)
		}
	}
}

func TestFlagRollout_FailingGateExits1AndRestores(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	r.Input("percentage", "20").Input("gate-command", "echo error rate too high; exit 3")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1; log:\n%s", res.Code, res.Stdout)
	}
	if len(f.Segments(101)) != 0 {
		t.Errorf("the rollout segment was left behind")
	}
	if !strings.Contains(res.Stdout, "gate-command exited 3; the flag was restored to its state before the run (read back from Flagsmith)") {
		t.Errorf("log lacks the reason:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Summary, "| failed; restored to the state before the run (read back from Flagsmith) |") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

// The gate's output and names from Flagsmith are untrusted: they cannot issue workflow commands.
func TestFlagRollout_GateOutputCannotIssueCommands(t *testing.T) {
	t.Parallel()
	_, r := fakeFlagsmith(t)
	r.Input("percentage", "5").Input("gate-command", `printf '::set-output name=state::pwned\n::add-mask::x\n##[error]fake\n'`)
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	masks := 0
	for _, c := range actiontest.Commands(res.Stdout) {
		switch c.Name {
		case "set-output", "error":
			t.Errorf("the gate's output issued %q:\n%s", c.Name, res.Stdout)
		case "add-mask":
			masks++
		}
	}
	if masks != 2 { // the key and its base64 form; not the gate's
		t.Errorf("%d add-mask commands, want 2:\n%s", masks, res.Stdout)
	}
	if strings.Contains(res.Outputs["state"], "pwned") {
		t.Errorf("state output = %q", res.Outputs["state"])
	}
}

func TestFlagRollout_UnknownFeatureIsBadInputAndWritesNothing(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	r.Input("feature", "new-chekout").Input("percentage", "5")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d, want 2; log:\n%s", res.Code, res.Stdout)
	}
	if !strings.Contains(res.Stdout, `feature \"new-chekout\" not found; close names: new-checkout`) && !strings.Contains(res.Stdout, `feature "new-chekout" not found; close names: new-checkout`) {
		t.Errorf("log:\n%s", res.Stdout)
	}
	if w := f.Writes(); len(w) != 0 {
		t.Errorf("wrote %+v", w)
	}
}

func TestFlagRollout_WrongKeyIsBadInputAndMasked(t *testing.T) {
	t.Parallel()
	_, r := fakeFlagsmith(t)
	r.Input("api-key", "ser.SecretButWrong0123").Input("percentage", "5")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 || !strings.Contains(res.Stdout, "401") {
		t.Fatalf("exit %d, want 2 with the 401; log:\n%s", res.Code, res.Stdout)
	}
	var log []string
	for _, l := range strings.Split(res.Stdout, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			log = append(log, l)
		}
	}
	if strings.Contains(strings.Join(log, "\n")+res.Summary, "SecretButWrong") {
		t.Errorf("the key reached the log or summary")
	}
}

func TestFlagRollout_DryRunWritesNothing(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	r.Input("steps", "1,10,100").Input("dry-run", "true")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 || len(f.Writes()) != 0 {
		t.Fatalf("exit %d, writes %+v; log:\n%s", res.Code, f.Writes(), res.Stdout)
	}
	if !strings.Contains(res.Stdout, "would create segment") || !strings.Contains(res.Summary, "(dry run)") {
		t.Errorf("log:\n%s\nsummary:\n%s", res.Stdout, res.Summary)
	}
}

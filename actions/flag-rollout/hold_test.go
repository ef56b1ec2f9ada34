package flagrollout

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
	"github.com/slipway-actions/slipway/internal/github/githubtest"
	"github.com/slipway-actions/slipway/internal/rollout"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// Each step is a status of one GitHub Deployment of the rollout's environment, then the end.
func TestFlagRollout_EachStepIsADeploymentStatus(t *testing.T) {
	t.Parallel()
	_, r := fakeFlagsmith(t)
	gh := githubtest.New(t)
	gh.Token = "ghs_rollouttoken987"
	r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"], r.Env["GITHUB_SHA"] = gh.URL, "acme/web", "abc"
	r.Input("steps", "5,25").Input("gate-command", "true").Input("github-token", "ghs_rollouttoken987")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	var got []string
	for _, d := range gh.Deployments() {
		for _, s := range d.Statuses {
			got = append(got, d.Environment+" "+s.State+" "+s.Description)
		}
	}
	want := []string{"Production in_progress flag-rollout of new-checkout",
		"Production in_progress step 5%: passed: gate-command exited 0",
		"Production in_progress step 25%: passed: gate-command exited 0",
		"Production success on for 25%, off for the rest"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("statuses:\n%q\nwant\n%q", got, want)
	}
	if strings.Count(res.Stdout, "ghs_rollouttoken987") != 1 { // only the add-mask command
		t.Errorf("the token reached the log:\n%s", res.Stdout)
	}
}

// A held step ends the job: its outputs carry the record and when the next run may go on, and
// the previous-state output is the state before the rollout.
func TestFlagRollout_HoldEndsTheJobWithTheRecordInItsOutputs(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	r.Env["GITHUB_RUN_ID"], r.Env["GITHUB_REPOSITORY"] = "4242", "acme/web"
	r.Input("steps", "5,25").Input("step-wait", "2h").Input("hold", "true").Input("gate-command", "true")
	start := time.Now()
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	if took := time.Since(start); took > time.Hour {
		t.Errorf("the run took %s", took)
	}
	var rec struct {
		Steps []int
		Step  int
	}
	if err := json.Unmarshal([]byte(res.Outputs["rollout"]), &rec); err != nil || rec.Step != 0 || len(rec.Steps) != 2 {
		t.Errorf("rollout = %q (%v)", res.Outputs["rollout"], err)
	}
	next, err := time.Parse(time.RFC3339, res.Outputs["next-step-at"])
	if err != nil || next.Before(start.Add(2*time.Hour-time.Minute)) {
		t.Errorf("next-step-at = %q, want two hours on", res.Outputs["next-step-at"])
	}
	if prev, err := rollout.ParseState(res.Outputs["previous-state"]); err != nil || prev.Segment != nil {
		t.Errorf("previous-state = %q, %v", res.Outputs["previous-state"], err)
	}
	segs := f.Segments(101)
	if len(segs) != 1 || !strings.Contains(segs[0].Description, `"step":0`) {
		t.Errorf("segments = %+v, want the rollout's with its record", segs)
	}
	if !strings.Contains(res.Summary, "Held rollout: step 5% is in place; its bake ends at") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

// Where production requires approvals, a held step ends the job with its change request's link
// in the change-request output and the summary; nothing of the step is applied yet.
func TestFlagRollout_AHeldStepEndsWithItsChangeRequest(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", true)
	id := f.AddFeature(p, "new-checkout", false)
	f.RequireChangeRequests("prodKey", 2)
	gh := githubtest.New(t)
	gh.Token = "ghs_rollouttoken987"
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"] = sandboxtest.Dir(t)
	r.Env["GITHUB_API_URL"], r.Env["GITHUB_REPOSITORY"], r.Env["GITHUB_SHA"] = gh.URL, "acme/web", "abc"
	r.Input("api-url", f.URL).Input("api-key", f.Key).Input("project", "web").Input("environment", "Production").
		Input("feature", "new-checkout").Input("steps", "5,25").Input("step-wait", "1h").Input("hold", "true").Input("approval-wait", "0s").
		Input("github-token", "ghs_rollouttoken987")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	ids := f.ChangeRequestIDs()
	link := res.Outputs["change-request"]
	if len(ids) != 1 || !strings.HasSuffix(link, "/project/101/environment/prodKey/change-requests/"+strconv.Itoa(ids[0])) {
		t.Fatalf("change-request = %q, change requests %v", link, ids)
	}
	if !strings.Contains(res.Summary, link) || !strings.Contains(res.Summary, "waits for the approval of change request") {
		t.Errorf("summary lacks the link:\n%s", res.Summary)
	}
	if st := f.State("prodKey", id); len(st.Overrides) != 0 {
		t.Errorf("state = %+v: applied before its approval", st)
	}
	// The Deployment says the step waits; no status claims it is in place.
	var got []string
	for _, d := range gh.Deployments() {
		for _, s := range d.Statuses {
			got = append(got, s.State+" "+s.Description)
		}
	}
	if len(got) != 2 || !strings.HasPrefix(got[1], "success step 5% waits for the approval of change request") {
		t.Errorf("statuses = %q", got)
	}
}

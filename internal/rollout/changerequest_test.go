package rollout

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/failure"
)

// review acts on a change request as a reviewer in the dashboard does, with a user's token.
func (w *world) review(t *testing.T, token, method string, id int, action string) {
	t.Helper()
	path := strings.TrimSuffix(w.fake.URL, "/api/v1/") + "/api/v1/features/workflows/change-requests/" + strconv.Itoa(id) + "/" + action
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
}

// onVersionedServers runs test where Flagsmith's change requests carry a whole change.
func onVersionedServers(t *testing.T, test func(t *testing.T, s server)) {
	onEveryServer(t, func(t *testing.T, s server) {
		if s.versioned {
			test(t, s)
		}
	})
}

// A held rollout where production requires approvals: each step is a change request that the run
// names and links and ends with; reviewers approve it; the next run commits it. A percentage step
// changes the segment's rules only once its change request is committed.
func TestChangeRequests_EachHeldStepIsApprovedThenCommitted(t *testing.T) {
	t.Parallel()
	onVersionedServers(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		w.fake.RequireChangeRequests(envKey, 1)
		reviewer, _ := w.fake.AddUser("rita")
		c := newClock()

		res, err := w.run(t, held(c, "run 1", Gate{}))
		if err != nil {
			t.Fatal(err)
		}
		ids := w.fake.ChangeRequestIDs()
		if len(ids) != 1 || len(res.ChangeRequests) != 1 || res.ChangeRequests[0].ID != ids[0] ||
			res.ChangeRequests[0].Title != "slipway flag-rollout: new-checkout in Production, step 5%" ||
			!strings.Contains(res.Waiting, "/change-requests/"+strconv.Itoa(ids[0])) {
			t.Fatalf("change requests %v, result %+v, waiting %q: want one for step 5%%, linked", ids, res.ChangeRequests, res.Waiting)
		}
		if st := w.state(); len(st.Overrides) != 0 {
			t.Errorf("state = %+v: the step was applied before its approval", st)
		}
		if rec := w.record(t); rec.ChangeRequest == nil || rec.ChangeRequest.ID != ids[0] || rec.Step != -1 || rec.Lease != nil {
			t.Errorf("record = %+v, want the change request of the first step", rec)
		}

		// Not approved yet: the next run makes no second change request and changes nothing.
		if res, err = w.run(t, held(c, "run 2", Gate{})); err != nil || !strings.Contains(res.Waiting, "waits for the approval") {
			t.Fatalf("run 2: %v, waiting %q", err, res.Waiting)
		}
		if got := w.fake.ChangeRequestIDs(); len(got) != 1 || len(w.state().Overrides) != 0 {
			t.Errorf("change requests %v, state %+v", got, w.state())
		}

		w.review(t, reviewer, http.MethodPost, ids[0], "approve/")
		if _, err = w.run(t, held(c, "run 3", Gate{})); err != nil {
			t.Fatal(err)
		}
		seg := w.segment(rolloutSegment)
		if o, ok := w.state().Override(seg.ID); !ok || !o.Enabled || ruleText(seg.Rules) != `ALL(ANY(PERCENTAGE_SPLIT "5"))` {
			t.Errorf("after the commit: state %+v, rules %s; want 5%% on", w.state(), ruleText(seg.Rules))
		}
		if rec := w.record(t); rec.Step != 0 || rec.ChangeRequest != nil || !rec.DueAt.Equal(c.Now().Add(30*time.Minute)) {
			t.Errorf("record = %+v, want step 5%% in place from its commit", rec)
		}

		// The bake passes; 25% goes through a change request too, and the rules wait for it.
		c.Advance(31 * time.Minute)
		if _, err = w.run(t, held(c, "run 4", Gate{})); err != nil {
			t.Fatal(err)
		}
		ids = w.fake.ChangeRequestIDs()
		if len(ids) != 2 || ruleText(w.segment(rolloutSegment).Rules) != `ALL(ANY(PERCENTAGE_SPLIT "5"))` {
			t.Fatalf("change requests %v, rules %s: want a second change request and the rules still at 5%%", ids, ruleText(w.segment(rolloutSegment).Rules))
		}
		w.review(t, reviewer, http.MethodPost, ids[1], "approve/")
		if _, err = w.run(t, held(c, "run 5", Gate{})); err != nil {
			t.Fatal(err)
		}
		if got := ruleText(w.segment(rolloutSegment).Rules); got != `ALL(ANY(PERCENTAGE_SPLIT "25"))` {
			t.Errorf("rules = %s, want 25%% once committed", got)
		}
	})
}

// A run that waits within approval-wait commits the change request as soon as it is approved.
func TestChangeRequests_ARunWaitsForTheApprovalWithinItsLimit(t *testing.T) {
	t.Parallel()
	onVersionedServers(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		w.fake.RequireChangeRequests(envKey, 1)
		reviewer, _ := w.fake.AddUser("rita")
		made := make(chan int, 1)
		done := make(chan error, 1)
		progress := func(format string, args ...any) { // the reviewer hears of the change request as the log says it
			if strings.Contains(format, "change request %d %q") {
				select {
				case made <- args[1].(int):
				default:
				}
			}
		}
		go func() {
			cfg := Config{Project: "web", Feature: "new-checkout", Environment: "Production", Percentage: pct(10),
				ApprovalWait: time.Minute, pollEvery: 10 * time.Millisecond}
			res, err := Run(context.Background(), w.client, cfg, progress)
			if err == nil && len(res.ChangeRequests) != 1 {
				t.Errorf("change requests = %+v", res.ChangeRequests)
			}
			done <- err
		}()
		select {
		case id := <-made:
			w.review(t, reviewer, http.MethodPost, id, "approve/")
		case err := <-done:
			t.Fatalf("the run ended before a change request: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if o, ok := w.state().Override(w.segment(rolloutSegment).ID); !ok || !o.Enabled {
			t.Errorf("state = %+v, want 10%% on after the commit", w.state())
		}
	})
}

// A change request the reviewers delete is a declined step: the run restores the state before it
// (the segment it made, which served nobody, goes) and fails.
func TestChangeRequests_ARejectedOneRestores(t *testing.T) {
	t.Parallel()
	onVersionedServers(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		w.fake.RequireChangeRequests(envKey, 1)
		reviewer, _ := w.fake.AddUser("rita")
		c := newClock()
		if _, err := w.run(t, held(c, "run 1", Gate{})); err != nil {
			t.Fatal(err)
		}
		ids := w.fake.ChangeRequestIDs()
		if len(ids) != 1 {
			t.Fatalf("change requests %v", ids)
		}
		w.review(t, reviewer, http.MethodDelete, ids[0], "")
		res, err := w.run(t, held(c, "run 2", Gate{}))
		var rej *RejectedError
		if !errors.As(err, &rej) || failure.Of(err) != failure.Checked || !res.RolledBack ||
			!strings.Contains(err.Error(), "was deleted without being committed: the reviewers declined step 5%") {
			t.Fatalf("err = %v (rolled back %v), want the declined step, restored", err, res.RolledBack)
		}
		if segs := w.fake.Segments(w.project); len(segs) != 0 {
			t.Errorf("segments = %+v, want none", segs)
		}
		if st := w.state(); len(st.Overrides) != 0 || st.Default.Enabled {
			t.Errorf("state = %+v, want the state before the rollout", st)
		}
	})
}

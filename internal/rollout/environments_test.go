package rollout

import (
	"strings"
	"testing"
)

// The story of the issue: Development at 50%, then Production at 5% and a Production rollback.
// Each environment has its own segment, so Development still serves 50%.
func TestRun_ProductionRollbackLeavesDevelopmentAlone(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		if _, err := w.run(t, Config{Environment: "Development", Percentage: pct(50)}); err != nil {
			t.Fatal(err)
		}
		prod, err := w.run(t, Config{Environment: "Production", Percentage: pct(5)})
		if err != nil {
			t.Fatal(err)
		}
		prev, err := ParseState(prod.Before.JSON())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.run(t, Config{Environment: "Production", Rollback: true, PreviousState: prev}); err != nil {
			t.Fatal(err)
		}
		dev := w.segment(SegmentName("new-checkout", "Development"))
		if dev == nil || ruleText(dev.Rules) != `ALL(ANY(PERCENTAGE_SPLIT "50"))` {
			t.Fatalf("Development's segment = %+v, want it at 50%%", dev)
		}
		if o, ok := w.fake.State(devKey, w.feature).Override(dev.ID); !ok || !o.Enabled {
			t.Errorf("Development = %+v, want its override on", w.fake.State(devKey, w.feature))
		}
		if st := w.state(); len(st.Overrides) != 0 || w.segment(rolloutSegment) != nil {
			t.Errorf("Production = %+v, segment %+v; want the rollout gone", st, w.segment(rolloutSegment))
		}
	})
}

// A segment that serves another environment is not changed, nor deleted: the run stops before
// its first write and names the environments.
func TestRun_SegmentOfAnotherEnvironmentIsRefused(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		if _, err := w.run(t, Config{Environment: "Development", SegmentName: "checkout-rollout", Percentage: pct(50)}); err != nil {
			t.Fatal(err)
		}
		n := len(w.fake.Writes())
		for _, cfg := range []Config{
			{SegmentName: "checkout-rollout", Percentage: pct(5)},
			{SegmentName: "checkout-rollout", Finalize: true},
			{SegmentName: "checkout-rollout", Rollback: true},
			{SegmentName: "checkout-rollout", Percentage: pct(5), DryRun: true},
		} {
			_, err := w.run(t, cfg)
			if !isInput(err) || !strings.Contains(err.Error(), `segment "checkout-rollout" also serves "new-checkout" in environment "Development"`) {
				t.Errorf("%+v: err = %v, want it refused naming Development", cfg, err)
			}
		}
		if got := writes(w.fake)[n:]; len(got) != 0 {
			t.Errorf("wrote %q", got)
		}
	})
}

// An environment that requires change requests but has no feature versioning v2 is refused before
// any write, naming the setting: Flagsmith's change requests there cannot create or remove an
// override. A preview there still works.
func TestRun_ChangeRequestsWithoutVersioningAreRefusedBeforeAnyWrite(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		if s.versioned {
			return // changerequest_test.go: each step goes through a change request
		}
		w := newWorld(t, s)
		w.fake.RequireChangeRequests(envKey, 1)
		for _, cfg := range []Config{{Percentage: pct(5)}, {Finalize: true}, {Users: []string{"a"}, DryRun: true}} {
			_, err := w.run(t, cfg)
			if !isInput(err) || !strings.Contains(err.Error(), `environment "Production" requires change requests (its minimum_change_request_approvals setting is 1) and has no feature versioning v2`) {
				t.Errorf("%+v: err = %v", cfg, err)
			}
		}
		if _, err := w.run(t, Config{Preview: []string{"alice"}}); err != nil {
			t.Errorf("preview: %v", err)
		}
		if got := writes(w.fake); len(got) != 0 {
			t.Errorf("wrote %q", got)
		}
	})
}

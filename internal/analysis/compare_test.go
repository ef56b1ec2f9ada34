package analysis_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// rollout10 is a step at 10% through segment 4711 of environment key "env-key".
var rollout10 = analysis.Target{EnvironmentKey: "env-key", SegmentID: 4711, Percentage: 10, Users: []string{"vip-1"}}

// traffic generates requests for 10,000 identities (50 each, a fixed seed): errors at base rate,
// at degraded for the identities degrade picks.
func traffic(n int, requests float64, base, degraded float64, degrade func(id string) bool) map[string]analysis.Traffic {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make(map[string]analysis.Traffic, n)
	for i := range n {
		id := "user-" + strconv.Itoa(i)
		rate := base
		if degrade(id) {
			rate = degraded
		}
		var errs float64
		for range int(requests) {
			if rng.Float64() < rate {
				errs++
			}
		}
		out[id] = analysis.Traffic{Numerator: errs, Denominator: requests}
	}
	out["vip-1"] = analysis.Traffic{Numerator: 0, Denominator: requests}
	return out
}

// The group is who Flagsmith serves the flag to: about 10% of 10,000 identities by its hash of the
// segment id and identity key, and the named user; another segment id picks other identities.
func TestCompare_TheGroupIsFlagsmithsPercentageSplit(t *testing.T) {
	t.Parallel()
	in := 0
	other := rollout10
	other.SegmentID = 4712
	differ := 0
	for i := range 10000 {
		id := "user-" + strconv.Itoa(i)
		g := rollout10.InGroup(id)
		if g != flagsmith.InPercentageSplit(4711, "env-key_"+id, 10) {
			t.Fatalf("%s: InGroup %v disagrees with the flag engine's hash", id, g)
		}
		if g {
			in++
		}
		if g != other.InGroup(id) {
			differ++
		}
	}
	if in < 900 || in > 1100 {
		t.Errorf("%d of 10,000 in a 10%% split", in)
	}
	if differ < 1000 {
		t.Errorf("segment 4712 changes the group of only %d identities; the segment id seeds the hash", differ)
	}
	if !rollout10.InGroup("vip-1") {
		t.Error("a named user is not in the group")
	}
}

// On 10,000 identities: only the flag-on group degrading fails; everyone degrading equally passes;
// under the minimum sample there is no verdict.
func TestCompare_GroupAgainstTheRest(t *testing.T) {
	t.Parallel()
	margin, _ := analysis.ParseMargin("0.01")
	// the flag engine's own rule, not the code under test: "<segment id>,<env key>_<identifier>" ≤ 10
	inGroup := func(id string) bool { return flagsmith.InPercentageSplit(4711, "env-key_"+id, 10) }
	everyone := func(string) bool { return true }
	for _, tc := range []struct {
		name      string
		traffic   map[string]analysis.Traffic
		minSample float64
		want      analysis.Phase
	}{
		{"only the group degrades", traffic(10000, 50, 0.01, 0.05, inGroup), 1000, analysis.Failed},
		{"both degrade equally", traffic(10000, 50, 0.05, 0.05, everyone), 1000, analysis.Successful},
		{"neither degrades", traffic(10000, 50, 0.01, 0.01, everyone), 1000, analysis.Successful},
		{"the group degrades, under the minimum sample", traffic(10000, 50, 0.01, 0.05, inGroup), 100000, analysis.Inconclusive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := analysis.Compare(rollout10, tc.traffic, margin, tc.minSample)
			if c.Phase != tc.want {
				t.Fatalf("phase %s, want %s: %+v", c.Phase, tc.want, c)
			}
			if c.GroupIDs < 900 || c.GroupIDs > 1100 || c.GroupIDs+c.RestIDs != 10001 {
				t.Errorf("group of %d identities, rest %d: want about 10%% of 10,001", c.GroupIDs, c.RestIDs)
			}
		})
	}
}

// A relative margin compares with the rest's rate times (1 + margin).
func TestCompare_RelativeMargin(t *testing.T) {
	t.Parallel()
	m, err := analysis.ParseMargin("20%")
	if err != nil {
		t.Fatal(err)
	}
	degrade := func(f float64) map[string]analysis.Traffic {
		tr := map[string]analysis.Traffic{}
		for i := range 2000 {
			id := "user-" + strconv.Itoa(i)
			num := 100.0 // latency sum of 100 requests at 1 s
			if rollout10.InGroup(id) {
				num *= f
			}
			tr[id] = analysis.Traffic{Numerator: num, Denominator: 100}
		}
		return tr
	}
	if c := analysis.Compare(rollout10, degrade(1.1), m, 100); c.Phase != analysis.Successful {
		t.Errorf("10%% slower with a 20%% margin: %s (%s)", c.Phase, c.Measurement().Detail)
	}
	if c := analysis.Compare(rollout10, degrade(1.3), m, 100); c.Phase != analysis.Failed {
		t.Errorf("30%% slower with a 20%% margin: %s (%s)", c.Phase, c.Measurement().Detail)
	}
}

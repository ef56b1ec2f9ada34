package flagsmith_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/slipway-actions/slipway/internal/flagsmith"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
)

// Every write of an existing feature state through the stable endpoints (a Flagsmith without
// `__future__`, as v2.265.0) is PATCH features/featurestates/{id}/, which Flagsmith's serializer
// answers 500 when the body lacks "environment"; the fake does the same (flagsmithtest's
// validStateWrite). Finalize writes the default, a value change and an override's state change
// write an override's feature state: each must reach the server and change the flag.
func TestWriteFeature_StableWritesNameTheirEnvironment(t *testing.T) {
	t.Parallel()
	blue := &flagsmith.Value{Type: flagsmith.TypeString, Value: "blue"}
	green := &flagsmith.Value{Type: flagsmith.TypeString, Value: "green"}
	for _, c := range []struct {
		name   string
		change func(seg int) flagsmith.FeatureChange
		want   func(seg int) flagsmith.FeatureState
	}{
		{"finalize: the default on, the override removed",
			func(seg int) flagsmith.FeatureChange {
				return flagsmith.FeatureChange{Default: &flagsmith.FlagValue{Enabled: true, Value: blue}, Remove: []int{seg}}
			},
			func(int) flagsmith.FeatureState {
				return flagsmith.FeatureState{Default: flagsmith.FlagValue{Enabled: true, Value: blue}}
			}},
		{"a value change of the override",
			func(seg int) flagsmith.FeatureChange {
				return flagsmith.FeatureChange{Set: []flagsmith.SegmentOverride{{SegmentID: seg, FlagValue: flagsmith.FlagValue{Enabled: true, Value: green}}}}
			},
			func(seg int) flagsmith.FeatureState {
				return flagsmith.FeatureState{Overrides: []flagsmith.SegmentOverride{{SegmentID: seg, FlagValue: flagsmith.FlagValue{Enabled: true, Value: green}}}}
			}},
		{"the override's state turned off",
			func(seg int) flagsmith.FeatureChange {
				return flagsmith.FeatureChange{Set: []flagsmith.SegmentOverride{{SegmentID: seg, FlagValue: flagsmith.FlagValue{Enabled: false}}}}
			},
			func(seg int) flagsmith.FeatureState {
				return flagsmith.FeatureState{Overrides: []flagsmith.SegmentOverride{{SegmentID: seg, FlagValue: flagsmith.FlagValue{Enabled: false, Value: blue}}}}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := flagsmithtest.New(t).WithoutFuture()
			p := f.AddProject("web")
			f.AddEnvironment(p, "Production", "prodKey", false)
			id := f.AddFeature(p, "x", false)
			seg := f.AddSegment(flagsmith.Segment{Name: "rollout", Project: p, Rules: percent("25")})
			f.SetState("prodKey", id, flagsmith.FeatureState{Overrides: []flagsmith.SegmentOverride{{SegmentID: seg, FlagValue: flagsmith.FlagValue{Enabled: true, Value: blue}}}})
			c2 := fast(t, f.URL, f.Key)
			ctx := context.Background()
			env, err := c2.Environment(ctx, p, "Production")
			if err != nil {
				t.Fatal(err)
			}
			if err := c2.WriteFeature(ctx, env, id, c.change(seg)); err != nil {
				t.Fatalf("WriteFeature: %v", err)
			}
			if got, want := f.State("prodKey", id), c.want(seg); !reflect.DeepEqual(got, want) {
				t.Errorf("state = %+v, want %+v", got, want)
			}
			patched := 0
			for _, r := range f.Requests() {
				if r.Status >= 500 {
					t.Errorf("%s %s answered %d", r.Method, r.Path, r.Status)
				}
				if r.Method == http.MethodPatch {
					patched++
				}
			}
			if patched != 1 {
				t.Errorf("%d PATCH requests, want the one feature state's", patched)
			}
		})
	}
}

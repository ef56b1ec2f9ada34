package rollout

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// converge changes the flag from cur to want, writing only what differs, and returns the state
// reached (on error: the state reached so far). With dry set it writes nothing and only lists
// the changes. Order matters: the segment exists before its override; the override goes before
// its segment. The feature-state changes are one write (see flagsmith.Client.WriteFeature).
func (r *runner) converge(ctx context.Context, cur, want State, dry bool) (State, error) {
	if r.env.RequiresChangeRequests() && !dry {
		step := r.stepName
		if step == "" {
			step = "restore"
		}
		return r.convergeApproved(ctx, cur, want, step)
	}
	if want.Segment != nil {
		var err error
		if cur, err = r.convergeSegment(ctx, cur, *want.Segment, dry); err != nil {
			return cur, err
		}
	}
	change, cur := r.featureChange(cur, want, dry)
	if !dry && !change.Empty() {
		r.wrote = true
		if err := r.client.WriteFeature(ctx, r.env, cur.FeatureID, change); err != nil {
			return cur, err
		}
	}
	if want.Segment == nil && cur.Segment != nil {
		r.say(dry, "delete segment %q", cur.Segment.Name)
		if !dry {
			r.wrote = true
			if err := r.client.DeleteSegment(ctx, cur.Project, cur.Segment.ID); err != nil {
				return cur, err
			}
		}
		cur.Segment = nil
	}
	return cur, nil
}

// say records a change of the run and reports it; in a dry run, as one that would be made.
func (r *runner) say(dry bool, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if dry {
		msg = "would " + msg
	}
	r.res.Changes = append(r.res.Changes, msg)
	r.progress("%s", msg)
}

// convergeSegment creates the segment seg in cur's project, or updates cur's to it where it
// differs, and returns cur with the segment Flagsmith answered (in a dry run, seg itself).
func (r *runner) convergeSegment(ctx context.Context, cur State, seg flagsmith.Segment, dry bool) (State, error) {
	seg.Project = cur.Project
	switch {
	case cur.Segment == nil:
		r.say(dry, "create segment %q (%s)", seg.Name, ruleText(seg.Rules))
		seg.ID = 0
		if !dry {
			r.wrote = true
			created, err := r.client.CreateSegment(ctx, seg)
			if err != nil {
				return cur, err
			}
			seg = created
		}
	case !sameSegment(*cur.Segment, seg):
		r.say(dry, "update segment %q: %s → %s", seg.Name, ruleText(cur.Segment.Rules), ruleText(seg.Rules))
		seg.ID = cur.Segment.ID
		if !dry {
			r.wrote = true
			updated, err := r.client.UpdateSegment(ctx, seg)
			if err != nil {
				return cur, err
			}
			seg = updated
		}
	default:
		return cur, nil
	}
	cur.Segment = &seg
	return cur, nil
}

// featureChange is the one write that takes the feature's states from cur to want (the segment's
// override set or removed, the environment default), and the state it reaches. It writes nothing.
func (r *runner) featureChange(cur, want State, dry bool) (flagsmith.FeatureChange, State) {
	var change flagsmith.FeatureChange
	if want.Override != nil {
		o := *want.Override
		if cur.Override != nil {
			o.Priority = cur.Override.Priority // a priority someone set in the dashboard stays
		}
		if cur.Override == nil || !sameFlag(cur.Override.Enabled, cur.Override.Value, o.Enabled, o.Value) {
			r.say(dry, "set the override of segment %q to %s", cur.Segment.Name, onOff(o.Enabled, o.Value))
			var was *flagsmith.Value
			if cur.Override != nil {
				was = cur.Override.Value
			}
			change.Set = []flagsmith.SegmentOverride{{SegmentID: cur.Segment.ID, Priority: o.Priority,
				FlagValue: flagsmith.FlagValue{Enabled: o.Enabled, Value: valueToWrite(o.Value, was)}}}
			cur.Override = &o
		}
	}
	if !sameFlag(cur.Default.Enabled, cur.Default.Value, want.Default.Enabled, want.Default.Value) {
		r.say(dry, "set the environment default to %s", onOff(want.Default.Enabled, want.Default.Value))
		d := want.Default
		change.Default = &flagsmith.FlagValue{Enabled: d.Enabled, Value: valueToWrite(d.Value, cur.Default.Value)}
		cur.Default = d
	}
	if want.Override == nil && cur.Override != nil {
		r.say(dry, "remove the override of segment %q", cur.Segment.Name)
		change.Remove = []int{cur.Segment.ID}
		cur.Override = nil
	}
	return change, cur
}

// valueToWrite is the value that makes a flag serve want where it serves was. A value left out
// of a write is kept, and Flagsmith's `__future__` API has no null value to send, so a value is
// taken away by writing an empty string, which flag-rollout reads as none.
func valueToWrite(want, was *flagsmith.Value) *flagsmith.Value {
	if want == nil && valueText(was) != "" {
		return &flagsmith.Value{Type: flagsmith.TypeString, Value: ""}
	}
	return want
}

func sameFlag(aOn bool, a *flagsmith.Value, bOn bool, b *flagsmith.Value) bool {
	return aOn == bOn && valueText(a) == valueText(b)
}

func valueText(v *flagsmith.Value) string {
	if v == nil || v.Value == "" {
		return ""
	}
	return v.Type + ":" + v.Value
}

func onOff(on bool, v *flagsmith.Value) string {
	s := "off"
	if on {
		s = "on"
	}
	return s + valueSuffix(v)
}

func sameSegment(a, b flagsmith.Segment) bool {
	return a.Name == b.Name && a.Description == b.Description && ruleText(a.Rules) == ruleText(b.Rules)
}

// ruleText is a canonical, readable form of segment rules: ALL(ANY(IN $.identity.identifier "a,b", PERCENTAGE_SPLIT 25)).
// Flagsmith answers with ids and empty lists where we send none; those do not count as changes.
func ruleText(rules []flagsmith.Rule) string {
	var parts []string
	for _, r := range rules {
		var in []string
		for _, c := range r.Conditions {
			s := c.Operator
			if c.Property != nil && *c.Property != "" {
				s += " " + *c.Property
			}
			in = append(in, s+" "+strconv.Quote(c.Value))
		}
		if sub := ruleText(r.Rules); sub != "" {
			in = append(in, sub)
		}
		parts = append(parts, r.Type+"("+strings.Join(in, ", ")+")")
	}
	return strings.Join(parts, ", ")
}

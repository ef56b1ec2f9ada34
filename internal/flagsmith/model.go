package flagsmith

import (
	"cmp"
	"slices"
)

// Project is a Flagsmith project.
type Project struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Organisation int    `json:"organisation"`
}

// Environment is one environment of a project. APIKey is its client-side key, which the
// `__future__` and create-segment-override endpoints are addressed by; ID addresses the others.
type Environment struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	APIKey    string `json:"api_key"`
	Project   int    `json:"project"`
	Versioned bool   `json:"use_v2_feature_versioning"`
	// ChangeRequestApprovals is set when the environment requires change requests: Flagsmith then
	// refuses direct flag changes there (409 from `__future__`).
	ChangeRequestApprovals *int `json:"minimum_change_request_approvals"`
}

// Feature is a flag of a project.
type Feature struct {
	ID             int    `json:"id"`
	Name           string `json:"name"`
	Type           string `json:"type,omitempty"`
	DefaultEnabled bool   `json:"default_enabled"`
}

// Segment is a project's segment with its rules, in the shape the segments endpoints read and write.
type Segment struct {
	ID          int    `json:"id,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Project     int    `json:"project"`
	Rules       []Rule `json:"rules"`
}

// Rule is a segment rule: ALL, ANY or NONE of its conditions and sub-rules.
type Rule struct {
	Type       string      `json:"type"`
	Rules      []Rule      `json:"rules"`
	Conditions []Condition `json:"conditions"`
}

// Condition is one segment condition. Property is null for PERCENTAGE_SPLIT.
type Condition struct {
	Operator string  `json:"operator"`
	Property *string `json:"property"`
	Value    string  `json:"value"`
}

// Rule types and condition operators used by rollouts.
const (
	RuleAll         = "ALL"
	RuleAny         = "ANY"
	RuleNone        = "NONE"
	OpPercentSplit  = "PERCENTAGE_SPLIT"
	OpIn            = "IN"
	IdentifierTrait = "$.identity.identifier" // the identity's identifier, not a trait
)

// Operators are the segment condition operators Flagsmith knows (ConditionOperatorEnum).
var Operators = []string{"EQUAL", "GREATER_THAN", "LESS_THAN", "CONTAINS", "GREATER_THAN_INCLUSIVE",
	"LESS_THAN_INCLUSIVE", "NOT_CONTAINS", "NOT_EQUAL", "REGEX", "PERCENTAGE_SPLIT", "MODULO", "IS_SET",
	"IS_NOT_SET", "IN"}

// Value types of a remote-config value, as the `__future__` API names them.
const (
	TypeString  = "string"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
)

// Value is a typed remote-config value; Value is always a string, as the `__future__` API sends it.
type Value struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// FlagValue is the enabled state and value of a flag in one place (default or override).
type FlagValue struct {
	Enabled bool   `json:"enabled"`
	Value   *Value `json:"value"`
}

// SegmentOverride is what the flag serves to the identities of one segment. Lower priority
// numbers win.
type SegmentOverride struct {
	SegmentID int
	Priority  int
	FlagValue
}

// FeatureState is what a flag serves in one environment: its default and its segment overrides,
// in priority order.
type FeatureState struct {
	Default   FlagValue
	Overrides []SegmentOverride
}

// Override returns the override of the segment, if there is one.
func (s FeatureState) Override(segmentID int) (SegmentOverride, bool) {
	for _, o := range s.Overrides {
		if o.SegmentID == segmentID {
			return o, true
		}
	}
	return SegmentOverride{}, false
}

// FeatureChange is one write of a flag in one environment: the default (nil: unchanged), the
// overrides to create or update (by segment), and the segments whose overrides to remove.
// A value left nil is not written: a new override then serves the default's value. The stable
// endpoints of an unversioned environment set an override's priority only when they create it.
type FeatureChange struct {
	Default *FlagValue
	Set     []SegmentOverride
	Remove  []int
}

// Empty reports whether the change writes nothing.
func (c FeatureChange) Empty() bool { return c.Default == nil && len(c.Set) == 0 && len(c.Remove) == 0 }

// apply returns the state after ch as the stable endpoints write it: a nil value keeps the value
// there is (a new override's is the default's), an existing override keeps its priority.
func (s FeatureState) apply(ch FeatureChange) FeatureState {
	out := FeatureState{Default: s.Default, Overrides: slices.Clone(s.Overrides)}
	if ch.Default != nil {
		out.Default = keepValue(*ch.Default, s.Default.Value)
	}
	for _, o := range ch.Set {
		i := slices.IndexFunc(out.Overrides, func(x SegmentOverride) bool { return x.SegmentID == o.SegmentID })
		if i < 0 {
			o.FlagValue = keepValue(o.FlagValue, out.Default.Value)
			out.Overrides = append(out.Overrides, o)
			continue
		}
		o.FlagValue = keepValue(o.FlagValue, out.Overrides[i].Value)
		o.Priority = out.Overrides[i].Priority // the stable endpoints keep an override's place
		out.Overrides[i] = o
	}
	out.Overrides = slices.DeleteFunc(out.Overrides, func(o SegmentOverride) bool { return slices.Contains(ch.Remove, o.SegmentID) })
	out.sortOverrides()
	return out
}

func keepValue(f FlagValue, cur *Value) FlagValue {
	if f.Value == nil {
		f.Value = cur
	}
	return f
}

// sortOverrides puts the overrides in the order Flagsmith evaluates them: priority, then segment.
func (s *FeatureState) sortOverrides() {
	slices.SortStableFunc(s.Overrides, func(a, b SegmentOverride) int {
		return cmp.Or(cmp.Compare(a.Priority, b.Priority), cmp.Compare(a.SegmentID, b.SegmentID))
	})
}

package flagsmith

// Project is a Flagsmith project.
type Project struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Organisation int    `json:"organisation"`
}

// Environment is one environment of a project; APIKey is its client-side key, which the
// feature-state endpoints are addressed by.
type Environment struct {
	ID        int    `json:"id"`
	Name      string `json:"name"`
	APIKey    string `json:"api_key"`
	Project   int    `json:"project"`
	Versioned bool   `json:"use_v2_feature_versioning"`
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
	OpPercentSplit  = "PERCENTAGE_SPLIT"
	OpIn            = "IN"
	IdentifierTrait = "$.identity.identifier" // the identity's identifier, not a trait
)

// Value is a typed remote-config value; Value is always a string, as the API sends it.
type Value struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// FlagValue is the enabled state and value of a flag in one place (default or override).
type FlagValue struct {
	Enabled bool   `json:"enabled"`
	Value   *Value `json:"value"`
}

// SegmentOverride is the flag's state for one segment. Lower priority numbers win.
type SegmentOverride struct {
	SegmentID   int    `json:"segment_id"`
	SegmentName string `json:"segment_name,omitempty"`
	Priority    int    `json:"priority"`
	Enabled     bool   `json:"enabled"`
	Value       *Value `json:"value"`
}

// FeatureState is a feature's state in one environment, as GET …/__future__/environments/{key}/features/{id}/ returns it.
type FeatureState struct {
	Feature            Feature           `json:"feature"`
	EnvironmentDefault FlagValue         `json:"environment_default"`
	SegmentOverrides   []SegmentOverride `json:"segment_overrides"`
}

// Override returns the override of the segment, if there is one.
func (s FeatureState) Override(segmentID int) (SegmentOverride, bool) {
	for _, o := range s.SegmentOverrides {
		if o.SegmentID == segmentID {
			return o, true
		}
	}
	return SegmentOverride{}, false
}

// FeatureStatePatch changes the default and/or upserts overrides (by segment id); overrides not
// listed are left as they are.
type FeatureStatePatch struct {
	EnvironmentDefault *FlagValue        `json:"environment_default,omitempty"`
	SegmentOverrides   []SegmentOverride `json:"segment_overrides,omitempty"`
}

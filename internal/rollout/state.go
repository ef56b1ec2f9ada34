package rollout

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// State is what a rollout owns of a feature in one environment: the environment default, the
// rollout segment and that segment's override. It is the previous-state output and what rollback
// restores. Other segments' overrides are never touched.
type State struct {
	Project        int                 `json:"project"`
	Environment    string              `json:"environment"`
	EnvironmentKey string              `json:"environment_key"`
	Feature        string              `json:"feature"`
	FeatureID      int                 `json:"feature_id"`
	Default        flagsmith.FlagValue `json:"default"`
	Segment        *flagsmith.Segment  `json:"segment"`  // nil: no rollout segment
	Override       *Override           `json:"override"` // nil: the segment has no override
}

// Override is what the rollout segment's override serves, and where it stands among the
// feature's overrides (lower priorities win).
type Override struct {
	Priority int              `json:"priority"`
	Enabled  bool             `json:"enabled"`
	Value    *flagsmith.Value `json:"value"`
}

// ParseState reads a previous-state output and checks all of it, listing every problem: it is
// what a rollback writes to Flagsmith.
func ParseState(s string) (*State, error) {
	var st State
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("not a previous-state output of flag-rollout: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a previous-state output of flag-rollout: more than one JSON value")
	}
	if err := st.validate(); err != nil {
		return nil, fmt.Errorf("not a previous-state output of flag-rollout: %w", err)
	}
	return &st, nil
}

// validate lists what makes the state one flag-rollout cannot have recorded or restore.
func (s State) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case s.Project <= 0:
		bad("project is missing")
	case s.Segment != nil && s.Segment.Project != 0 && s.Segment.Project != s.Project:
		bad("segment.project %d is not project %d", s.Segment.Project, s.Project)
	}
	if s.FeatureID <= 0 || s.Feature == "" {
		bad("feature and feature_id are missing")
	}
	if s.EnvironmentKey == "" || s.Environment == "" {
		bad("environment and environment_key are missing")
	}
	if err := validValue(s.Default.Value); err != nil {
		bad("default.value: %v", err)
	}
	if s.Segment != nil {
		if strings.TrimSpace(s.Segment.Name) == "" {
			bad("segment.name is missing")
		}
		if len(s.Segment.Rules) == 0 {
			bad("segment.rules is empty")
		}
		for _, err := range validRules(s.Segment.Rules) {
			bad("segment.rules: %v", err)
		}
	}
	if o := s.Override; o != nil {
		if s.Segment == nil {
			bad("override without a segment: an override belongs to the rollout segment")
		}
		if o.Priority < 0 {
			bad("override.priority %d is negative", o.Priority)
		}
		if err := validValue(o.Value); err != nil {
			bad("override.value: %v", err)
		}
	}
	return errors.Join(errs...)
}

// validValue checks a remote-config value as Flagsmith would take it.
func validValue(v *flagsmith.Value) error {
	if v == nil {
		return nil
	}
	switch v.Type {
	case flagsmith.TypeString:
	case flagsmith.TypeInteger:
		if _, err := strconv.ParseInt(v.Value, 10, 32); err != nil {
			return fmt.Errorf("%q is not an integer", v.Value)
		}
	case flagsmith.TypeBoolean:
		if v.Value != "true" && v.Value != "false" {
			return fmt.Errorf("%q is not true or false", v.Value)
		}
	default:
		return fmt.Errorf("type %q is not string, integer or boolean", v.Type)
	}
	return nil
}

// validRules checks segment rules as Flagsmith's serializer would.
func validRules(rules []flagsmith.Rule) []error {
	var errs []error
	for _, r := range rules {
		if !slices.Contains([]string{flagsmith.RuleAll, flagsmith.RuleAny, flagsmith.RuleNone}, r.Type) {
			errs = append(errs, fmt.Errorf("rule type %q is not ALL, ANY or NONE", r.Type))
		}
		for _, c := range r.Conditions {
			if !slices.Contains(flagsmith.Operators, c.Operator) {
				errs = append(errs, fmt.Errorf("operator %q is not one of Flagsmith's", c.Operator))
			}
			if c.Operator == flagsmith.OpPercentSplit {
				if v, err := strconv.ParseFloat(c.Value, 64); err != nil || v < 0 || v > 100 {
					errs = append(errs, fmt.Errorf("percentage %q is not a number from 0 to 100", c.Value))
				}
			}
		}
		errs = append(errs, validRules(r.Rules)...)
	}
	return errs
}

// JSON is the state as the previous-state and state outputs carry it.
func (s State) JSON() string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Percentage is the PERCENTAGE_SPLIT of the rollout segment, or -1 without one.
func (s State) Percentage() float64 {
	if s.Segment == nil {
		return -1
	}
	for _, c := range conditions(s.Segment.Rules) {
		if c.Operator == flagsmith.OpPercentSplit {
			v, err := strconv.ParseFloat(c.Value, 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// Users are the identifiers the rollout segment names.
func (s State) Users() []string {
	if s.Segment == nil {
		return nil
	}
	for _, c := range conditions(s.Segment.Rules) {
		if c.Operator == flagsmith.OpIn && c.Property != nil && *c.Property == flagsmith.IdentifierTrait {
			return splitUsers(c.Value)
		}
	}
	return nil
}

func splitUsers(v string) []string {
	var out []string
	for _, u := range strings.Split(v, ",") {
		if u = strings.TrimSpace(u); u != "" && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

func conditions(rules []flagsmith.Rule) []flagsmith.Condition {
	var out []flagsmith.Condition
	for _, r := range rules {
		out = append(out, r.Conditions...)
		out = append(out, conditions(r.Rules)...)
	}
	return out
}

// Describe says in a few words who gets the feature: "off", "on for everyone", "on for 25% and 2
// users".
func (s State) Describe() string {
	def := "off"
	if s.Default.Enabled {
		def = "on"
	}
	if s.Override == nil {
		return def + " for everyone" + valueSuffix(s.Default.Value)
	}
	var who []string
	if p := s.Percentage(); p >= 0 {
		who = append(who, strconv.FormatFloat(p, 'f', -1, 64)+"%")
	}
	if u := s.Users(); len(u) > 0 {
		who = append(who, fmt.Sprintf("%d named users", len(u)))
	}
	if len(who) == 0 && s.Segment != nil {
		who = append(who, "segment "+strconv.Quote(s.Segment.Name))
	}
	if len(who) == 0 {
		who = append(who, "an unnamed segment")
	}
	state := "off"
	if s.Override.Enabled {
		state = "on"
	}
	return fmt.Sprintf("%s for %s%s, %s for the rest%s", state, strings.Join(who, " and "), valueSuffix(s.Override.Value), def, valueSuffix(s.Default.Value))
}

func valueSuffix(v *flagsmith.Value) string {
	if v == nil || v.Value == "" {
		return ""
	}
	return " (value " + strconv.Quote(v.Value) + ")"
}

// segmentRules are the rules of a rollout segment: ALL of (ANY of: the named users, the percentage).
func segmentRules(users []string, percentage *int) []flagsmith.Rule {
	conds := []flagsmith.Condition{}
	if len(users) > 0 {
		prop := flagsmith.IdentifierTrait
		conds = append(conds, flagsmith.Condition{Operator: flagsmith.OpIn, Property: &prop, Value: strings.Join(users, ",")})
	}
	if percentage != nil {
		conds = append(conds, flagsmith.Condition{Operator: flagsmith.OpPercentSplit, Value: strconv.Itoa(*percentage)})
	}
	return []flagsmith.Rule{{Type: flagsmith.RuleAll, Rules: []flagsmith.Rule{{Type: flagsmith.RuleAny, Rules: []flagsmith.Rule{}, Conditions: conds}}, Conditions: []flagsmith.Condition{}}}
}

// ParseValue types a remote-config value the way Flagsmith's dashboard does: whole numbers are
// integers, true/false booleans, anything else a string.
func ParseValue(s string) *flagsmith.Value {
	if s == "" {
		return nil
	}
	if _, err := strconv.Atoi(s); err == nil {
		return &flagsmith.Value{Type: "integer", Value: s}
	}
	if s == "true" || s == "false" {
		return &flagsmith.Value{Type: "boolean", Value: s}
	}
	return &flagsmith.Value{Type: "string", Value: s}
}

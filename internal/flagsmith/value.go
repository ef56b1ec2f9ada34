package flagsmith

import (
	"fmt"
	"strconv"
)

// stableValue is the stable endpoints' FeatureStateValue: a type (int, unicode, bool) and one
// typed field set.
type stableValue struct {
	Type         *string `json:"type"`
	StringValue  *string `json:"string_value"`
	IntegerValue *int64  `json:"integer_value"`
	BooleanValue *bool   `json:"boolean_value"`
}

// Stable value types (Type975Enum).
const (
	stableInt     = "int"
	stableUnicode = "unicode"
	stableBool    = "bool"
)

// toStable writes a value in the stable shape; nil is a string flag without a value, as Flagsmith
// stores a flag that has none.
func toStable(v *Value) (stableValue, error) {
	t := func(s string) *string { return &s }
	switch {
	case v == nil:
		return stableValue{Type: t(stableUnicode)}, nil
	case v.Type == TypeString:
		return stableValue{Type: t(stableUnicode), StringValue: &v.Value}, nil
	case v.Type == TypeInteger:
		n, err := strconv.ParseInt(v.Value, 10, 32)
		if err != nil {
			return stableValue{}, fmt.Errorf("value %q is not a 32-bit integer", v.Value)
		}
		return stableValue{Type: t(stableInt), IntegerValue: &n}, nil
	case v.Type == TypeBoolean:
		b, err := strconv.ParseBool(v.Value)
		if err != nil {
			return stableValue{}, fmt.Errorf("value %q is not a boolean", v.Value)
		}
		return stableValue{Type: t(stableBool), BooleanValue: &b}, nil
	}
	return stableValue{}, fmt.Errorf("value type %q is not one of string, integer, boolean", v.Type)
}

// fromStable reads a stable value the way the `__future__` API renders it: nil when the flag has none.
func fromStable(s stableValue) *Value {
	typ := ""
	if s.Type != nil {
		typ = *s.Type
	}
	switch {
	case typ == stableInt && s.IntegerValue != nil:
		return &Value{Type: TypeInteger, Value: strconv.FormatInt(*s.IntegerValue, 10)}
	case typ == stableBool && s.BooleanValue != nil:
		return &Value{Type: TypeBoolean, Value: strconv.FormatBool(*s.BooleanValue)}
	case s.StringValue != nil:
		return &Value{Type: TypeString, Value: *s.StringValue}
	}
	return nil
}

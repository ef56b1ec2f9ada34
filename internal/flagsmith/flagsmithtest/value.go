package flagsmithtest

import (
	"strconv"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// featureStateValue is the stable endpoints' FeatureStateValue: a type of int, unicode or bool and
// the field of that type; a flag without a value is unicode with a null string.
type featureStateValue struct {
	Type         string  `json:"type"`
	StringValue  *string `json:"string_value"`
	IntegerValue *int64  `json:"integer_value"`
	BooleanValue *bool   `json:"boolean_value"`
}

func stableValue(v *flagsmith.Value) featureStateValue {
	out := featureStateValue{Type: "unicode"}
	switch {
	case v == nil:
	case v.Type == "integer":
		n, _ := strconv.ParseInt(v.Value, 10, 64)
		out.Type, out.IntegerValue = "int", &n
	case v.Type == "boolean":
		b := v.Value == "true"
		out.Type, out.BooleanValue = "bool", &b
	default:
		s := v.Value
		out.StringValue = &s
	}
	return out
}

// typedValue is the value as the `__future__` API renders it (features/future/mappers.py): nil
// when the stored value is null.
func typedValue(v featureStateValue) *flagsmith.Value {
	switch {
	case v.Type == "int" && v.IntegerValue != nil:
		return &flagsmith.Value{Type: "integer", Value: strconv.FormatInt(*v.IntegerValue, 10)}
	case v.Type == "bool" && v.BooleanValue != nil:
		return &flagsmith.Value{Type: "boolean", Value: strconv.FormatBool(*v.BooleanValue)}
	case v.StringValue != nil:
		return &flagsmith.Value{Type: "string", Value: *v.StringValue}
	}
	return nil
}

// valueError says why Flagsmith would refuse a typed value (FeatureStateValue.set_value), or "".
func valueError(v *flagsmith.Value) string {
	if v == nil {
		return ""
	}
	switch v.Type {
	case "integer":
		if _, err := strconv.ParseInt(v.Value, 10, 32); err != nil {
			return "'" + v.Value + "' is not a valid integer."
		}
	case "boolean":
		if v.Value != "true" && v.Value != "false" {
			return "'" + v.Value + "' is not a valid boolean."
		}
	}
	return ""
}

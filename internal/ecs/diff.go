package ecs

import (
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/pmezard/go-difflib/difflib"
)

// What a diff shows for an environment value it does not print.
const (
	redactedValue = "(value not shown)"
	changedValue  = "(value not shown; changed)"
)

// Diff is a unified diff of two task definitions as indented JSON; "" when they are the same.
// Environment values are printed only with showValues. Otherwise each reads "(value not shown)", or
// "(value not shown; changed)" where it differs from the value in from, so the diff says which
// variables change without printing any of them. Secrets are references (valueFrom) and shown as
// they are.
func Diff(from, to *ecs.RegisterTaskDefinitionInput, fromName, toName string, showValues bool) string {
	if !showValues {
		from, to = hideValues(from, to)
	}
	a, b := canonical(from), canonical(to)
	if a == b {
		return ""
	}
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(a), B: difflib.SplitLines(b), FromFile: fromName, ToFile: toName, Context: 3,
	})
	if err != nil {
		return err.Error()
	}
	return d
}

// hideValues returns copies of from and to with every environment value replaced, and marked
// changed in to where it differs from from's.
func hideValues(from, to *ecs.RegisterTaskDefinitionInput) (*ecs.RegisterTaskDefinitionInput, *ecs.RegisterTaskDefinitionInput) {
	before := map[[2]string]string{} // container, variable → value
	if from != nil {
		from = clone(from)
		for _, c := range from.ContainerDefinitions {
			for i, kv := range c.Environment {
				before[[2]string{aws.ToString(c.Name), aws.ToString(kv.Name)}] = aws.ToString(kv.Value)
				c.Environment[i].Value = aws.String(redactedValue)
			}
		}
	}
	if to != nil {
		to = clone(to)
		for _, c := range to.ContainerDefinitions {
			for i, kv := range c.Environment {
				mark := redactedValue
				if v, ok := before[[2]string{aws.ToString(c.Name), aws.ToString(kv.Name)}]; ok && v != aws.ToString(kv.Value) {
					mark = changedValue
				}
				c.Environment[i].Value = aws.String(mark)
			}
		}
	}
	return from, to
}

// canonical is indented JSON without empty values, so a registered definition and a file that
// differ only in defaults ECS fills in do not show as changes.
func canonical(td *ecs.RegisterTaskDefinitionInput) string {
	if td == nil {
		return ""
	}
	b, _ := json.Marshal(td)
	var v any
	_ = json.Unmarshal(b, &v)
	v = prune(v)
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out) + "\n"
}

func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			e = prune(e)
			if isEmpty(e) {
				delete(v, k)
			} else {
				v[k] = e
			}
		}
		return v
	case []any:
		for i := range v {
			v[i] = prune(v[i])
		}
		return v
	}
	return v
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case float64:
		return v == 0
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

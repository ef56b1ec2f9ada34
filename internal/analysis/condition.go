package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Condition is one comparison of a measured value with a threshold: `result < 0.05`. Argo Rollouts
// evaluates expr-lang expressions; slipway takes the one form its examples use, so a typo is an
// input error and not a condition that is never true.
type Condition struct {
	Op        string
	Threshold float64
}

var ops = []string{"<=", ">=", "==", "!=", "<", ">"}

// ParseCondition reads `result <op> <number>`.
func ParseCondition(s string) (*Condition, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "result")
	if !ok {
		return nil, fmt.Errorf("%q does not start with result (e.g. result < 0.05)", s)
	}
	rest = strings.TrimSpace(rest)
	for _, op := range ops {
		if num, ok := strings.CutPrefix(rest, op); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || math.IsNaN(v) {
				return nil, fmt.Errorf("%q: %q is not a number", s, strings.TrimSpace(num))
			}
			return &Condition{Op: op, Threshold: v}, nil
		}
	}
	return nil, fmt.Errorf("%q has no comparison (<, <=, >, >=, ==, !=)", s)
}

// Holds reports whether v satisfies the condition.
func (c Condition) Holds(v float64) bool {
	switch c.Op {
	case "<":
		return v < c.Threshold
	case "<=":
		return v <= c.Threshold
	case ">":
		return v > c.Threshold
	case ">=":
		return v >= c.Threshold
	case "==":
		return v == c.Threshold
	}
	return v != c.Threshold
}

func (c Condition) String() string {
	return "result " + c.Op + " " + strconv.FormatFloat(c.Threshold, 'g', -1, 64)
}

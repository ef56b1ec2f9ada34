package analysis

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Traffic is one identity's share of a metric split by identity: for an error rate, errors over
// requests; for latency, the sum of durations over their count.
type Traffic struct {
	Numerator, Denominator float64
}

// Margin is how much worse the rollout group may be than the rest: an absolute difference of the
// rates (0.01), or relative to the rest's (10%).
type Margin struct {
	Value    float64
	Relative bool
}

// ParseMargin reads "0.01" or "10%".
func ParseMargin(s string) (Margin, error) {
	s = strings.TrimSpace(s)
	num, rel := strings.CutSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return Margin{}, fmt.Errorf("%q is not a margin (e.g. 0.01, or 10%%)", s)
	}
	if rel {
		v /= 100
	}
	return Margin{Value: v, Relative: rel}, nil
}

func (m Margin) String() string {
	if m.Relative {
		return "rest × " + strconv.FormatFloat(1+m.Value, 'g', -1, 64)
	}
	return "rest + " + strconv.FormatFloat(m.Value, 'g', -1, 64)
}

// limit is the highest rate the group may have.
func (m Margin) limit(rest float64) float64 {
	if m.Relative {
		return rest * (1 + m.Value)
	}
	return rest + m.Value
}

// Comparison is the rollout group against everyone else on one rate.
type Comparison struct {
	Group, Rest       float64 // the rates
	GroupN, RestN     float64 // their denominators: requests, or measured durations
	GroupIDs, RestIDs int     // identities seen on each side
	Limit             float64
	Phase             Phase
	Margin            Margin
	MinSample         float64
}

// Compare splits traffic by identity into the flag-on group (t.InGroup) and the rest, and compares
// their rates: inconclusive while either side's denominator is under minSample, failed when the
// group's rate is over the rest's by more than the margin (higher is worse: errors, latency).
func Compare(t Target, traffic map[string]Traffic, margin Margin, minSample float64) Comparison {
	var g, r Traffic
	c := Comparison{Margin: margin, MinSample: minSample}
	for id, tr := range traffic {
		if t.InGroup(id) {
			g.Numerator, g.Denominator = g.Numerator+tr.Numerator, g.Denominator+tr.Denominator
			c.GroupIDs++
		} else {
			r.Numerator, r.Denominator = r.Numerator+tr.Numerator, r.Denominator+tr.Denominator
			c.RestIDs++
		}
	}
	c.GroupN, c.RestN = g.Denominator, r.Denominator
	if g.Denominator > 0 {
		c.Group = g.Numerator / g.Denominator
	}
	if r.Denominator > 0 {
		c.Rest = r.Numerator / r.Denominator
	}
	c.Limit = margin.limit(c.Rest)
	switch {
	case g.Denominator < max(minSample, math.SmallestNonzeroFloat64) || r.Denominator < max(minSample, math.SmallestNonzeroFloat64):
		c.Phase = Inconclusive
	case c.Group > c.Limit:
		c.Phase = Failed
	default:
		c.Phase = Successful
	}
	return c
}

// Measurement is the comparison as one sample.
func (c Comparison) Measurement() Measurement {
	m := Measurement{
		Phase:     c.Phase,
		Value:     fmt.Sprintf("group %s (n=%s, %d ids), rest %s (n=%s, %d ids)", formatValue(c.Group), formatValue(c.GroupN), c.GroupIDs, formatValue(c.Rest), formatValue(c.RestN), c.RestIDs),
		Threshold: fmt.Sprintf("group ≤ %s = %s; n ≥ %s each", c.Margin, formatValue(c.Limit), formatValue(c.MinSample)),
	}
	switch c.Phase {
	case Inconclusive:
		m.Detail = fmt.Sprintf("too little traffic for a verdict: group n=%s, rest n=%s, minimum %s", formatValue(c.GroupN), formatValue(c.RestN), formatValue(c.MinSample))
	case Failed:
		m.Detail = fmt.Sprintf("the rollout group's rate %s is worse than the rest's %s by more than the margin (limit %s)", formatValue(c.Group), formatValue(c.Rest), formatValue(c.Limit))
	default:
		m.Detail = fmt.Sprintf("the rollout group's rate %s is within the margin of the rest's %s (limit %s)", formatValue(c.Group), formatValue(c.Rest), formatValue(c.Limit))
	}
	return m
}

// PrometheusCompare is a comparison fed by two PromQL queries that keep the label carrying the
// Flagsmith identifier: e.g. sum by (user) (increase(http_requests_total{code=~"5.."}[5m])) over
// sum by (user) (increase(http_requests_total[5m])).
type PrometheusCompare struct {
	Address                string
	Numerator, Denominator string
	Label                  string
	Margin                 Margin
	MinSample              float64
	Client                 *http.Client
}

// Measure runs both queries and compares the group with the rest.
func (p PrometheusCompare) Measure(ctx context.Context, t Target) Measurement {
	traffic := map[string]Traffic{}
	for _, q := range []struct {
		query string
		num   bool
	}{{p.Numerator, true}, {p.Denominator, false}} {
		series, err := query(ctx, p.Client, p.Address, q.query)
		if err != nil {
			return Measurement{Phase: Error, Value: "—", Detail: err.Error()}
		}
		for _, s := range series {
			id, ok := s.Labels[p.Label]
			if !ok {
				return Measurement{Phase: Error, Value: "—", Detail: fmt.Sprintf("a series of %q has no label %q: keep it with sum by (%s)", q.query, p.Label, p.Label)}
			}
			if math.IsNaN(s.Value) {
				continue
			}
			tr := traffic[id]
			if q.num {
				tr.Numerator += s.Value
			} else {
				tr.Denominator += s.Value
			}
			traffic[id] = tr
		}
	}
	return Compare(t, traffic, p.Margin, p.MinSample).Measurement()
}

package analysis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/analysis"
)

func TestParse_ReadsEachProviderWithArgosDefaults(t *testing.T) {
	t.Parallel()
	specs, errs := analysis.Parse(`
- name: error-rate
  interval: 1m
  prometheus:
    address: http://prometheus:9090
    query: sum(rate(errors[1m])) / sum(rate(requests[1m]))
  success: result < 0.05
- name: api-alarm
  interval: 30s
  count: 4
  failure-limit: 1
  cloudwatch:
    alarm: api-5xx
    region: eu-west-1
- name: p99
  cloudwatch:
    period: 2m
    queries:
      - id: e1
        expression: m1 * 1000
      - id: m1
        namespace: AWS/ApplicationELB
        metric: TargetResponseTime
        dimensions: {LoadBalancer: app/web/1}
        stat: p99
  failure: result > 500
- name: group
  interval: 5m
  inconclusive-limit: -1
  compare:
    prometheus: http://prometheus:9090
    label: user
    numerator: sum by (user) (increase(errors[5m]))
    denominator: sum by (user) (increase(requests[5m]))
    margin: 10%
- name: group-cw
  compare:
    cloudwatch: {namespace: App, dimension: User, region: us-east-1}
    numerator: Errors
    denominator: Requests
    margin: 0.01
- name: health
  url: https://api.example.com/healthz
- name: smoke
  command: ./smoke.sh
`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(specs) != 7 {
		t.Fatalf("%d specs", len(specs))
	}
	e := specs[0]
	if e.Interval != time.Minute || e.FailureLimit != 0 || e.InconclusiveLimit != 0 || e.ConsecutiveErrorLimit != 4 || e.Success.String() != "result < 0.05" || e.Prometheus == nil {
		t.Errorf("error-rate = %+v", e)
	}
	if a := specs[1]; a.Count != 4 || a.FailureLimit != 1 || a.CloudWatch.Alarm != "api-5xx" || a.CloudWatch.Region != "eu-west-1" {
		t.Errorf("api-alarm = %+v", a)
	}
	if p := specs[2]; p.CloudWatch.Period != 2*time.Minute || p.CloudWatch.Window != 5*time.Minute || len(p.CloudWatch.Queries) != 2 || p.Failure.Threshold != 500 {
		t.Errorf("p99 = %+v", p)
	}
	if g := specs[3]; g.InconclusiveLimit != -1 || g.Compare.MinSample != 100 || !g.Compare.Margin.Relative || g.Compare.Margin.Value != 0.1 {
		t.Errorf("group = %+v", g.Compare)
	}
	if cw := specs[4].Compare.CloudWatch; cw == nil || cw.Dimension != "User" || cw.Window != 30*time.Minute || specs[4].Compare.Numerator != "Errors" {
		t.Errorf("group-cw = %+v", specs[4].Compare)
	}
	if got := analysis.Regions(specs); len(got) != 3 || got[0] != "eu-west-1" || got[1] != "" || got[2] != "us-east-1" {
		t.Errorf("regions = %q", got)
	}
}

// Every problem comes at once, each naming its metric.
func TestParse_ListsEveryProblem(t *testing.T) {
	t.Parallel()
	_, errs := analysis.Parse(`
- interval: soon
  prometheus: {address: "prometheus:9090"}
- name: twice
  count: 3
  url: https://x
  success: result < 1
- name: twice
  cloudwatch: {alarm: a, queries: [{id: M1}]}
  failure-limit: -2
- name: cmp
  compare: {prometheus: http://p:9090, margin: lots}
  success: value > 3
- name: cw
  compare: {cloudwatch: {namespace: App}, label: user, numerator: Errors, denominator: Requests, margin: 1%}
`)
	want := []string{
		`metric 1: name is missing`,
		`metric 1: interval "soon" is not a duration`,
		`metric 1: prometheus.address "prometheus:9090" is not an http(s) URL`,
		`metric 1: prometheus.query is missing`,
		`metric 1: prometheus needs a success or a failure condition`,
		`metric 2 (twice): count 3 needs an interval`,
		`metric 2 (twice): url decides by itself`,
		`metric 3 (twice): the name is used twice`,
		`metric 3 (twice): failure-limit -2 is not -1`,
		`metric 3 (twice): cloudwatch needs alarm or queries`,
		`metric 3 (twice): cloudwatch.queries[0].id "M1" must start with a lowercase letter`,
		`metric 3 (twice): cloudwatch.queries[0] needs expression, or namespace, metric and stat`,
		`metric 4 (cmp): success: "value > 3" does not start with result`,
		`metric 4 (cmp): compare.label is missing`,
		`metric 4 (cmp): compare.margin: "lots" is not a margin`,
		`metric 5 (cw): compare.label is Prometheus's`,
		`metric 5 (cw): compare.cloudwatch.dimension is missing`,
	}
	got := ""
	for _, e := range errs {
		got += e.Error() + "\n"
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	_, errs = analysis.Parse("- name: typo\n  promethus: {}\n")
	if len(errs) == 0 || errs[0].Error() != `metric 1 (typo): unknown field "promethus"` {
		t.Errorf("an unknown field: %v", errs)
	}
}

func TestCondition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cond string
		v    float64
		want bool
	}{{"result < 0.05", 0.04, true}, {"result < 0.05", 0.05, false}, {"result<=0.05", 0.05, true},
		{"result > 2", 3, true}, {"result >= 2", 1, false}, {"result == 1", 1, true}, {"result != 1", 1, false}} {
		c, err := analysis.ParseCondition(tc.cond)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Holds(tc.v); got != tc.want {
			t.Errorf("%s with %v = %v", tc.cond, tc.v, got)
		}
	}
	for _, bad := range []string{"", "result", "result < x", "x < 1", "result ~ 1", "result < NaN"} {
		if _, err := analysis.ParseCondition(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// A CloudWatch metric built without a client for its region errs at each sample; it does not panic.
func TestMetric_WithoutACloudWatchClientIsAnErrorSample(t *testing.T) {
	t.Parallel()
	specs, errs := analysis.Parse("- name: a\n  cloudwatch: {alarm: x, region: eu-west-1}\n")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, d := range []analysis.Deps{{}, {CloudWatch: func(string) analysis.CloudWatchAPI { return nil }}} {
		m := specs[0].Metric(d).Provider.Measure(t.Context(), analysis.Target{})
		if m.Phase != analysis.Error || !strings.Contains(m.Detail, `no CloudWatch client for region "eu-west-1"`) {
			t.Errorf("%+v", m)
		}
	}
}

package analysis

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Spec is one metric as the analysis input gives it: Argo Rollouts' metric fields (interval,
// count, the limits, success and failure conditions) with one provider.
type Spec struct {
	Name                  string
	Interval              time.Duration
	Count                 int
	FailureLimit          int
	InconclusiveLimit     int
	ConsecutiveErrorLimit int
	Success, Failure      *Condition

	Prometheus *PrometheusSpec
	CloudWatch *CloudWatchSpec
	Compare    *CompareSpec
	URL        string
	Command    string
}

// PrometheusSpec is a PromQL query.
type PrometheusSpec struct{ Address, Query string }

// CloudWatchSpec is an alarm, or GetMetricData queries.
type CloudWatchSpec struct {
	Region  string
	Alarm   string
	Queries []CloudWatchQuery
	Period  time.Duration
	Window  time.Duration
}

// CompareSpec is the rollout group against the rest, from Prometheus series split by a label or
// CloudWatch metrics split by a dimension.
type CompareSpec struct {
	Prometheus             string
	Label                  string
	CloudWatch             *CompareCloudWatch
	Numerator, Denominator string // PromQL queries, or CloudWatch metric names
	Margin                 Margin
	MinSample              float64
}

// CompareCloudWatch is where the comparison's CloudWatch metrics are.
type CompareCloudWatch struct {
	Region, Namespace, Dimension, Stat string
	Window                             time.Duration
}

// The input's YAML shape; every field a string or number so that each problem can be named.
type specYAML struct {
	Name                  string          `yaml:"name"`
	Interval              string          `yaml:"interval"`
	Count                 *int            `yaml:"count"`
	FailureLimit          *int            `yaml:"failure-limit"`
	InconclusiveLimit     *int            `yaml:"inconclusive-limit"`
	ConsecutiveErrorLimit *int            `yaml:"consecutive-error-limit"`
	Success               string          `yaml:"success"`
	Failure               string          `yaml:"failure"`
	Prometheus            *promYAML       `yaml:"prometheus"`
	CloudWatch            *cloudWatchYAML `yaml:"cloudwatch"`
	Compare               *compareYAML    `yaml:"compare"`
	URL                   string          `yaml:"url"`
	Command               string          `yaml:"command"`
}

type promYAML struct {
	Address string `yaml:"address"`
	Query   string `yaml:"query"`
}

type cloudWatchYAML struct {
	Region  string `yaml:"region"`
	Alarm   string `yaml:"alarm"`
	Period  string `yaml:"period"`
	Window  string `yaml:"window"`
	Queries []struct {
		ID         string            `yaml:"id"`
		Expression string            `yaml:"expression"`
		Namespace  string            `yaml:"namespace"`
		Metric     string            `yaml:"metric"`
		Dimensions map[string]string `yaml:"dimensions"`
		Stat       string            `yaml:"stat"`
	} `yaml:"queries"`
}

type compareYAML struct {
	Prometheus string `yaml:"prometheus"`
	Label      string `yaml:"label"`
	CloudWatch *struct {
		Region    string `yaml:"region"`
		Namespace string `yaml:"namespace"`
		Dimension string `yaml:"dimension"`
		Stat      string `yaml:"stat"`
		Window    string `yaml:"window"`
	} `yaml:"cloudwatch"`
	Numerator   string   `yaml:"numerator"`
	Denominator string   `yaml:"denominator"`
	Margin      string   `yaml:"margin"`
	MinSample   *float64 `yaml:"min-sample"`
}

// The defaults of Argo Rollouts' metric: no failure and no inconclusive result tolerated, four
// errors in a row.
const (
	defaultConsecutiveErrorLimit = 4
	defaultMinSample             = 100
)

// queryID is GetMetricData's rule for an Id: a lowercase letter, then letters, digits, underscores.
var queryID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

var (
	yamlLine     = regexp.MustCompile(`^line \d+: `)
	unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)
)

// Parse reads the analysis input: a YAML list of metrics. It returns every problem, each naming
// the metric.
func Parse(text string) ([]Spec, []error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var items []yaml.Node
	if err := yaml.Unmarshal([]byte(text), &items); err != nil {
		return nil, []error{fmt.Errorf("not a YAML list of metrics (- name: …): %v", err)}
	}
	var specs []Spec
	var errs []error
	seen := map[string]bool{}
	for i, item := range items {
		r, derr := decodeStrict(&item)
		s, problems := r.spec()
		if derr != nil {
			problems = append([]string{derr.Error()}, problems...)
		}
		where := fmt.Sprintf("metric %d", i+1)
		if r.Name != "" {
			where += " (" + r.Name + ")"
		}
		if r.Name != "" && seen[r.Name] {
			problems = append(problems, "the name is used twice")
		}
		seen[r.Name] = true
		for _, p := range problems {
			errs = append(errs, fmt.Errorf("%s: %s", where, p))
		}
		specs = append(specs, s)
	}
	return specs, errs
}

// decodeStrict decodes one metric, refusing fields it does not know (a typo would otherwise be a
// metric that silently checks less), and says what it refused.
func decodeStrict(n *yaml.Node) (specYAML, error) {
	var r specYAML
	b, err := yaml.Marshal(n)
	if err != nil {
		return r, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&r); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]string, len(te.Errors))
			for i, m := range te.Errors {
				// The line is of the metric alone, re-encoded: not the input's line.
				m = yamlLine.ReplaceAllString(m, "")
				msgs[i] = unknownField.ReplaceAllString(m, `unknown field "$1"`)
			}
			return r, errors.New(strings.Join(msgs, "; "))
		}
		return r, err
	}
	return r, nil
}

func (r specYAML) spec() (Spec, []string) {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	s := Spec{Name: r.Name, URL: r.URL, Command: r.Command, FailureLimit: 0, ConsecutiveErrorLimit: defaultConsecutiveErrorLimit}
	if r.Name == "" {
		add("name is missing")
	}
	r.schedule(&s, add)
	r.provider(&s, add)
	return s, bad
}

// schedule reads the metric's interval, count, limits and conditions.
func (r specYAML) schedule(s *Spec, add func(string, ...any)) {
	if r.Interval != "" {
		d, err := time.ParseDuration(r.Interval)
		if err != nil || d < time.Second {
			add("interval %q is not a duration of 1s or more (e.g. 1m)", r.Interval)
		}
		s.Interval = d
	}
	if r.Count != nil {
		s.Count = *r.Count
		switch {
		case s.Count < 1:
			add("count %d is not 1 or more", s.Count)
		case s.Count > 1 && r.Interval == "":
			add("count %d needs an interval between samples", s.Count)
		}
	}
	for _, l := range []struct {
		name string
		v    *int
		dst  *int
	}{{"failure-limit", r.FailureLimit, &s.FailureLimit}, {"inconclusive-limit", r.InconclusiveLimit, &s.InconclusiveLimit},
		{"consecutive-error-limit", r.ConsecutiveErrorLimit, &s.ConsecutiveErrorLimit}} {
		if l.v == nil {
			continue
		}
		if *l.v < -1 {
			add("%s %d is not -1 (no limit) or more", l.name, *l.v)
		}
		*l.dst = *l.v
	}
	var err error
	if r.Success != "" {
		if s.Success, err = ParseCondition(r.Success); err != nil {
			add("success: %v", err)
		}
	}
	if r.Failure != "" {
		if s.Failure, err = ParseCondition(r.Failure); err != nil {
			add("failure: %v", err)
		}
	}
}

// provider reads the metric's one provider, and whether it takes conditions.
func (r specYAML) provider(s *Spec, add func(string, ...any)) {
	providers := 0
	for _, given := range []bool{r.Prometheus != nil, r.CloudWatch != nil, r.Compare != nil, r.URL != "", strings.TrimSpace(r.Command) != ""} {
		if given {
			providers++
		}
	}
	if providers != 1 {
		add("give exactly one of prometheus, cloudwatch, compare, url, command (got %d)", providers)
	}
	conditions := r.Success != "" || r.Failure != ""
	wantConditions := func(what string) {
		if !conditions {
			add("%s needs a success or a failure condition (e.g. success: result < 0.05)", what)
		}
	}
	noConditions := func(what string) {
		if conditions {
			add("%s decides by itself; remove success and failure", what)
		}
	}
	switch {
	case r.Prometheus != nil:
		s.Prometheus = &PrometheusSpec{Address: r.Prometheus.Address, Query: r.Prometheus.Query}
		checkAddress(add, "prometheus.address", r.Prometheus.Address)
		if strings.TrimSpace(r.Prometheus.Query) == "" {
			add("prometheus.query is missing")
		}
		wantConditions("prometheus")
	case r.CloudWatch != nil:
		s.CloudWatch = r.CloudWatch.spec(add)
		if r.CloudWatch.Alarm != "" {
			noConditions("a cloudwatch alarm")
		} else {
			wantConditions("cloudwatch queries")
		}
	case r.Compare != nil:
		s.Compare = r.Compare.spec(add)
		noConditions("compare")
	case r.URL != "":
		checkAddress(add, "url", r.URL)
		noConditions("url")
	case r.Command != "":
		noConditions("command")
	}
}

func checkAddress(add func(string, ...any), field, s string) {
	u, err := url.Parse(s)
	if s == "" {
		add("%s is missing", field)
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("%s %q is not an http(s) URL", field, s)
	}
}

func (c *cloudWatchYAML) spec(add func(string, ...any)) *CloudWatchSpec {
	s := &CloudWatchSpec{Region: c.Region, Alarm: c.Alarm, Period: time.Minute, Window: 5 * time.Minute}
	for _, d := range []struct {
		name, v string
		dst     *time.Duration
	}{{"cloudwatch.period", c.Period, &s.Period}, {"cloudwatch.window", c.Window, &s.Window}} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil || v < time.Second || v%time.Second != 0 {
			add("%s %q is not a whole number of seconds (e.g. 1m)", d.name, d.v)
			continue
		}
		*d.dst = v
	}
	if (c.Alarm == "") == (len(c.Queries) == 0) {
		add("cloudwatch needs alarm or queries (one of them)")
	}
	ids := map[string]bool{}
	for i, q := range c.Queries {
		where := fmt.Sprintf("cloudwatch.queries[%d]", i)
		if !queryID.MatchString(q.ID) {
			add("%s.id %q must start with a lowercase letter, then letters, digits or _", where, q.ID)
		}
		if ids[q.ID] {
			add("%s.id %q is used twice", where, q.ID)
		}
		ids[q.ID] = true
		stat := q.Namespace != "" || q.Metric != "" || q.Stat != "" || len(q.Dimensions) > 0
		switch {
		case q.Expression != "" && stat:
			add("%s: give expression or namespace, metric and stat, not both", where)
		case q.Expression == "" && (q.Namespace == "" || q.Metric == "" || q.Stat == ""):
			add("%s needs expression, or namespace, metric and stat", where)
		}
		s.Queries = append(s.Queries, CloudWatchQuery{ID: q.ID, Expression: q.Expression, Namespace: q.Namespace,
			Metric: q.Metric, Dimensions: q.Dimensions, Stat: q.Stat})
	}
	return s
}

func (c *compareYAML) spec(add func(string, ...any)) *CompareSpec {
	s := &CompareSpec{Prometheus: c.Prometheus, Label: c.Label, Numerator: c.Numerator, Denominator: c.Denominator, MinSample: defaultMinSample}
	fields := [][2]string{{"compare.numerator", c.Numerator}, {"compare.denominator", c.Denominator}}
	switch {
	case (c.Prometheus == "") == (c.CloudWatch == nil):
		add("compare needs prometheus (an address) or cloudwatch (one of them)")
	case c.CloudWatch != nil:
		cw := c.CloudWatch
		s.CloudWatch = &CompareCloudWatch{Region: cw.Region, Namespace: cw.Namespace, Dimension: cw.Dimension, Stat: cw.Stat, Window: 30 * time.Minute}
		fields = append(fields, [2]string{"compare.cloudwatch.namespace", cw.Namespace}, [2]string{"compare.cloudwatch.dimension", cw.Dimension})
		if cw.Window != "" {
			w, err := time.ParseDuration(cw.Window)
			if err != nil || w < time.Minute {
				add("compare.cloudwatch.window %q is not a duration of 1m or more", cw.Window)
			}
			s.CloudWatch.Window = w
		}
		if c.Label != "" {
			add("compare.label is Prometheus's; CloudWatch's identity is compare.cloudwatch.dimension")
		}
	default:
		checkAddress(add, "compare.prometheus", c.Prometheus)
		fields = append(fields, [2]string{"compare.label", c.Label})
	}
	for _, f := range fields {
		if strings.TrimSpace(f[1]) == "" {
			add("%s is missing", f[0])
		}
	}
	if c.Margin == "" {
		add("compare.margin is missing (e.g. 0.01, or 10%%)")
	} else if m, err := ParseMargin(c.Margin); err != nil {
		add("compare.margin: %v", err)
	} else {
		s.Margin = m
	}
	if c.MinSample != nil {
		if *c.MinSample < 0 {
			add("compare.min-sample %v is negative", *c.MinSample)
		}
		s.MinSample = *c.MinSample
	}
	return s
}

// Deps are what a metric's provider is built from: the URL and command gates (rollout's), a
// CloudWatch client per region, the HTTP client for Prometheus.
type Deps struct {
	URL        func(url string) Provider
	Command    func(command string) Provider
	CloudWatch func(region string) CloudWatchAPI
	HTTP       *http.Client
}

// unavailable is a provider that could not be built: each sample is an error saying why.
type unavailable string

func (u unavailable) Measure(context.Context, Target) Measurement {
	return Measurement{Phase: Error, Value: "—", Detail: string(u)}
}

// cloudWatch is the client for region, or nil when the caller gave none.
func (d Deps) cloudWatch(region string) CloudWatchAPI {
	if d.CloudWatch == nil {
		return nil
	}
	return d.CloudWatch(region)
}

// Metric builds the metric the sampler runs.
func (s Spec) Metric(d Deps) Metric {
	m := s.metric(d)
	if (s.CloudWatch != nil || s.Compare != nil && s.Compare.CloudWatch != nil) && d.cloudWatch(s.region()) == nil {
		m.Provider = unavailable("no CloudWatch client for region " + strconv.Quote(s.region()))
	}
	return m
}

func (s Spec) region() string {
	switch {
	case s.CloudWatch != nil:
		return s.CloudWatch.Region
	case s.Compare != nil && s.Compare.CloudWatch != nil:
		return s.Compare.CloudWatch.Region
	}
	return ""
}

func (s Spec) metric(d Deps) Metric {
	m := Metric{Name: s.Name, Interval: s.Interval, Count: s.Count, FailureLimit: s.FailureLimit,
		InconclusiveLimit: s.InconclusiveLimit, ConsecutiveErrorLimit: s.ConsecutiveErrorLimit}
	switch {
	case s.Prometheus != nil:
		m.Provider = Prometheus{Address: s.Prometheus.Address, Query: s.Prometheus.Query, Success: s.Success, Failure: s.Failure, Client: d.HTTP}
	case s.CloudWatch != nil && s.CloudWatch.Alarm != "":
		m.Provider = CloudWatchAlarm{API: d.cloudWatch(s.CloudWatch.Region), Name: s.CloudWatch.Alarm}
	case s.CloudWatch != nil:
		m.Provider = CloudWatchMetric{API: d.cloudWatch(s.CloudWatch.Region), Queries: s.CloudWatch.Queries,
			Period: s.CloudWatch.Period, Window: s.CloudWatch.Window, Success: s.Success, Failure: s.Failure}
	case s.Compare != nil && s.Compare.CloudWatch != nil:
		c, cw := s.Compare, s.Compare.CloudWatch
		m.Provider = CloudWatchCompare{API: d.cloudWatch(cw.Region), Namespace: cw.Namespace, Dimension: cw.Dimension,
			Numerator: c.Numerator, Denominator: c.Denominator, Stat: cw.Stat, Window: cw.Window, Margin: c.Margin, MinSample: c.MinSample}
	case s.Compare != nil:
		c := s.Compare
		m.Provider = PrometheusCompare{Address: c.Prometheus, Numerator: c.Numerator, Denominator: c.Denominator,
			Label: c.Label, Margin: c.Margin, MinSample: c.MinSample, Client: d.HTTP}
	case s.URL != "":
		m.Provider = d.URL(s.URL)
	default:
		m.Provider = d.Command(s.Command)
	}
	return m
}

// Regions are the CloudWatch regions the metrics read ("" is the run's default).
func Regions(specs []Spec) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range specs {
		region, ok := s.region(), s.CloudWatch != nil || s.Compare != nil && s.Compare.CloudWatch != nil
		if ok && !seen[region] {
			seen[region] = true
			out = append(out, region)
		}
	}
	return out
}

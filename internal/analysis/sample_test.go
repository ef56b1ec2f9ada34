package analysis_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/analysis/analysistest"
)

// script is a provider that answers its phases in order (the last one repeats) and records when it
// was asked, on the bake's clock.
type script struct {
	mu     sync.Mutex
	phases []analysis.Phase
	clock  analysis.Clock
	asked  []time.Time
}

func (s *script) Measure(context.Context, analysis.Target) analysis.Measurement {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, s.clock.Now())
	p := s.phases[min(len(s.asked)-1, len(s.phases)-1)]
	return analysis.Measurement{Phase: p, Value: string(p), Detail: "said " + string(p)}
}

func phases(spec string) []analysis.Phase {
	m := map[byte]analysis.Phase{'s': analysis.Successful, 'f': analysis.Failed, 'i': analysis.Inconclusive, 'e': analysis.Error}
	var out []analysis.Phase
	for i := range len(spec) {
		out = append(out, m[spec[i]])
	}
	return out
}

func ats(samples []analysis.Sample) []time.Duration {
	var out []time.Duration
	for _, s := range samples {
		out = append(out, s.At)
	}
	return out
}

// A bake samples each interval through the wait and ends at the sample that takes a metric past a
// limit, not at the end of the wait; limits follow Argo Rollouts (more than the limit ends it).
func TestBake_EndsAtTheSampleThatPassesALimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		script  string
		metric  analysis.Metric
		want    analysis.Phase
		samples int
	}{
		{"all pass through the wait", "s", analysis.Metric{}, analysis.Successful, 10},
		{"the first failure ends it", "sssf", analysis.Metric{}, analysis.Failed, 4},
		{"a failure limit of 2 ends at the third", "sfsfssf", analysis.Metric{FailureLimit: 2}, analysis.Failed, 7},
		{"a failure limit of -1 never ends it", "f", analysis.Metric{FailureLimit: -1}, analysis.Successful, 10},
		{"inconclusive past its limit", "siis", analysis.Metric{InconclusiveLimit: 1}, analysis.Inconclusive, 3},
		{"errors in a row past their limit", "seesseeeee", analysis.Metric{ConsecutiveErrorLimit: 4}, analysis.Error, 10},
		{"errors broken by a success do not add up", "sees", analysis.Metric{ConsecutiveErrorLimit: 2}, analysis.Successful, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := analysistest.NewClock()
			p := &script{phases: phases(tc.script), clock: clock}
			m := tc.metric
			m.Name, m.Provider, m.Interval = "m", p, time.Minute
			res := analysis.Bake{Metrics: []analysis.Metric{m}, Wait: 10 * time.Minute, Clock: clock}.Run(context.Background(), analysis.Target{})
			if res.Phase != tc.want || len(res.Samples) != tc.samples {
				t.Fatalf("phase %s after %d samples (%s), want %s after %d", res.Phase, len(res.Samples), res.Detail, tc.want, tc.samples)
			}
			for i, at := range ats(res.Samples) {
				if want := time.Duration(i+1) * time.Minute; at != want {
					t.Errorf("sample %d at %s, want %s", i+1, at, want)
				}
			}
			if tc.want != analysis.Successful && !strings.Contains(res.Detail, "(sample "+strconv.Itoa(tc.samples)+")") {
				t.Errorf("detail %q does not name sample %d", res.Detail, tc.samples)
			}
		})
	}
}

// Without a count a metric samples every interval through the wait and at its end; with one it
// takes that many, the bake lasting as long as they need; without an interval it samples once, at
// the end of the wait (as gate-url and gate-command always did).
func TestBake_Schedules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		interval time.Duration
		count    int
		want     []time.Duration
	}{
		{"interval through the wait, and its end", 4 * time.Minute, 0, []time.Duration{4 * time.Minute, 8 * time.Minute, 10 * time.Minute}},
		{"count beyond the wait", 4 * time.Minute, 4, []time.Duration{4 * time.Minute, 8 * time.Minute, 12 * time.Minute, 16 * time.Minute}},
		{"once at the end", 0, 0, []time.Duration{10 * time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clock := analysistest.NewClock()
			p := &script{phases: phases("s"), clock: clock}
			start := clock.Now()
			m := analysis.Metric{Name: "m", Provider: p, Interval: tc.interval, Count: tc.count}
			res := analysis.Bake{Metrics: []analysis.Metric{m}, Wait: 10 * time.Minute, Clock: clock}.Run(context.Background(), analysis.Target{})
			if res.Phase != analysis.Successful {
				t.Fatalf("phase %s: %s", res.Phase, res.Detail)
			}
			if got := ats(res.Samples); !equal(got, tc.want) {
				t.Errorf("samples at %v, want %v", got, tc.want)
			}
			if took, want := clock.Now().Sub(start), max(10*time.Minute, tc.want[len(tc.want)-1]); took != want {
				t.Errorf("the bake took %s, want %s", took, want)
			}
		})
	}
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Two metrics interleave on their own intervals, and the one that fails ends the bake for both.
func TestBake_MetricsInterleaveAndOneFailureEndsTheBake(t *testing.T) {
	t.Parallel()
	clock := analysistest.NewClock()
	fast := &script{phases: phases("s"), clock: clock}
	slow := &script{phases: phases("sf"), clock: clock}
	res := analysis.Bake{Metrics: []analysis.Metric{
		{Name: "fast", Provider: fast, Interval: time.Minute},
		{Name: "slow", Provider: slow, Interval: 3 * time.Minute},
	}, Wait: 30 * time.Minute, Clock: clock}.Run(context.Background(), analysis.Target{})
	if res.Phase != analysis.Failed || !strings.HasPrefix(res.Detail, "slow failed at 6m0s (sample 2)") {
		t.Fatalf("phase %s: %s, want slow failed at its second sample", res.Phase, res.Detail)
	}
	if len(fast.asked) != 6 || len(slow.asked) != 2 {
		t.Errorf("fast asked %d times, slow %d; want 6 and 2", len(fast.asked), len(slow.asked))
	}
}

// A cancel during the wait is no verdict, and no sample is taken after it.
func TestBake_ACancelIsNoVerdict(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	clock := analysistest.NewClock()
	p := &cancelling{cancel: cancel, after: 2}
	res := analysis.Bake{Metrics: []analysis.Metric{{Name: "m", Provider: p, Interval: time.Minute}}, Wait: time.Hour, Clock: clock}.Run(ctx, analysis.Target{})
	if res.Phase != analysis.Cancelled || len(res.Samples) != 1 || p.n != 2 {
		t.Fatalf("phase %s with %d samples after %d measurements: %s", res.Phase, len(res.Samples), p.n, res.Detail)
	}
}

// cancelling passes, and cancels the run during its after-th measurement.
type cancelling struct {
	cancel func()
	after  int
	n      int
}

func (c *cancelling) Measure(context.Context, analysis.Target) analysis.Measurement {
	c.n++
	if c.n == c.after {
		c.cancel()
	}
	return analysis.Measurement{Phase: analysis.Successful}
}

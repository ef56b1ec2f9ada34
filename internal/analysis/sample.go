package analysis

import (
	"context"
	"fmt"
	"time"
)

// Metric is one thing sampled through a bake, with Argo Rollouts' AnalysisTemplate limits.
type Metric struct {
	Name     string
	Provider Provider
	// Interval between samples; 0 samples once, at the end of the bake.
	Interval time.Duration
	// Count of samples; 0 samples every Interval until the bake ends.
	Count int
	// The analysis fails once more than FailureLimit samples failed, is inconclusive once more than
	// InconclusiveLimit were, and errs once more than ConsecutiveErrorLimit errors came in a row.
	// A negative limit never ends it.
	FailureLimit, InconclusiveLimit, ConsecutiveErrorLimit int
}

// Sample is one measurement of one metric, and when it was taken.
type Sample struct {
	Metric string
	At     time.Duration // since the bake started
	Measurement
}

// Result is the analysis of one bake.
type Result struct {
	Phase   Phase    // Successful, Failed, Inconclusive, Error or Cancelled
	Detail  string   // one line: which metric ended it, at which sample
	Samples []Sample // every sample, in the order taken
}

// Bake is the analysis of one step: its metrics sampled through Wait.
type Bake struct {
	Metrics  []Metric
	Wait     time.Duration // the step's wait: every sample falls inside it unless a Count asks for more
	Clock    Clock         // nil is the wall clock
	Progress func(format string, args ...any)
}

// schedule is when a metric's samples fall, from the bake's start.
func (m Metric) schedule(wait time.Duration) []time.Duration {
	if m.Interval <= 0 {
		return []time.Duration{wait}
	}
	var at []time.Duration
	if m.Count > 0 {
		for i := 1; i <= m.Count; i++ {
			at = append(at, time.Duration(i)*m.Interval)
		}
		return at
	}
	for t := m.Interval; t <= wait; t += m.Interval {
		at = append(at, t)
	}
	if len(at) == 0 || at[len(at)-1] < wait {
		at = append(at, wait) // the end of the bake is always looked at
	}
	return at
}

// tally is the count of a metric's outcomes so far.
type tally struct{ failed, inconclusive, consecutiveErrors int }

// add records one phase and says whether the metric's limits now end the analysis, and how.
func (t *tally) add(m Metric, p Phase) (Phase, bool) {
	if p == Error {
		t.consecutiveErrors++
	} else {
		t.consecutiveErrors = 0
	}
	switch p {
	case Failed:
		t.failed++
	case Inconclusive:
		t.inconclusive++
	}
	switch {
	case m.FailureLimit >= 0 && t.failed > m.FailureLimit:
		return Failed, true
	case m.InconclusiveLimit >= 0 && t.inconclusive > m.InconclusiveLimit:
		return Inconclusive, true
	case m.ConsecutiveErrorLimit >= 0 && t.consecutiveErrors > m.ConsecutiveErrorLimit:
		return Error, true
	}
	return "", false
}

// Run samples every metric on its schedule until one ends the analysis, the schedules and the wait
// are through (Successful), or ctx ends (Cancelled, no verdict).
func (b Bake) Run(ctx context.Context, t Target) Result {
	clock := b.Clock
	if clock == nil {
		clock = RealClock{}
	}
	progress := b.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	start := clock.Now()
	due := make([][]time.Duration, len(b.Metrics))
	tallies := make([]tally, len(b.Metrics))
	end := b.Wait
	for i, m := range b.Metrics {
		due[i] = m.schedule(b.Wait)
		end = max(end, due[i][len(due[i])-1])
	}
	var res Result
	for {
		next, ok := nextDue(due)
		if !ok {
			next = end
		}
		if err := sleepUntil(ctx, clock, start, next); err != nil {
			res.Phase, res.Detail = Cancelled, "the run was cancelled during the bake"
			return res
		}
		if !ok {
			res.Phase = Successful
			res.Detail = fmt.Sprintf("%d samples, all within their limits", len(res.Samples))
			return res
		}
		for i, m := range b.Metrics {
			if len(due[i]) == 0 || due[i][0] > next {
				continue
			}
			due[i] = due[i][1:]
			ms := m.Provider.Measure(ctx, t)
			if ctx.Err() != nil {
				res.Phase, res.Detail = Cancelled, "the run was cancelled while "+m.Name+" was measured"
				return res
			}
			at := clock.Now().Sub(start)
			res.Samples = append(res.Samples, Sample{Metric: m.Name, At: at, Measurement: ms})
			progress("analysis %s at %s: %s %s", m.Name, at.Round(time.Second), ms.Phase, ms.Value)
			if p, over := tallies[i].add(m, ms.Phase); over {
				res.Phase = p
				res.Detail = fmt.Sprintf("%s %s at %s (sample %d): %s", m.Name, p, at.Round(time.Second), countOf(res.Samples, m.Name), ms.Detail)
				return res
			}
		}
	}
}

func countOf(samples []Sample, metric string) int {
	n := 0
	for _, s := range samples {
		if s.Metric == metric {
			n++
		}
	}
	return n
}

// nextDue is the earliest sample still to take.
func nextDue(due [][]time.Duration) (time.Duration, bool) {
	var next time.Duration
	found := false
	for _, d := range due {
		if len(d) > 0 && (!found || d[0] < next) {
			next, found = d[0], true
		}
	}
	return next, found
}

// sleepUntil waits until offset from start on clock, or until ctx ends.
func sleepUntil(ctx context.Context, clock Clock, start time.Time, offset time.Duration) error {
	for {
		left := offset - clock.Now().Sub(start)
		if left <= 0 {
			return ctx.Err()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-clock.After(left):
		}
	}
}

package analysis

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// Phase is what one measurement, or a whole analysis, said (Argo Rollouts' AnalysisPhase).
type Phase string

// The phases. A measurement that is neither successful nor failed by its conditions is
// inconclusive; one the provider could not take (a query refused, a server down) is an error.
const (
	Successful   Phase = "successful"
	Failed       Phase = "failed"
	Inconclusive Phase = "inconclusive"
	Error        Phase = "error"
	Cancelled    Phase = "cancelled" // the run was cancelled: no verdict
)

// Measurement is one sample of one metric.
type Measurement struct {
	Phase     Phase
	Value     string // as the summary shows it: "0.031", "ALARM", "answered 200"
	Threshold string // what decided: "result < 0.05", "not ALARM", "group ≤ rest + 0.01"
	Detail    string // one line
	Output    string // a command's or a server's text: untrusted
}

// Provider takes one measurement of what the step reached.
type Provider interface {
	Measure(ctx context.Context, t Target) Measurement
}

// Target is the flag's state after the step, as the providers need it: a command is told the
// feature and percentage, a comparison who is in the rollout group.
type Target struct {
	Feature, Environment string
	EnvironmentKey       string   // the environment's API key: identity keys are "<key>_<identifier>"
	SegmentID            int      // the rollout segment: its id seeds the percentage hash
	Percentage           float64  // the segment's PERCENTAGE_SPLIT, -1 without one
	Users                []string // identifiers the segment names
}

// InGroup reports whether the flag is on for an identity through the rollout segment: named in it,
// or inside its percentage split by the flag engine's hash of "<segment id>,<env key>_<identifier>"
// (flagsmith.InPercentageSplit), as Flagsmith's edge and local evaluation decide.
func (t Target) InGroup(identifier string) bool {
	if slices.Contains(t.Users, identifier) {
		return true
	}
	return t.Percentage > 0 && t.SegmentID > 0 &&
		flagsmith.InPercentageSplit(t.SegmentID, flagsmith.IdentityKey(t.EnvironmentKey, identifier), t.Percentage)
}

// judge decides a value by the conditions as Argo Rollouts does: a failure condition that holds
// fails; else a success condition decides (not holding fails, unless a failure condition is also
// given: then it is inconclusive); with only a failure condition, not holding passes.
func judge(v float64, success, failure *Condition) Phase {
	switch {
	case failure != nil && failure.Holds(v):
		return Failed
	case success == nil:
		return Successful
	case success.Holds(v):
		return Successful
	case failure != nil:
		return Inconclusive
	}
	return Failed
}

// thresholds says which conditions decided, for the summary.
func thresholds(success, failure *Condition) string {
	var s []string
	if success != nil {
		s = append(s, "success: "+success.String())
	}
	if failure != nil {
		s = append(s, "failure: "+failure.String())
	}
	return strings.Join(s, "; ")
}

func formatValue(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

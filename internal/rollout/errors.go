package rollout

import (
	"fmt"

	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/failure"
)

// GateError is a gate that said no after a step.
type GateError struct {
	Step   string
	Result GateResult
}

// FailureClass: a gate that said no (failed, or inconclusive past its limit) is the checked thing
// failing; an analysis ended by its provider's errors (Prometheus down) is infrastructure.
func (e *GateError) FailureClass() failure.Class {
	if e.Result.Phase == analysis.Error {
		return failure.Infrastructure
	}
	return failure.Checked
}

func (e *GateError) Error() string {
	return fmt.Sprintf("gate failed after %s: %s", e.Step, e.Result.Detail)
}

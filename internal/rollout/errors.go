package rollout

import (
	"fmt"

	"github.com/slipway-actions/slipway/internal/failure"
)

// GateError is a gate that said no after a step.
type GateError struct {
	Step   string
	Result GateResult
}

// FailureClass: a gate that said no is the checked thing failing.
func (e *GateError) FailureClass() failure.Class { return failure.Checked }

func (e *GateError) Error() string {
	return fmt.Sprintf("gate failed after %s: %s", e.Step, e.Result.Detail)
}

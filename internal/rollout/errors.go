package rollout

import "fmt"

// InputError is a problem with what the caller asked for; nothing was touched.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// GateError is a gate that said no after a step.
type GateError struct {
	Step   string
	Result GateResult
}

func (e *GateError) Error() string {
	return fmt.Sprintf("gate failed after %s: %s", e.Step, e.Result.Detail)
}

package actionkit

import (
	"context"
	"errors"
)

// Exit codes, the same for every slipway action. Findings are not failures of the program: a lint run
// that finds problems exits 1, a run that could not reach Docker exits 3.
const (
	ExitOK       = 0 // the checked thing passed
	ExitFailed   = 1 // findings, failed tests, a failed deploy: the checked thing failed
	ExitBadInput = 2 // the inputs are wrong; nothing was touched
	ExitInfra    = 3 // Docker, AWS, Flagsmith or a tool was unreachable or broken after retries
)

// inputError marks an error as the user's input being wrong.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// infraError marks an error as infrastructure: the thing we depend on failed, not the thing we check.
type infraError struct{ err error }

func (e *infraError) Error() string { return e.err.Error() }
func (e *infraError) Unwrap() error { return e.err }

// BadInput marks err as a problem with the inputs (exit 2). A nil err stays nil.
func BadInput(err error) error {
	if err == nil {
		return nil
	}
	return &inputError{err}
}

// Infra marks err as an infrastructure failure (exit 3). A nil err stays nil.
func Infra(err error) error {
	if err == nil {
		return nil
	}
	return &infraError{err}
}

// IsBadInput reports whether err was marked with BadInput.
func IsBadInput(err error) bool {
	var ie *inputError
	return errors.As(err, &ie)
}

// ExitCode maps an error to the process exit code: nil → 0, BadInput → 2, Infra or a cancelled run
// → 3, anything else → 1. A timeout is the engine's to classify (a deploy that never settles failed).
func ExitCode(err error) int {
	var ie *inputError
	var fe *infraError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ie):
		return ExitBadInput
	case errors.As(err, &fe), errors.Is(err, context.Canceled):
		return ExitInfra
	default:
		return ExitFailed
	}
}

package actionkit

import (
	"errors"
)

// Exit codes, the same for every slipway action. Exit 1 is claimed, never assumed: an action marks the
// failures of the thing it checks with Failed, and every error it did not classify is infrastructure.
const (
	ExitOK       = 0 // the checked thing passed
	ExitFailed   = 1 // findings, failed tests, a deployment that ran and failed: the checked thing failed
	ExitBadInput = 2 // the inputs are wrong; nothing was touched
	ExitInfra    = 3 // Docker, AWS, Flagsmith or a tool was unreachable or broken, a cancel, a crash
)

// inputError marks an error as the user's input being wrong.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// failedError marks an error as a failure of the checked thing.
type failedError struct{ err error }

func (e *failedError) Error() string { return e.err.Error() }
func (e *failedError) Unwrap() error { return e.err }

// BadInput marks err as a problem with the inputs (exit 2). A nil err stays nil.
func BadInput(err error) error {
	if err == nil {
		return nil
	}
	return &inputError{err}
}

// Failed marks err as a failure of the thing the action checks (exit 1): findings, a failed test run,
// a deployment that ran and failed. A nil err stays nil.
func Failed(err error) error {
	if err == nil {
		return nil
	}
	return &failedError{err}
}

// IsBadInput reports whether err was marked with BadInput.
func IsBadInput(err error) bool {
	var ie *inputError
	return errors.As(err, &ie)
}

// ExitCode maps an error to the process exit code: nil → 0, BadInput → 2, Failed → 1, anything else
// (an unreachable service, a broken tool, a cancelled run) → 3.
func ExitCode(err error) int {
	var ie *inputError
	var fe *failedError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ie):
		return ExitBadInput
	case errors.As(err, &fe):
		return ExitFailed
	default:
		return ExitInfra
	}
}

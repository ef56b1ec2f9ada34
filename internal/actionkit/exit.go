package actionkit

import (
	"github.com/slipway-actions/slipway/internal/failure"
)

// Exit codes, the same for every slipway action. Exit 1 is claimed, never assumed: an action marks the
// failures of the thing it checks with failure.Failed, and every error nobody classified is
// infrastructure.
const (
	ExitOK       = 0 // the checked thing passed
	ExitFailed   = 1 // findings, failed tests, a deployment that ran and failed: the checked thing failed
	ExitBadInput = 2 // the inputs are wrong; nothing was touched
	ExitInfra    = 3 // Docker, AWS, Flagsmith or a tool was unreachable or broken, a cancel, a crash
)

// ExitCode is the one mapping of an error to the process exit code: nil → 0, and otherwise by the
// error's class (package failure): bad input → 2, failed → 1, infrastructure → 3.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	switch failure.Of(err) {
	case failure.Input:
		return ExitBadInput
	case failure.Checked:
		return ExitFailed
	default:
		return ExitInfra
	}
}

package lint

import "fmt"

// MissingToolError says a tool the user asked for is not installed.
type MissingToolError struct{ Tool, Binary string }

func (e *MissingToolError) Error() string {
	return fmt.Sprintf("linter %q is not installed: %q is not on PATH nor in the project's environment", e.Tool, e.Binary)
}

// ToolError says a tool crashed: an exit code that is neither success nor "findings", or a failure
// exit with no finding in its output. That is never read as "0 findings".
type ToolError struct {
	Tool   string
	Code   int
	Stderr string // the end of what it printed, untrusted
}

func (e *ToolError) Error() string {
	return fmt.Sprintf("%s crashed (exit %d): %s", e.Tool, e.Code, e.Stderr)
}

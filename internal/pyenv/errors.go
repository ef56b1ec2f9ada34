package pyenv

import "fmt"

// InstallError says the project's environment could not be made: pip failed, or the interpreter
// has no venv module. The linters did not run.
type InstallError struct {
	Step   string // what was being done
	Detail string // the end of what it printed, untrusted
}

func (e *InstallError) Error() string {
	return fmt.Sprintf("install: %s failed: %s (set install: none to lint with the image's linters only, or name the requirements file to install)", e.Step, e.Detail)
}

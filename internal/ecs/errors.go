package ecs

// InputError is a problem with what the caller asked for (a file, a name, a value of its options):
// nothing was touched. The action reports it as bad input.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// FailedError is a deployment, a rollback or a migration that ran and failed: ECS judged it failed,
// its container exited non-zero, or it did not finish in time. Anything else that goes wrong (ECS
// unreachable or refusing a call, a cancelled run) comes back as a plain error.
type FailedError struct{ Err error }

func (e *FailedError) Error() string { return e.Err.Error() }
func (e *FailedError) Unwrap() error { return e.Err }

// failure is why a service or a migration did not end well; it decides which error a run returns.
type failure int

const (
	notFailed   failure = iota
	judged              // it ran and failed: ECS's verdict, an exit code, a timeout
	unreadable          // a call to ECS failed
	interrupted         // the run was cancelled
)

package compose

// InputError is a problem with what the caller asked for (a file, a name, a value of its options):
// nothing was touched. The action reports it as bad input.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

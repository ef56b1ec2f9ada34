// Package failure is the one place an error's class is decided: bad input (what the user must change;
// nothing was touched), failed (the thing an action checks ran and failed: findings, tests, a build
// step, a deployment, a gate), or infrastructure (everything else: a service unreachable, a tool
// broken, a cancel). Core packages mark the errors they return, with BadInput and Failed or with a
// type that has a FailureClass method; actionkit.ExitCode is the one function that turns a class into
// an exit code. Nothing here imports anything of slipway: every package may use it.
package failure

// Class is what kind of failure an error is.
type Class int

// The classes, from the weakest claim to the strongest. An error that holds several (errors.Join of
// parallel work, a wrapped cause) takes the strongest: when anything ran and failed, the run is a
// failure of the checked thing, even if another part of it was also asked for wrongly.
const (
	Infrastructure Class = iota // unmarked: nothing claimed it
	Input                       // the user's input is wrong; nothing was touched
	Checked                     // the checked thing ran and failed
)

func (c Class) String() string {
	switch c {
	case Input:
		return "bad input"
	case Checked:
		return "failed"
	default:
		return "infrastructure"
	}
}

// Classed is an error type that knows its class (a typed error of a core package, with details its
// callers read).
type Classed interface {
	error
	FailureClass() Class
}

// marked is an error given a class by BadInput or Failed.
type marked struct {
	err   error
	class Class
}

func (e *marked) Error() string       { return e.err.Error() }
func (e *marked) Unwrap() error       { return e.err }
func (e *marked) FailureClass() Class { return e.class }

// BadInput marks err as a problem with what the user asked for (exit 2). A nil err stays nil.
func BadInput(err error) error { return mark(err, Input) }

// Failed marks err as a failure of the thing the action checks (exit 1). A nil err stays nil.
func Failed(err error) error { return mark(err, Checked) }

func mark(err error, c Class) error {
	if err == nil {
		return nil
	}
	return &marked{err: err, class: c}
}

// Of is err's class: the strongest class anywhere in its tree (Unwrap, and errors.Join's lists).
func Of(err error) Class {
	best := Infrastructure
	walk(err, func(e error) {
		if c, ok := e.(Classed); ok && c.FailureClass() > best {
			best = c.FailureClass()
		}
	})
	return best
}

// IsBadInput reports whether err is bad input and nothing stronger.
func IsBadInput(err error) bool { return Of(err) == Input }

// walk visits err and every error it wraps.
func walk(err error, visit func(error)) {
	if err == nil {
		return
	}
	visit(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walk(u.Unwrap(), visit)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walk(e, visit)
		}
	}
}

package images

// BuildError is a build that ran and failed: a step of the user's Dockerfile, as the engine's build
// stream reported it. Anything else that stops a build (an unreachable engine, a broken stream) is
// returned as it is.
type BuildError struct{ Message string }

func (e *BuildError) Error() string { return e.Message }

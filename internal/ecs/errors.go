package ecs

// fault is why a service or a migration did not end well; it decides which error a run returns.
type fault int

const (
	notFailed   fault = iota
	judged            // it ran and failed: ECS's verdict, an exit code, a timeout
	unreadable        // a call to ECS failed
	interrupted       // the run was cancelled
)

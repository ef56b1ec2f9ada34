package actionkit

import "time"

// The runner's cancel timeline, stated once for slipway: a cancelled step gets SIGINT, then SIGTERM
// CancelSIGTERMAfter later, then SIGKILL CancelSIGKILLAfter after that (actions/runner,
// src/Runner.Sdk/ProcessInvoker.cs: _sigintTimeout and _sigtermTimeout; the runner contract in
// shared/contracts/README.md, "GitHub Actions runner"). Run cancels the work on the first of the
// two signals; only the kill cuts a run short.
const (
	CancelSIGTERMAfter = 7500 * time.Millisecond
	CancelSIGKILLAfter = 2500 * time.Millisecond
)

// CancelWindow is how long a slipway action goes on after the first signal of a cancel: it has
// ended, outputs and summary written, before the runner's SIGTERM, with half a second to spare. An
// action gives its engine this window less what its own reporting takes after the engine returns
// (ecs.Waiting.CancelGrace, rollout.Config.CancelGrace); compose's teardown fits inside it.
const CancelWindow = CancelSIGTERMAfter - 500*time.Millisecond

// Package actionkit is slipway's one wrapper over github.com/sethvargo/go-githubactions.
//
// It owns everything between an action's program and the GitHub Actions runner (or a terminal, when
// the same program runs as a local CLI): typed inputs read against the action's own action.yml,
// outputs and env files written with a random delimiter per value, masking of secrets and their
// derived forms, inputs kept out of every process's environment (Guard), untrusted text that can
// never issue a workflow command, capped annotations, the step summary, groups, the one mapping
// from results to exit codes, and the runner's cancel timeline (CancelWindow).
//
// It does not know what any action does: engines live in their own packages and never import it.
package actionkit

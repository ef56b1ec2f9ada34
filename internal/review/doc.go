// Package review puts an action's results where reviewers look, beyond the step's own log and
// summary: a check run on the commit under review with every annotation the action made
// (CheckRun), shared by lint-python and run-e2e. It sits between actionkit (which collects the
// annotations and the exit code) and internal/github (which speaks the Checks API); the step
// summary and the workflow-command annotations stay the fallback wherever the token may not
// write checks.
package review

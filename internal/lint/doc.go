// Package lint runs Python linters the way lint-python promises. One table (tools.go) says everything
// it knows about each tool. It detects which tools a project configures; has internal/pyenv make the
// project's own environment from its pins and dependencies, telling it which distributions,
// pre-commit hooks and executables are the linters' (environment.go); runs the tools concurrently in
// check mode with the project's config, each from that environment or from PATH, or, in untrusted
// mode, with sanitised copies of their config that name no code for them to run (sanitise.go); in
// pull-request mode gives each tool only the changed files a full run of it would lint and keeps the
// findings on the changed lines; parses each tool's output into Findings with workspace-relative
// paths; and writes JSON and SARIF reports.
//
// It does not make the environment itself (internal/pyenv does), print or annotate anything, nor
// decide exit codes (the action's main does both, from the typed errors in errors.go), and it never
// modifies a source file.
package lint

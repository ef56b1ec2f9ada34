// Package lint runs Python linters the way lint-python promises. One table (tools.go) says everything
// it knows about each tool. It detects which tools a project configures; makes the project's own
// environment from its pins and dependencies (install: a virtual environment over the image's
// packages, archived in a cache directory with a manifest of every entry, and never run unless it
// is exactly that); runs the tools concurrently in check mode with the project's config, each from
// that environment or from PATH, or, in untrusted mode, with sanitised copies of their config that
// name no code for them to run (sanitise.go); in pull-request mode gives each tool only
// the changed files a full run of it would lint and keeps the findings on the changed lines; parses
// each tool's output into Findings with workspace-relative paths; and writes JSON and SARIF reports.
//
// It does not print or annotate anything, nor decide exit codes (the action's main does both, from
// the typed errors in errors.go), and it never modifies a source file.
package lint

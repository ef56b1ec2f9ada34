// Package lint runs Python linters the way lint-python promises: it detects which tools a repository
// configures, runs them concurrently in check mode with the repository's own config, parses each
// tool's machine output into Findings with workspace-relative paths, keeps the findings on changed
// lines in pull-request mode, and writes JSON and SARIF reports.
//
// It does not print or annotate anything (the action's main does that through actionkit) and it never
// modifies a file.
package lint

// Package junit reads JUnit XML test reports (pytest, Playwright, Go's gotestsum, Jest…) into test
// cases with their outcome and, where the report or the failure text tells, the file and line of
// the failure. run-e2e and the pull-request workflow's unit tests turn them into annotations and a
// summary. Reports are untrusted input: the parser never panics and bounds what it keeps.
package junit

// Package junit reads JUnit XML test reports (pytest, Playwright, Go's gotestsum, Jest…) into test
// cases with their outcome and, where the report or the failure text tells, the file and line of
// the failure; Locator maps a file named inside a test container back to the repository's file, so
// an annotation lands on the pull request's diff. For re-runs it derives a case's pytest node id
// (PytestNodeID), records a re-run's outcomes and writes both runs as Maven Surefire does (Rerun,
// WriteXML), and reads them back (a shard's report, merged); Add puts reports of files or shards together; Compare lists the cases newly failing and newly passing against a base report. run-e2e and the pull-request workflow's unit tests
// turn them into annotations and a summary. Reports are untrusted input: the parser never panics and
// bounds what it keeps.
package junit

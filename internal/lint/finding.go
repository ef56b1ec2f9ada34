package lint

import "time"

// Severity orders findings for fail-on: notice < warning < error.
type Severity string

// Severities, lowest first.
const (
	SeverityNotice  Severity = "notice"
	SeverityWarning Severity = "warning"
	SeverityError   Severity = "error"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}

// AtLeast reports whether s is at level or above.
func (s Severity) AtLeast(level Severity) bool { return s.rank() >= level.rank() }

// Finding is one problem a tool reported. File is relative to the workspace root, with slashes.
type Finding struct {
	Tool     string   `json:"tool"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col,omitempty"`
	EndLine  int      `json:"end_line,omitempty"`
	Code     string   `json:"code,omitempty"`
	Message  string   `json:"message"`
	Severity Severity `json:"severity"`
	// Diff is the formatter's hunk, for "would reformat" findings.
	Diff string `json:"diff,omitempty"`
}

// ToolResult is what one tool run produced.
type ToolResult struct {
	Tool     string        `json:"tool"`
	Findings []Finding     `json:"findings"`
	Files    int           `json:"files"`   // distinct files with findings
	Elapsed  time.Duration `json:"elapsed"` // wall time of the tool
	Command  []string      `json:"command"`
	// Version is the linter's version; From says where it came from: "image", or the project's file
	// that pins it, or "project environment" (installed there as a dependency).
	Version string `json:"version,omitempty"`
	From    string `json:"from,omitempty"`
	// Skipped says why an auto-detected tool did not run (not installed).
	Skipped string `json:"skipped,omitempty"`
	// Note says why a tool had nothing to do (only-changed: no changed file it lints).
	Note string `json:"note,omitempty"`
}

// Report is the result of a lint run.
type Report struct {
	Tools    []ToolResult `json:"tools"`
	Findings []Finding    `json:"findings"` // all reported findings, sorted by file, line, tool
	// Filtered is how many findings were dropped by only-changed mode or exclude.
	Filtered int           `json:"filtered"`
	Elapsed  time.Duration `json:"elapsed"`
}

// Count returns how many findings are at level or above.
func (r *Report) Count(level Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity.AtLeast(level) {
			n++
		}
	}
	return n
}

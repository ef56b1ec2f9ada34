package lintpython

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/lint"
)

// maxAnnotations is GitHub's cap of annotations of one level per step, past which the runner drops
// them (actionkit's maxAnnotationsPerLevel).
const maxAnnotations = 10

// wantAnnotation is the annotation a finding must make: its level, file, line, column, end line,
// "tool code" as title, and its message, unchanged.
func wantAnnotation(f lint.Finding) actionkit.Annotation {
	lv := map[lint.Severity]actionkit.Level{lint.SeverityError: actionkit.LevelError,
		lint.SeverityWarning: actionkit.LevelWarning, lint.SeverityNotice: actionkit.LevelNotice}[f.Severity]
	return actionkit.Annotation{Level: lv, File: f.File, Line: f.Line, Col: f.Col, EndLine: f.EndLine,
		Title: strings.TrimSpace(f.Tool + " " + f.Code), Message: f.Message}
}

// checkAnnotations: the annotations of the log with a file are exactly the report's findings, in the
// report's order, every field equal, the first maxAnnotations of each level; the rest of each level
// are rows of the summary's "More annotations" table, in order, with the same level, location, title
// and message.
func checkAnnotations(t *testing.T, log, summary string, rep *lint.Report) {
	t.Helper()
	want := map[actionkit.Level][]actionkit.Annotation{}
	for _, f := range rep.Findings {
		a := wantAnnotation(f)
		want[a.Level] = append(want[a.Level], a)
	}
	got := map[actionkit.Level][]actionkit.Annotation{}
	for _, a := range actiontest.Annotations(log) {
		if a.File != "" {
			got[a.Level] = append(got[a.Level], a)
		}
	}
	at := 0
	for _, lv := range []actionkit.Level{actionkit.LevelError, actionkit.LevelWarning, actionkit.LevelNotice} {
		shown := min(len(want[lv]), maxAnnotations)
		if len(got[lv]) != shown {
			t.Errorf("%d %s annotations on files, want %d (of %d findings)", len(got[lv]), lv, shown, len(want[lv]))
		}
		for i := 0; i < min(len(got[lv]), shown); i++ {
			if got[lv][i] != want[lv][i] {
				t.Errorf("%s annotation %d:\n got %+v\nwant %+v", lv, i+1, got[lv][i], want[lv][i])
			}
		}
		for _, a := range want[lv][shown:] {
			loc := a.File + ":" + strconv.Itoa(a.Line)
			row := "| " + string(lv) + " | " + actionkit.EscapeCell(loc) + " | " + actionkit.EscapeCell(a.Title) + " | " + actionkit.EscapeCell(a.Message) + " |\n"
			i := strings.Index(summary[at:], row)
			if i < 0 {
				t.Errorf("the summary's overflow table lacks, after the rows before it, %q", row)
				continue
			}
			at += i + len(row)
		}
	}
}

// sarifLog is what GitHub code scanning reads of a SARIF 2.1.0 file, the fields it requires
// (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
// the version, one run per tool with tool.driver.name, and for each result a ruleId, a level, a
// message.text and a physical location with artifactLocation.uri and region.startLine.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID string `json:"id"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID  string `json:"ruleId"`
			Level   string `json:"level"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
						EndLine     int `json:"endLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
		} `json:"results"`
	} `json:"runs"`
}

// checkSARIF: the SARIF file holds one run per linter that ran, and in each run exactly that
// linter's findings of the report, in order, each as code scanning needs it: ruleId (the code, the
// tool when it has none) declared in the driver's rules, level (error, warning, note), message,
// workspace-relative URI, startLine (at least 1), startColumn.
func checkSARIF(t *testing.T, path string, rep *lint.Report) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("SARIF: %v", err)
	}
	var s sarifLog
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("SARIF: %v", err)
	}
	if s.Version != "2.1.0" || !strings.Contains(s.Schema, "sarif") {
		t.Errorf("SARIF version %q, $schema %q", s.Version, s.Schema)
	}
	byTool := map[string][]lint.Finding{}
	var ran []string
	for _, tr := range rep.Tools {
		ran = append(ran, tr.Tool)
	}
	for _, f := range rep.Findings {
		byTool[f.Tool] = append(byTool[f.Tool], f)
	}
	if len(s.Runs) != len(ran) {
		t.Fatalf("%d SARIF runs, want one per linter %v", len(s.Runs), ran)
	}
	for i, run := range s.Runs {
		tool := run.Tool.Driver.Name
		if tool != ran[i] {
			t.Errorf("run %d: tool.driver.name %q, want %q", i, tool, ran[i])
		}
		rules := map[string]bool{}
		for _, r := range run.Tool.Driver.Rules {
			rules[r.ID] = true
		}
		want := map[string]int{} // what each finding of the tool must be in SARIF, as a key
		for _, f := range byTool[tool] {
			rule := f.Code
			if rule == "" {
				rule = f.Tool
			}
			level := map[lint.Severity]string{lint.SeverityError: "error", lint.SeverityWarning: "warning", lint.SeverityNotice: "note"}[f.Severity]
			want[sarifKey(rule, level, f.Message, f.File, max(f.Line, 1), f.Col)]++
		}
		if len(run.Results) != len(byTool[tool]) {
			t.Errorf("%s: %d SARIF results, %d findings in the report", tool, len(run.Results), len(byTool[tool]))
		}
		for j, res := range run.Results {
			if len(res.Locations) != 1 {
				t.Errorf("%s result %d: %d locations, want 1", tool, j+1, len(res.Locations))
				continue
			}
			loc := res.Locations[0].PhysicalLocation
			if !rules[res.RuleID] {
				t.Errorf("%s result %d: ruleId %q is not among the driver's rules", tool, j+1, res.RuleID)
			}
			if uri := loc.ArtifactLocation.URI; filepath.IsAbs(uri) || strings.Contains(uri, "://") || strings.HasPrefix(uri, "file:") {
				t.Errorf("%s result %d: URI %q is not relative to the repository root", tool, j+1, uri)
			}
			key := sarifKey(res.RuleID, res.Level, res.Message.Text, loc.ArtifactLocation.URI, loc.Region.StartLine, loc.Region.StartColumn)
			if want[key] == 0 {
				t.Errorf("%s result %d is no finding of the report: %s", tool, j+1, key)
				continue
			}
			want[key]--
		}
		for key, n := range want {
			if n > 0 {
				t.Errorf("%s: a finding of the report is not in SARIF: %s", tool, key)
			}
		}
	}
}

// sarifKey is a SARIF result's fields in one comparable string.
func sarifKey(rule, level, message, uri string, line, col int) string {
	return fmt.Sprintf("%s:%d:%d %s %s %q", uri, line, col, level, rule, message)
}

// A result with warnings only: fail-on error passes it (exit 0), fail-on warning fails it (exit 1);
// fail-on never passes it too. The warning is annotated as a warning either way.
func TestLintPython_FailOnDecidesAWarningOnlyResult(t *testing.T) {
	t.Parallel()
	requireLinters(t)
	for _, tc := range []struct {
		failOn string
		code   int
	}{{"error", 0}, {"warning", 1}, {"never", 0}} {
		t.Run(tc.failOn, func(t *testing.T) {
			t.Parallel()
			r := runner(t)
			ws := r.Env["GITHUB_WORKSPACE"]
			// W291 trailing whitespace: a warning (flake8's W codes), and nothing else.
			for name, text := range map[string]string{"setup.cfg": "[flake8]\nmax-line-length = 100\n", "app.py": "VALUE = 1 \n"} {
				if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res := r.Input("linters", "flake8").Input("fail-on", tc.failOn).Run(t, context.Background(), Main)
			if res.Code != tc.code {
				t.Errorf("fail-on %s: exit %d, want %d; log:\n%s", tc.failOn, res.Code, tc.code, res.Stdout)
			}
			var onFiles []actionkit.Annotation
			for _, a := range actiontest.Annotations(res.Stdout) {
				if a.File != "" {
					onFiles = append(onFiles, a)
				}
			}
			want := actionkit.Annotation{Level: actionkit.LevelWarning, File: "app.py", Line: 1, Col: 10, Title: "flake8 W291", Message: "trailing whitespace"}
			if len(onFiles) != 1 || onFiles[0] != want || res.Outputs["findings"] != "1" {
				t.Errorf("annotations %+v, findings output %q; want only %+v", onFiles, res.Outputs["findings"], want)
			}
		})
	}
}

package lint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The SARIF file holds what GitHub code scanning requires of each result
// (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
// version 2.1.0; one run per tool, tool.driver.name, its rules; each result's ruleId (the tool's
// name for a finding without a code), level (error, warning, note), message.text, and one physical
// location with a relative artifactLocation.uri and a region.startLine of at least 1 (a finding on
// the whole file, line 0, is on line 1); startColumn and endLine only when known. A tool without
// findings has an empty results array, and a report without tools an empty runs array, never null.
func TestWriteSARIF_WhatCodeScanningRequires(t *testing.T) {
	t.Parallel()
	rep := &Report{Tools: []ToolResult{
		{Tool: "flake8", Findings: []Finding{
			{Tool: "flake8", File: "app/models.py", Line: 3, Col: 5, Code: "F401", Message: "'os' imported but unused", Severity: SeverityError},
			{Tool: "flake8", File: "app/models.py", Line: 9, Col: 1, Code: "W391", Message: "blank line at end of file", Severity: SeverityWarning},
		}},
		{Tool: "black", Findings: []Finding{
			{Tool: "black", File: "app/views.py", Line: 0, Message: "would reformat", Severity: SeverityWarning},
		}},
		{Tool: "mypy", Findings: []Finding{
			{Tool: "mypy", File: "app/views.py", Line: 7, Col: 2, EndLine: 8, Code: "misc", Message: "see here", Severity: SeverityNotice},
		}},
		{Tool: "isort"},
	}}
	path := filepath.Join(t.TempDir(), "out", "lint.sarif")
	if err := rep.WriteSARIF(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	result := func(rule, level, msg, uri string, region map[string]any) map[string]any {
		return map[string]any{"ruleId": rule, "level": level, "message": map[string]any{"text": msg},
			"locations": []any{map[string]any{"physicalLocation": map[string]any{
				"artifactLocation": map[string]any{"uri": uri}, "region": region}}}}
	}
	run := func(tool string, rules []string, results ...any) map[string]any {
		rs := []any{}
		for _, r := range rules {
			rs = append(rs, map[string]any{"id": r})
		}
		if results == nil {
			results = []any{}
		}
		return map[string]any{"tool": map[string]any{"driver": map[string]any{"name": tool, "rules": rs}}, "results": results}
	}
	want := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{
			run("flake8", []string{"F401", "W391"},
				result("F401", "error", "'os' imported but unused", "app/models.py", map[string]any{"startLine": 3.0, "startColumn": 5.0}),
				result("W391", "warning", "blank line at end of file", "app/models.py", map[string]any{"startLine": 9.0, "startColumn": 1.0})),
			run("black", []string{"black"},
				result("black", "warning", "would reformat", "app/views.py", map[string]any{"startLine": 1.0})),
			run("mypy", []string{"misc"},
				result("misc", "note", "see here", "app/views.py", map[string]any{"startLine": 7.0, "startColumn": 2.0, "endLine": 8.0})),
			run("isort", nil),
		},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("SARIF:\n%s\nwant:\n%s", g, w)
	}

	path = filepath.Join(t.TempDir(), "empty.sarif")
	if err := (&Report{}).WriteSARIF(path); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !json.Valid(b) || !reflect.DeepEqual(decode(t, b)["runs"], []any{}) {
		t.Errorf("a report without tools: %s", b)
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

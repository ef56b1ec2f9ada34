package lint

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(b, '\n'))
}

// SARIF 2.1.0, the subset GitHub code scanning reads:
// https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name  string      `json:"name"`
	Rules []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID string `json:"id"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region struct {
			StartLine   int `json:"startLine"`
			StartColumn int `json:"startColumn,omitempty"`
			EndLine     int `json:"endLine,omitempty"`
		} `json:"region"`
	} `json:"physicalLocation"`
}

// WriteSARIF writes one SARIF run per tool, with workspace-relative URIs.
func (r *Report) WriteSARIF(path string) error {
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{}}
	for _, t := range r.Tools {
		run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: t.Tool, Rules: []sarifRule{}}}, Results: []sarifResult{}}
		rules := map[string]bool{}
		for _, f := range t.Findings {
			id := f.Code
			if id == "" {
				id = f.Tool
			}
			rules[id] = true
			level := map[Severity]string{SeverityError: "error", SeverityWarning: "warning", SeverityNotice: "note"}[f.Severity]
			var loc sarifLocation
			loc.PhysicalLocation.ArtifactLocation.URI = f.File
			loc.PhysicalLocation.Region.StartLine = max(f.Line, 1)
			loc.PhysicalLocation.Region.StartColumn = f.Col
			if f.EndLine >= f.Line {
				loc.PhysicalLocation.Region.EndLine = f.EndLine
			}
			run.Results = append(run.Results, sarifResult{RuleID: id, Level: level, Message: sarifMessage{f.Message}, Locations: []sarifLocation{loc}})
		}
		ids := make([]string, 0, len(rules))
		for id := range rules {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: id})
		}
		log.Runs = append(log.Runs, run)
	}
	b, err := json.MarshalIndent(log, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(b, '\n'))
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

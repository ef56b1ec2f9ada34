package lint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// flake8Format is the --format we pass to flake8, so its output is one parseable line per finding.
const flake8Format = "%(path)s:%(row)d:%(col)d: %(code)s %(text)s"

var flake8Line = regexp.MustCompile(`^(.+?):(\d+):(\d+): ([A-Z]+[0-9]+) (.*)$`)

func parseFlake8(stdout string, path func(string) string) []Finding {
	var out []Finding
	for _, line := range strings.Split(stdout, "\n") {
		m := flake8Line.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			continue
		}
		sev := SeverityError
		if strings.ContainsAny(m[4][:1], "WCND") {
			sev = SeverityWarning
		}
		out = append(out, Finding{Tool: "flake8", File: path(m[1]), Line: atoi(m[2], 0), Col: atoi(m[3], 0),
			Code: m[4], Message: m[5], Severity: sev})
	}
	return out
}

// mypyLine reads mypy's default output with --show-column-numbers --show-error-codes.
var mypyLine = regexp.MustCompile(`^(.+?):(\d+):(?:(\d+):)? (error|warning|note): (.*?)(?:  \[([a-z0-9-]+)\])?$`)

func parseMypy(stdout string, path func(string) string) []Finding {
	var out []Finding
	for _, line := range strings.Split(stdout, "\n") {
		m := mypyLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			continue
		}
		sev := Severity(m[4])
		if m[4] == "note" {
			sev = SeverityNotice
		}
		out = append(out, Finding{Tool: "mypy", File: path(m[1]), Line: atoi(m[2], 0), Col: atoi(m[3], 0),
			Code: m[6], Message: m[5], Severity: sev})
	}
	return out
}

type pylintMessage struct {
	Type      string `json:"type"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   *int   `json:"endLine"`
	Path      string `json:"path"`
	Symbol    string `json:"symbol"`
	Message   string `json:"message"`
	MessageID string `json:"message-id"`
}

func parsePylint(stdout string, path func(string) string) ([]Finding, error) {
	text := strings.TrimSpace(stdout)
	if text == "" {
		return nil, nil
	}
	var msgs []pylintMessage
	if err := json.Unmarshal([]byte(text), &msgs); err != nil {
		return nil, fmt.Errorf("pylint JSON output: %w", err)
	}
	out := make([]Finding, 0, len(msgs))
	for _, m := range msgs {
		sev := SeverityNotice
		switch m.Type {
		case "fatal", "error":
			sev = SeverityError
		case "warning":
			sev = SeverityWarning
		}
		f := Finding{Tool: "pylint", File: path(m.Path), Line: m.Line, Col: m.Column + 1, Code: m.MessageID,
			Message: m.Message + " (" + m.Symbol + ")", Severity: sev}
		if m.EndLine != nil {
			f.EndLine = *m.EndLine
		}
		out = append(out, f)
	}
	return out, nil
}

type ruffMessage struct {
	Code     *string `json:"code"`
	Message  string  `json:"message"`
	Filename string  `json:"filename"`
	Location struct {
		Row    int `json:"row"`
		Column int `json:"column"`
	} `json:"location"`
	EndLocation struct {
		Row int `json:"row"`
	} `json:"end_location"`
}

func parseRuff(stdout string, path func(string) string) ([]Finding, error) {
	text := strings.TrimSpace(stdout)
	if text == "" {
		return nil, nil
	}
	var msgs []ruffMessage
	if err := json.Unmarshal([]byte(text), &msgs); err != nil {
		return nil, fmt.Errorf("ruff JSON output: %w", err)
	}
	out := make([]Finding, 0, len(msgs))
	for _, m := range msgs {
		code := "syntax-error"
		if m.Code != nil {
			code = *m.Code
		}
		out = append(out, Finding{Tool: "ruff", File: path(m.Filename), Line: m.Location.Row, Col: m.Location.Column,
			EndLine: m.EndLocation.Row, Code: code, Message: m.Message, Severity: SeverityError})
	}
	return out, nil
}

// key identifies a finding for comparisons and de-duplication: file, line and code.
func (f Finding) key() string { return f.File + ":" + strconv.Itoa(f.Line) + ":" + f.Code }

package lint

import (
	"regexp"
	"strconv"
	"strings"
)

// fileDiff is one file of a unified diff.
type fileDiff struct {
	OldPath, NewPath string
	Hunks            []hunk
}

// hunk is one @@ section: line numbers and counts on each side, and its text.
type hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	Text               string
}

var hunkHeader = regexp.MustCompile(`^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@`)

// parseUnifiedDiff reads the unified diffs that git, black, isort and ruff print. Header paths are
// cleaned of timestamps, isort's ":before"/":after" and git's a/ and b/ prefixes.
func parseUnifiedDiff(text string, gitPrefixes bool) []fileDiff {
	var files []fileDiff
	var cur *fileDiff
	var h *hunk
	var body strings.Builder
	closeHunk := func() {
		if h != nil && cur != nil {
			h.Text = body.String()
			cur.Hunks = append(cur.Hunks, *h)
		}
		h = nil
		body.Reset()
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "--- ") && i+1 < len(lines) && strings.HasPrefix(lines[i+1], "+++ "):
			closeHunk()
			files = append(files, fileDiff{
				OldPath: cleanDiffPath(line[4:], gitPrefixes, "a/"),
				NewPath: cleanDiffPath(lines[i+1][4:], gitPrefixes, "b/"),
			})
			cur = &files[len(files)-1]
			i++
		case strings.HasPrefix(line, "@@ "):
			closeHunk()
			m := hunkHeader.FindStringSubmatch(line)
			if m == nil || cur == nil {
				continue
			}
			h = &hunk{OldStart: atoi(m[1], 0), OldLines: atoi(m[2], 1), NewStart: atoi(m[3], 0), NewLines: atoi(m[4], 1)}
			body.WriteString(line + "\n")
		case h != nil && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") || strings.HasPrefix(line, `\`)):
			body.WriteString(line + "\n")
		default:
			closeHunk()
		}
	}
	closeHunk()
	return files
}

func cleanDiffPath(p string, gitPrefixes bool, prefix string) string {
	if i := strings.IndexByte(p, '\t'); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimSuffix(strings.TrimSuffix(p, ":before"), ":after")
	if gitPrefixes {
		if p == "/dev/null" {
			return ""
		}
		p = strings.TrimPrefix(unquoteGitPath(p), prefix)
	}
	return strings.TrimSpace(p)
}

// cEscapes are the one-letter escapes of git's C-style quoting.
var cEscapes = map[byte]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v'}

// unquoteGitPath reads a path git quoted in C style ("b/caf\303\251.py"): git quotes a name with a
// quote, a backslash or a control character, and, unless core.quotePath is false, any byte above
// 0x7f. Anything else is returned as it is.
func unquoteGitPath(p string) string {
	if len(p) < 2 || p[0] != '"' || p[len(p)-1] != '"' {
		return p
	}
	var b []byte
	s := p[1 : len(p)-1]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b = append(b, c)
			continue
		}
		i++
		e := s[i]
		switch c, ok := cEscapes[e]; {
		case ok:
			b = append(b, c)
		case e >= '0' && e <= '3' && i+2 < len(s):
			b = append(b, (e-'0')<<6|(s[i+1]-'0')<<3|(s[i+2]-'0'))
			i += 2
		default:
			b = append(b, e)
		}
	}
	return string(b)
}

func atoi(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// formatterFindings turns a formatter's --diff output into one "would reformat" finding per hunk, on
// the lines of the file as it is (the diff's old side).
func formatterFindings(tool, diff string, path func(string) string) []Finding {
	var out []Finding
	for _, f := range parseUnifiedDiff(diff, false) {
		for _, h := range f.Hunks {
			start, end := changedOldRange(h)
			out = append(out, Finding{
				Tool: tool, File: path(f.OldPath), Line: start, EndLine: end, Code: "format",
				Message:  "would reformat " + LineSpan(start, end) + " (" + tool + ")",
				Severity: SeverityError, Diff: h.Text,
			})
		}
	}
	return out
}

// changedOldRange narrows a hunk to the old-side lines it really changes (formatters print context
// lines around a change), so a finding points at what would be rewritten.
func changedOldRange(h hunk) (int, int) {
	line := h.OldStart
	first, last := 0, 0
	for _, l := range strings.Split(h.Text, "\n")[1:] {
		switch {
		case strings.HasPrefix(l, "-"):
			if first == 0 {
				first = line
			}
			last = line
			line++
		case strings.HasPrefix(l, "+"):
			// An insertion sits between line-1 and line: point at the line before it.
			at := max(line-1, 1)
			if first == 0 {
				first = at
			}
			last = max(last, at)
		case strings.HasPrefix(l, " "):
			line++
		}
	}
	if first == 0 {
		return max(h.OldStart, 1), max(h.OldStart+h.OldLines-1, 1)
	}
	return first, last
}

// LineSpan says "line 3" or "lines 3-7".
func LineSpan(start, end int) string {
	if end <= start {
		return "line " + strconv.Itoa(start)
	}
	return "lines " + strconv.Itoa(start) + "-" + strconv.Itoa(end)
}

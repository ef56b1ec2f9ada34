package lint

import (
	"strings"
)

// Suggestion is a formatter's fix as a review suggestion: replace lines StartLine..EndLine of File
// (as it is in the pull request's head) with Text.
type Suggestion struct {
	Tool, File         string
	StartLine, EndLine int
	Text               string
}

// Suggestions turns formatter findings into suggestions. GitHub accepts a review comment only on
// lines of the pull request's diff, so a suggestion whose lines are not all in changed is left out;
// the count of those is returned.
func Suggestions(findings []Finding, changed Changes) ([]Suggestion, int) {
	var out []Suggestion
	left := 0
	for _, f := range findings {
		if f.Diff == "" {
			continue
		}
		s, ok := suggestionOf(f)
		if !ok || !changed.covers(s.File, s.StartLine, s.EndLine) {
			left++
			continue
		}
		out = append(out, s)
	}
	return out, left
}

// covers reports whether every line from start to end is in one changed range of file.
func (c Changes) covers(file string, start, end int) bool {
	for _, r := range c[file] {
		if r.Start <= start && end <= r.End {
			return true
		}
	}
	return false
}

// suggestionOf narrows a formatter hunk to the lines it changes: context lines around the change are
// dropped; a pure insertion keeps the line before it (or after it, at the top of a file) to anchor on.
func suggestionOf(f Finding) (Suggestion, bool) {
	lines := strings.Split(strings.TrimSuffix(f.Diff, "\n"), "\n")
	m := hunkHeader.FindStringSubmatch(lines[0])
	if m == nil {
		return Suggestion{}, false
	}
	type op struct {
		kind byte
		text string
		old  int // the old-side line number (for ' ' and '-')
	}
	var ops []op
	old := atoi(m[1], 0)
	for _, l := range lines[1:] {
		if l == "" || l[0] == '\\' {
			continue
		}
		o := op{kind: l[0], text: l[1:]}
		if o.kind != '+' {
			o.old = old
			old++
		}
		ops = append(ops, o)
	}
	first, last := -1, -1
	for i, o := range ops {
		if o.kind != ' ' {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return Suggestion{}, false
	}
	removes := false
	for _, o := range ops[first : last+1] {
		removes = removes || o.kind == '-'
	}
	if !removes { // a pure insertion: take a context line along
		switch {
		case first > 0:
			first--
		case last+1 < len(ops):
			last++
		default:
			return Suggestion{}, false
		}
	}
	s := Suggestion{Tool: f.Tool, File: f.File}
	var text []string
	for _, o := range ops[first : last+1] {
		if o.kind != '+' {
			if s.StartLine == 0 {
				s.StartLine = o.old
			}
			s.EndLine = o.old
		}
		if o.kind != '-' {
			text = append(text, o.text)
		}
	}
	if len(text) > 0 {
		s.Text = strings.Join(text, "\n") + "\n"
	}
	return s, true
}

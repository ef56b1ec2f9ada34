package actionkit

import (
	"fmt"
	"html"
	"strings"
	"sync"
)

// maxSummaryBytes keeps a step summary under GitHub's cap of 1 MiB per step, with room for the note
// that says it was cut.
const maxSummaryBytes = 1024*1024 - 4096

// Summary builds the Markdown of a step summary. Every piece of text is escaped (outside text cannot
// add HTML, links or table cells) and redacted; pieces that would pass GitHub's size cap are dropped
// and a note says how many.
type Summary struct {
	mu      sync.Mutex
	b       strings.Builder
	secrets *secrets
	dropped int
}

func newSummary(s *secrets) *Summary { return &Summary{secrets: s} }

// Heading adds a heading of the given level (1–6).
func (s *Summary) Heading(level int, text string) {
	level = max(1, min(level, 6))
	s.add(strings.Repeat("#", level) + " " + EscapeMarkdown(text) + "\n\n")
}

// Paragraph adds escaped text.
func (s *Summary) Paragraph(text string) { s.add(EscapeMarkdown(text) + "\n\n") }

// Table adds a table; every cell is escaped.
func (s *Summary) Table(header []string, rows [][]string) {
	var b strings.Builder
	writeRow := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + EscapeCell(c) + " |")
		}
		b.WriteString("\n")
	}
	writeRow(header)
	b.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, r := range rows {
		writeRow(r)
	}
	b.WriteString("\n")
	s.add(b.String())
}

// Markdown adds Markdown the caller built itself, for what Heading, Table and Paragraph cannot say
// (links): every piece of outside text in it must have gone through EscapeMarkdown or EscapeCell.
// Secrets are redacted, as everywhere.
func (s *Summary) Markdown(md string) { s.add(strings.TrimRight(md, "\n") + "\n\n") }

// Details adds a collapsed block with preformatted outside text (a log tail, a diff).
func (s *Summary) Details(title, body string) {
	s.add("<details><summary>" + html.EscapeString(title) + "</summary>\n\n<pre>" +
		html.EscapeString(body) + "</pre>\n\n</details>\n\n")
}

func (s *Summary) add(piece string) {
	piece = s.secrets.redact(piece)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len()+len(piece) > maxSummaryBytes {
		s.dropped++
		return
	}
	s.b.WriteString(piece)
}

// String is the summary so far, with a note when pieces were dropped.
func (s *Summary) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	if s.dropped > 0 {
		out += fmt.Sprintf("\n_The summary reached GitHub's 1 MiB limit: %d more part(s) are in the log._\n", s.dropped)
	}
	return out
}

var markdownEscaper = strings.NewReplacer(
	"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "#", "\\#", "|", "\\|", "!", "\\!",
)

// EscapeMarkdown makes outside text literal in Markdown: no emphasis, links, images or HTML.
func EscapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// EscapeCell makes text literal inside one table cell: also no line breaks.
func EscapeCell(s string) string {
	s = EscapeMarkdown(s)
	s = strings.ReplaceAll(s, "\r\n", "<br>")
	return strings.NewReplacer("\n", "<br>", "\r", "<br>").Replace(s)
}

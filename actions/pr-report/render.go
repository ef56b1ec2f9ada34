package prreport

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/junit"
)

// esc makes outside text literal in the comment: no Markdown, and no @mention that would notify
// someone (a test's message naming a user or team).
func esc(s string) string { return strings.ReplaceAll(actionkit.EscapeMarkdown(s), "@", "&#64;") }

// cell is esc inside a table cell.
func cell(s string) string { return strings.ReplaceAll(actionkit.EscapeCell(s), "@", "&#64;") }

// markdown is the comment (and step summary): a table of lint, unit and E2E, what changed since
// the base, the top lint findings with links to their lines, and the images with their digests.
// Every piece of outside text (test names, messages, paths) is escaped.
func (r *report) markdown() string {
	var b strings.Builder
	b.WriteString("### slipway: pull request report\n\n")
	b.WriteString("| check | result | details | time |\n| --- | --- | --- | --- |\n")
	if r.lint != nil {
		verdict := "✅ no findings"
		if n := len(r.lint.Findings); n > 0 {
			verdict = fmt.Sprintf("❌ %d %s", n, plural("finding", n))
		}
		fmt.Fprintf(&b, "| lint | %s | on the changed lines (%d elsewhere not shown) | %s |\n", verdict, r.lint.Filtered, dur(r.lint.Elapsed))
	} else {
		b.WriteString("| lint | — not run | no lint report | |\n")
	}
	for _, kind := range kinds {
		s := r.suites[kind]
		if s == nil {
			fmt.Fprintf(&b, "| %s | — not run | no JUnit report | |\n", kind)
			continue
		}
		verdict := "✅ passed"
		if s.Failed > 0 {
			verdict = "❌ failed"
		}
		details := fmt.Sprintf("%d passed, %d failed, %d skipped", s.Tests-s.Failed-s.Skipped, s.Failed, s.Skipped)
		if f, p := compare(s, r.baseSuite(kind)); len(f)+len(p) > 0 {
			details += fmt.Sprintf("; %d newly failing, %d newly passing", len(f), len(p))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", kind, verdict, details, dur(s.Time))
	}
	b.WriteString("\n")
	r.changes(&b)
	r.failures(&b)
	r.findings(&b)
	r.images(&b)
	if len(r.problems) > 0 {
		b.WriteString("**Not read:**\n\n")
		for _, p := range r.problems {
			b.WriteString("- " + esc(p) + "\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// changes lists the newly failing and newly passing cases against the base.
func (r *report) changes(b *strings.Builder) {
	if r.base == nil {
		if r.cfg.BaseResults != "" {
			b.WriteString("_No base results to compare with yet._\n\n")
		}
		return
	}
	base := "the base branch"
	if r.base.Ref != "" {
		base = "`" + strings.ReplaceAll(r.base.Ref, "`", "") + "`"
	}
	if r.base.SHA != "" {
		base += " at " + shortSHA(r.base.SHA)
	}
	for _, kind := range kinds {
		failing, passing := compare(r.suites[kind], r.baseSuite(kind))
		r.list(b, fmt.Sprintf("Newly failing %s cases against %s", kind, base), failing, true)
		r.list(b, fmt.Sprintf("Newly passing %s cases against %s", kind, base), passing, false)
	}
}

func (r *report) list(b *strings.Builder, title string, cs []junit.Change, message bool) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(b, "**%s:** %d\n\n", title, len(cs))
	for i, c := range cs {
		if i == r.cfg.Top {
			fmt.Fprintf(b, "- … and %d more\n", len(cs)-i)
			break
		}
		line := "- " + r.where(c.Case) + "`" + strings.ReplaceAll(caseID(c.Case), "`", "'") + "`"
		if message && c.Case.Message != "" {
			line += " — " + esc(firstLine(c.Case.Message))
		}
		if message && c.Base == "" && r.base != nil {
			line += " (new)"
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n")
}

// failures lists the failing cases of each suite (top N) when there is no base to tell which are new.
func (r *report) failures(b *strings.Builder) {
	if r.base != nil {
		return
	}
	for _, kind := range kinds {
		s := r.suites[kind]
		if s == nil || s.Failed == 0 {
			continue
		}
		var cs []junit.Change
		for _, c := range s.report.Cases {
			if o := c.Outcome(); o == junit.Failed || o == junit.Errored {
				cs = append(cs, junit.Change{Case: c})
			}
		}
		r.list(b, "Failing "+kind+" cases", cs, true)
	}
}

// findings lists the top lint findings with links to their lines at the commit under review.
func (r *report) findings(b *strings.Builder) {
	if r.lint == nil || len(r.lint.Findings) == 0 {
		return
	}
	n := len(r.lint.Findings)
	fmt.Fprintf(b, "**Lint findings on the changed lines** (%d of %d):\n\n", min(n, r.cfg.Top), n)
	for _, f := range r.lint.Findings[:min(n, r.cfg.Top)] {
		b.WriteString("- " + r.link(f.File, f.Line) + " " + esc(strings.TrimSpace(f.Tool+" "+f.Code)) + " " + esc(firstLine(f.Message)) + "\n")
	}
	b.WriteString("\n")
}

// images lists the images built, with their digests.
func (r *report) images(b *strings.Builder) {
	if len(r.cfg.Images) == 0 {
		return
	}
	b.WriteString("**Images built:**\n\n| image | digest | tags |\n| --- | --- | --- |\n")
	for _, im := range r.cfg.Images {
		digest := im.Digest
		if digest == "" {
			digest = "not pushed (" + im.ID + ")"
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", cell(im.Name), code(digest), cell(strings.Join(im.Tags, ", ")))
	}
	b.WriteString("\n")
}

// where is the case's link to its file and line, with a space; "" when it has none.
func (r *report) where(c junit.Case) string {
	if c.File == "" {
		return ""
	}
	return r.link(c.File, c.Line) + " "
}

// link is [file:line](…/blob/sha/file#Lline), or the escaped text alone when the run's repository
// or commit is unknown.
func (r *report) link(file string, line int) string {
	text := file
	if line > 0 {
		text = fmt.Sprintf("%s:%d", file, line)
	}
	if r.repo == "" || r.sha == "" {
		return esc(text)
	}
	segs := strings.Split(strings.TrimPrefix(file, "./"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := fmt.Sprintf("%s/%s/blob/%s/%s", strings.TrimRight(r.server, "/"), r.repo, url.PathEscape(r.sha), strings.Join(segs, "/"))
	if line > 0 {
		u += fmt.Sprintf("#L%d", line)
	}
	return "[" + esc(text) + "](" + strings.NewReplacer("(", "%28", ")", "%29").Replace(u) + ")"
}

func code(s string) string { return "`" + strings.ReplaceAll(s, "`", "") + "`" }

func shortSHA(s string) string { return code(s[:min(len(s), 7)]) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func plural(s string, n int) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

func dur(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return d.Round(10 * time.Millisecond).String()
}

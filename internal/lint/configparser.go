package lint

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reads and writes INI files as Python's configparser does (CPython 3.11,
// Lib/configparser.py, RawConfigParser._read): pylint, mypy and flake8 read their INI config with it.
// It is lint's one INI reader: detection, the tools' config searches and exclusions, and untrusted
// mode all read through parseINI. Reading follows configparser closely so that a sanitised copy
// means what the original meant; the safety of the copy does not depend on that, but on the writer,
// which only writes what it can spell in one way (see renderINI).

// iniDialect is how one linter sets up configparser.
type iniDialect struct {
	// inlineComments: "#" and ";" after whitespace start a comment (pylint's
	// inline_comment_prefixes); mypy and flake8 use RawConfigParser's default, none.
	inlineComments bool
}

// iniFile is a parsed INI file: its sections in order, DEFAULT apart.
type iniFile struct {
	defaults *iniSection // the DEFAULT section, nil when absent
	sections []*iniSection
}

// iniSection is one section with its keys in order.
type iniSection struct {
	name string
	keys []iniKey
}

// iniKey is one option: its name (lowercased, as configparser's optionxform does) and the lines of
// its value (the first, and the continuation lines; "" for a blank line inside the value).
type iniKey struct {
	name  string
	lines []string
}

// value is the key's value as configparser returns it: the lines joined, trailing blanks removed.
func (k iniKey) value() string {
	return strings.TrimRightFunc(strings.Join(k.lines, "\n"), pySpace)
}

// pySpace reports whether Python's str.isspace is true of r (Unicode category Zs, or bidirectional
// class WS, B or S): the whitespace str.strip() removes and \s matches.
func pySpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0d, r >= 0x1c && r <= 0x20, r == 0x85, r == 0xa0, r == 0x1680,
		r >= 0x2000 && r <= 0x200a, r == 0x2028, r == 0x2029, r == 0x202f, r == 0x205f, r == 0x3000:
		return true
	}
	return false
}

// anySpace is any character some reader might take for whitespace: Python's, Go's, and the
// zero-width ones. The writer's checks use it to err on the side of refusing.
func anySpace(r rune) bool {
	return pySpace(r) || unicode.IsSpace(r) || r == 0x180e || r == 0x200b || r == 0xfeff
}

func pyStrip(s string) string { return strings.TrimFunc(s, pySpace) }

// universalLines splits text into lines as Python's text files do (universal newlines: "\r\n",
// "\r" and "\n" each end a line).
func universalLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// parseINI reads an INI file as configparser.read does with the dialect's settings: strict (a
// repeated section or key is an error), "=" and ":" as delimiters, "#" and ";" full-line comments,
// blank lines kept inside values, DEFAULT apart. Any error configparser raises is an error here.
func parseINI(text string, d iniDialect) (*iniFile, error) {
	if !utf8.ValidString(text) {
		return nil, errors.New("the file is not UTF-8")
	}
	text = strings.TrimPrefix(text, "\ufeff")
	r := &iniReader{dialect: d, f: &iniFile{}, keyAt: -1, seen: map[string]bool{}}
	for n, line := range universalLines(text) {
		if err := r.line(line); err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
	}
	return r.f, nil
}

// iniReader is parseINI between two lines: the file so far, the section and the key being read,
// and the indent of the line that set the key (a line indented deeper continues its value).
type iniReader struct {
	dialect     iniDialect
	f           *iniFile
	cur         *iniSection
	keyAt       int // the index in cur.keys of the key being read, -1 for none
	indentLevel int
	seen        map[string]bool // the sections read, DEFAULT aside
}

// line reads one line: a comment or a blank line (a blank one inside a value is kept), a line of
// the value being read, a section header, or a key.
func (r *iniReader) line(line string) error {
	runes := []rune(line)
	value, commented := r.content(line, runes)
	if value == "" {
		if !commented && r.cur != nil && r.keyAt >= 0 {
			r.cur.keys[r.keyAt].lines = append(r.cur.keys[r.keyAt].lines, "")
		}
		return nil
	}
	indent := 0
	for i, c := range runes {
		if !pySpace(c) {
			indent = i
			break
		}
	}
	if r.cur != nil && r.keyAt >= 0 && indent > r.indentLevel {
		r.cur.keys[r.keyAt].lines = append(r.cur.keys[r.keyAt].lines, value)
		return nil
	}
	r.indentLevel = indent
	if header, ok := sectionHeader(value); ok {
		return r.section(header)
	}
	return r.key(value)
}

// content is the line without its comment (a full-line one, or with the dialect's inline
// comments one after whitespace), stripped; commented says a comment was cut.
func (r *iniReader) content(line string, runes []rune) (string, bool) {
	commentStart := -1
	if r.dialect.inlineComments {
		commentStart = inlineCommentStart(runes)
	}
	if s := pyStrip(line); strings.HasPrefix(s, "#") || strings.HasPrefix(s, ";") {
		commentStart = 0
	}
	value := line
	if commentStart >= 0 {
		value = string(runes[:commentStart])
	}
	return pyStrip(value), commentStart >= 0
}

// section starts the section header: DEFAULT apart, any other once only.
func (r *iniReader) section(header string) error {
	switch {
	case header == "DEFAULT":
		if r.f.defaults == nil {
			r.f.defaults = &iniSection{name: header}
		}
		r.cur = r.f.defaults
	case r.seen[header]:
		return fmt.Errorf("section %q is repeated", header)
	default:
		r.seen[header] = true
		r.cur = &iniSection{name: header}
		r.f.sections = append(r.f.sections, r.cur)
	}
	r.keyAt = -1
	return nil
}

// key starts a key of the section being read: the name before the first "=" or ":" (lower case,
// as configparser's optionxform makes it), once only in the section, and the first line of its
// value after it.
func (r *iniReader) key(value string) error {
	if r.cur == nil {
		return errors.New("a key before any [section]")
	}
	i := strings.IndexAny(value, "=:")
	if i < 0 {
		return errors.New("neither a [section] nor key = value")
	}
	name := strings.ToLower(strings.TrimRightFunc(value[:i], pySpace))
	if name == "" {
		return errors.New("a value without a key")
	}
	for _, k := range r.cur.keys {
		if k.name == name {
			return fmt.Errorf("key %q is repeated in [%s]", name, r.cur.name)
		}
	}
	r.cur.keys = append(r.cur.keys, iniKey{name: name, lines: []string{pyStrip(value[i+1:])}})
	r.keyAt = len(r.cur.keys) - 1
	return nil
}

// sectionHeader matches configparser's SECTCRE, \[(?P<header>.+)\], against a stripped line: it
// starts with "[", and the header runs to the last "]".
func sectionHeader(value string) (string, bool) {
	end := strings.LastIndexByte(value, ']')
	if !strings.HasPrefix(value, "[") || end < 2 {
		return "", false
	}
	return value[1:end], true
}

// inlineCommentStart is configparser's search for an inline comment ("#" or ";" at the start of
// the line or after whitespace), kept as it is written, rounds and all; -1 when there is none.
func inlineCommentStart(line []rune) int {
	start := -1
	next := map[rune]int{'#': -1, ';': -1}
	for start < 0 && len(next) > 0 {
		found := map[rune]int{}
		for _, prefix := range []rune{'#', ';'} {
			from, ok := next[prefix]
			if !ok {
				continue
			}
			i := indexRune(line, prefix, from+1)
			if i < 0 {
				continue
			}
			found[prefix] = i
			if i == 0 || pySpace(line[i-1]) {
				if start < 0 || i < start {
					start = i
				}
			}
		}
		next = found
	}
	return start
}

func indexRune(line []rune, r rune, from int) int {
	for i := from; i < len(line); i++ {
		if line[i] == r {
			return i
		}
	}
	return -1
}

// folded is the section as a linter reads it through configparser's section proxy: its own keys,
// then DEFAULT's keys it does not have.
func (f *iniFile) folded(s *iniSection) *iniSection {
	out := &iniSection{name: s.name, keys: append([]iniKey(nil), s.keys...)}
	if f.defaults == nil {
		return out
	}
	for _, dk := range f.defaults.keys {
		if !s.has(dk.name) {
			out.keys = append(out.keys, dk)
		}
	}
	return out
}

func (s *iniSection) has(name string) bool {
	for _, k := range s.keys {
		if k.name == name {
			return true
		}
	}
	return false
}

// readINIFile reads file as configparser does with the dialect's settings (see parseINI).
func readINIFile(file string, d iniDialect) (*iniFile, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return parseINI(string(b), d)
}

// section is the section of that name (DEFAULT's keys not folded in), nil when there is none.
func (f *iniFile) section(name string) *iniSection {
	for _, s := range f.sections {
		if s.name == name {
			return s
		}
	}
	return nil
}

// get is the value of the key name as configparser returns it; false when the section has none.
func (s *iniSection) get(name string) (string, bool) {
	for _, k := range s.keys {
		if k.name == name {
			return k.value(), true
		}
	}
	return "", false
}

// readINISection is the section name of file as a linter reads it through configparser (DEFAULT's
// keys folded in); nil when file is "", does not parse, or has no such section.
func readINISection(file, name string, d iniDialect) *iniSection {
	f, err := readINIFile(file, d)
	if err != nil {
		return nil
	}
	s := f.section(name)
	if s == nil {
		return nil
	}
	return f.folded(s)
}

var (
	plainINIKey     = regexp.MustCompile(`^[a-z0-9_][a-z0-9_.-]*$`)
	plainINISection = regexp.MustCompile(`^[A-Za-z0-9_.:*,/-]+(?: [A-Za-z0-9_.:*,/-]+)*$`)
)

// renderINI writes sections as configparser reads them back exactly: "[name]" lines, "key = first
// line", and each further line of a value indented by a tab, no blank line inside a value, no
// DEFAULT section. Only plain section names and keys are written (the caller leaves the others
// out): so every key line is read as that key, and every other line as part of the value above it,
// whatever the value holds.
func renderINI(sections []*iniSection) string {
	var b strings.Builder
	for _, s := range sections {
		fmt.Fprintf(&b, "[%s]\n", s.name)
		for _, k := range s.keys {
			b.WriteString(strings.Join(renderINIKey(k), "\n"))
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// renderINIKey is the lines one key is written as. A first line that starts with "#" or ";" follows
// the delimiter at once: after a space it would be read as a comment.
func renderINIKey(k iniKey) []string {
	values := iniValueLines(k)
	sep := " = "
	if strings.HasPrefix(values[0], "#") || strings.HasPrefix(values[0], ";") {
		sep = " ="
	}
	out := []string{k.name + sep + values[0]}
	for _, v := range values[1:] {
		out = append(out, "\t"+v)
	}
	return out
}

// iniValueLines are the lines of the key's value as written: each stripped, no blank line after the
// first, split wherever Python's file reading ends a line. Joined with "\n", they are the value the
// linter reads back.
func iniValueLines(k iniKey) []string {
	var parts []string
	for _, l := range k.lines {
		parts = append(parts, universalLines(l+"\n")...)
	}
	out := []string{""}
	if len(parts) > 0 {
		out[0], parts = pyStrip(parts[0]), parts[1:]
	}
	for _, p := range parts {
		if p = pyStrip(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// hasInlineComment reports whether configparser with inline comments would cut line short: "#" or
// ";" after whitespace.
func hasInlineComment(line string) bool {
	prev := ' '
	for i, r := range line {
		if (r == '#' || r == ';') && i > 0 && pySpace(prev) {
			return true
		}
		prev = r
	}
	return false
}

package lint

import (
	"regexp"
	"strings"
)

// The patterns of the tools' exclusions (scope.go), as Go regular expressions: Python's fnmatch
// globs (flake8) and Python regular expressions (black, mypy, pylint), each translated here and
// nowhere else.

// fnmatchRegexp translates a shell pattern as Python's fnmatch does: * and ? match a slash too.
func fnmatchRegexp(pattern string) string {
	var b strings.Builder
	b.WriteString("^(?s:")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(pattern[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := pattern[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(")$")
	return b.String()
}

// stringList reads a TOML string or list (a string split at commas and lines when csv).
func stringList(v any, csv bool) []string {
	var out []string
	switch v := v.(type) {
	case string:
		if !csv {
			return []string{pythonRegexp(v)}
		}
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' }) {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, pythonRegexp(s))
			}
		}
	}
	return out
}

// pythonRegexp turns a Python regular expression into one Go reads: a multi-line one is in verbose
// mode (black's rule), whose spaces and comments are dropped.
func pythonRegexp(re string) string {
	if !strings.Contains(re, "\n") && !strings.HasPrefix(re, "(?x)") {
		return re
	}
	re = strings.TrimPrefix(re, "(?x)")
	var b strings.Builder
	inClass, escaped, comment := false, false, false
	for _, r := range re {
		switch {
		case comment:
			comment = r != '\n'
			continue
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == '[':
			inClass = true
		case r == ']':
			inClass = false
		case !inClass && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			continue
		case !inClass && r == '#':
			comment = true
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// anchor makes each pattern match at the start only, as Python's re.match does.
func anchor(patterns []string) []string {
	out := make([]string, len(patterns))
	for i, p := range patterns {
		out[i] = "^(?:" + p + ")"
	}
	return out
}

// compileAll compiles the patterns Go can read; one it cannot (a look-behind) is left out, so a file
// it would have excluded is linted rather than lost.
func compileAll(patterns ...string) []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, p := range patterns {
		if p == "" {
			continue
		}
		if re, err := regexp.Compile(p); err == nil {
			out = append(out, re)
		}
	}
	return out
}

func searchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

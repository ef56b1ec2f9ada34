package actionkit

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"
)

// Level is an annotation's kind.
type Level string

// The three annotation levels GitHub knows.
const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelNotice  Level = "notice"
)

// Annotation is a message GitHub shows on a file and line of the pull request.
type Annotation struct {
	Level   Level
	File    string // relative to the workspace root
	Line    int
	Col     int
	EndLine int
	EndCol  int
	Title   string
	Message string
}

// maxAnnotationsPerLevel is how many annotations of one level GitHub shows for a step; the rest are
// dropped by the runner, so slipway lists them in the summary instead.
const maxAnnotationsPerLevel = 10

// maxAnnotationMessage is the longest message slipway sends in one annotation.
const maxAnnotationMessage = 4096

type annotationLog struct {
	printed  map[Level]int
	overflow []Annotation
	total    map[Level]int
	all      []Annotation // every annotation, for the end-of-run hooks (a check run)
}

// Annotate prints an annotation, or, past GitHub's cap of 10 per level, keeps it for the summary.
// The message and title are untrusted-safe: the command encoding escapes line breaks.
func (k *Kit) Annotate(a Annotation) {
	if a.Level == "" {
		a.Level = LevelError
	}
	a.Message = truncateUTF8(k.secrets.redact(a.Message), maxAnnotationMessage)
	a.Title = truncateUTF8(k.secrets.redact(a.Title), 256)
	k.mu.Lock()
	if k.annotations.printed == nil {
		k.annotations.printed = map[Level]int{}
		k.annotations.total = map[Level]int{}
	}
	k.annotations.total[a.Level]++
	k.annotations.all = append(k.annotations.all, a)
	// Locally every annotation is printed in full, so nothing overflows.
	show := k.local || k.annotations.printed[a.Level] < maxAnnotationsPerLevel
	if show {
		k.annotations.printed[a.Level]++
	} else {
		k.annotations.overflow = append(k.annotations.overflow, a)
	}
	k.mu.Unlock()

	if k.local || !show {
		k.println(Neutralise(formatLocal(a)))
		return
	}
	props := githubactions.CommandProperties{}
	if a.File != "" {
		props["file"] = a.File
		if a.Line > 0 {
			props["line"] = strconv.Itoa(a.Line)
		}
		if a.Col > 0 {
			props["col"] = strconv.Itoa(a.Col)
		}
		if a.EndLine > 0 {
			props["endLine"] = strconv.Itoa(a.EndLine)
		}
		if a.EndCol > 0 {
			props["endColumn"] = strconv.Itoa(a.EndCol)
		}
	}
	if a.Title != "" {
		props["title"] = a.Title
	}
	k.gha.IssueCommand(&githubactions.Command{Name: string(a.Level), Message: a.Message, Properties: props})
}

// Errorf reports an error without a file: the reason a run failed.
func (k *Kit) Errorf(format string, args ...any) {
	k.Annotate(Annotation{Level: LevelError, Message: fmt.Sprintf(format, args...)})
}

// Warningf reports a warning without a file.
func (k *Kit) Warningf(format string, args ...any) {
	k.Annotate(Annotation{Level: LevelWarning, Message: fmt.Sprintf(format, args...)})
}

// formatLocal renders an annotation the way compilers do, so terminals and editors can jump to it.
func formatLocal(a Annotation) string {
	var b strings.Builder
	if a.File != "" {
		b.WriteString(a.File)
		if a.Line > 0 {
			fmt.Fprintf(&b, ":%d", a.Line)
			if a.Col > 0 {
				fmt.Fprintf(&b, ":%d", a.Col)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(string(a.Level))
	b.WriteString(": ")
	if a.Title != "" {
		b.WriteString("[" + a.Title + "] ")
	}
	b.WriteString(strings.ReplaceAll(a.Message, "\n", "\n    "))
	return b.String()
}

func (l *annotationLog) writeOverflow(s *Summary) {
	if len(l.overflow) == 0 {
		return
	}
	counts := map[Level]int{}
	for _, a := range l.overflow {
		counts[a.Level]++
	}
	var parts []string
	for _, lv := range []Level{LevelError, LevelWarning, LevelNotice} {
		if counts[lv] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[lv], lv))
		}
	}
	s.Heading(3, "More annotations")
	s.Paragraph(fmt.Sprintf("GitHub shows %d annotations of each kind per step; %s more are listed here.",
		maxAnnotationsPerLevel, strings.Join(parts, ", ")))
	rows := make([][]string, 0, len(l.overflow))
	for _, a := range l.overflow {
		loc := a.File
		if a.Line > 0 {
			loc += ":" + strconv.Itoa(a.Line)
		}
		rows = append(rows, []string{string(a.Level), loc, a.Title, a.Message})
	}
	s.Table([]string{"level", "location", "title", "message"}, rows)
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = " … (truncated)"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

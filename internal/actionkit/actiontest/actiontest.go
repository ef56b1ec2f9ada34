// Package actiontest runs an action's realMain against a fake GitHub Actions runner: INPUT_* variables,
// temporary GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STEP_SUMMARY files, and a model of how the runner reads
// workflow commands from the log and outputs from the file, so that tests can assert what a real
// runner would have seen.
package actiontest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
)

// Runner is a fake runner environment for one step.
type Runner struct {
	Env         map[string]string
	OutputFile  string
	EnvFile     string
	SummaryFile string
}

// NewRunner makes a runner environment in GitHub Actions mode (GITHUB_ACTIONS=true) with temp files.
func NewRunner(t testing.TB) *Runner {
	t.Helper()
	dir := t.TempDir()
	r := &Runner{
		OutputFile:  filepath.Join(dir, "output"),
		EnvFile:     filepath.Join(dir, "env"),
		SummaryFile: filepath.Join(dir, "summary"),
	}
	for _, f := range []string{r.OutputFile, r.EnvFile, r.SummaryFile} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.Env = map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_OUTPUT":       r.OutputFile,
		"GITHUB_ENV":          r.EnvFile,
		"GITHUB_STEP_SUMMARY": r.SummaryFile,
		"GITHUB_WORKSPACE":    dir,
		"RUNNER_TEMP":         dir,
	}
	return r
}

// Input sets INPUT_<NAME> as the runner does for `with:` keys.
func (r *Runner) Input(name, value string) *Runner {
	r.Env["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = value
	return r
}

// Getenv reads the fake environment.
func (r *Runner) Getenv(key string) string { return r.Env[key] }

// Result is what one run produced.
type Result struct {
	Code    int
	Stdout  string
	Outputs map[string]string
	EnvVars map[string]string
	Summary string
}

// MainFunc is an action's realMain.
type MainFunc func(ctx context.Context, opts ...actionkit.Option) int

// Run calls main with this environment and args and collects what it wrote.
func (r *Runner) Run(t testing.TB, ctx context.Context, main MainFunc, args ...string) Result {
	t.Helper()
	var out bytes.Buffer
	code := main(ctx, actionkit.WithGetenv(r.Getenv), actionkit.WithStdout(&out), actionkit.WithArgs(args))
	res := Result{Code: code, Stdout: out.String()}
	var err error
	if res.Outputs, err = ParseFileCommands(readFile(t, r.OutputFile)); err != nil {
		t.Fatalf("GITHUB_OUTPUT as the runner reads it: %v", err)
	}
	if res.EnvVars, err = ParseFileCommands(readFile(t, r.EnvFile)); err != nil {
		t.Fatalf("GITHUB_ENV as the runner reads it: %v", err)
	}
	res.Summary = readFile(t, r.SummaryFile)
	return res
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ParseFileCommands reads a GITHUB_OUTPUT or GITHUB_ENV file the way the runner does (see NormaliseLineBreaks): `name=value`
// lines and `name<<DELIMITER` heredocs that end at a line equal to the delimiter. A name set twice keeps
// the last value, as the runner does.
func ParseFileCommands(content string) (map[string]string, error) {
	vars := map[string]string{}
	lines := strings.Split(NormaliseLineBreaks(content), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq := strings.Index(line, "=")
		hd := strings.Index(line, "<<")
		if hd >= 0 && (eq < 0 || hd < eq) {
			name, delim := line[:hd], line[hd+2:]
			if name == "" || delim == "" {
				return nil, fmt.Errorf("line %d: malformed heredoc %q", i+1, line)
			}
			var value []string
			closed := false
			for i++; i < len(lines); i++ {
				if lines[i] == delim {
					closed = true
					break
				}
				value = append(value, lines[i])
			}
			if !closed {
				return nil, fmt.Errorf("heredoc %q: delimiter %q never closes", name, delim)
			}
			vars[name] = strings.Join(value, "\n")
			continue
		}
		if eq <= 0 {
			return nil, fmt.Errorf("line %d: %q is neither name=value nor a heredoc", i+1, line)
		}
		vars[line[:eq]] = line[eq+1:]
	}
	return vars, nil
}

// NormaliseLineBreaks turns \r\n and lone \r into \n: the runner reads files with .NET's ReadLine,
// for which all three end a line.
func NormaliseLineBreaks(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// Command is a workflow command the runner would act on, its message and properties as written
// (still escaped).
type Command struct {
	Name       string
	Message    string
	Properties string // "file=app.py,line=3", for ::name props::message
}

// Commands lists the workflow commands a runner would act on in a log: "::name props::message" at the
// start of a line after leading white space, and the legacy "##[name]message" anywhere in a line;
// between ::stop-commands::TOKEN and ::TOKEN:: nothing but the resume line is a command.
func Commands(log string) []Command {
	var cmds []Command
	stopToken := ""
	for _, line := range strings.Split(log, "\n") {
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimLeftFunc(line, isDotNetSpace)
		if stopToken != "" {
			if trimmed == "::"+stopToken+"::" {
				stopToken = ""
			}
			continue
		}
		if strings.HasPrefix(trimmed, "::") {
			rest := trimmed[2:]
			end := strings.Index(rest, "::")
			if end > 0 {
				head := rest[:end]
				name, props, _ := strings.Cut(head, " ")
				msg := rest[end+2:]
				cmds = append(cmds, Command{Name: name, Message: msg, Properties: props})
				if name == "stop-commands" && msg != "" {
					stopToken = msg
				}
				continue
			}
		}
		if i := strings.Index(line, "##["); i >= 0 {
			rest := line[i+3:]
			if end := strings.Index(rest, "]"); end > 0 {
				name, _, _ := strings.Cut(rest[:end], " ")
				cmds = append(cmds, Command{Name: name, Message: rest[end+1:]})
			}
		}
	}
	return cmds
}

// Annotations lists the annotations a runner would show from a log (::error, ::warning, ::notice),
// decoded as the runner decodes a command's message and properties (actions/runner's
// ActionCommand.TryParse: %25 %0D %0A in both, %3A %2C in properties).
func Annotations(log string) []actionkit.Annotation {
	var out []actionkit.Annotation
	for _, c := range Commands(log) {
		if c.Name != "error" && c.Name != "warning" && c.Name != "notice" {
			continue
		}
		a := actionkit.Annotation{Level: actionkit.Level(c.Name), Message: unescapeData(c.Message)}
		for _, p := range strings.Split(c.Properties, ",") {
			k, v, ok := strings.Cut(p, "=")
			if !ok {
				continue
			}
			v = unescapeProperty(v)
			n, _ := strconv.Atoi(v)
			switch k {
			case "file":
				a.File = v
			case "line":
				a.Line = n
			case "col":
				a.Col = n
			case "endLine":
				a.EndLine = n
			case "endColumn":
				a.EndCol = n
			case "title":
				a.Title = v
			}
		}
		out = append(out, a)
	}
	return out
}

func unescapeData(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(s)
}

func unescapeProperty(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

// isDotNetSpace is .NET's char.IsWhiteSpace, which the runner's TrimStart uses.
func isDotNetSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// CommandNames lists the distinct command names in a log, sorted.
func CommandNames(log string) []string {
	seen := map[string]bool{}
	for _, c := range Commands(log) {
		seen[c.Name] = true
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CopyDir copies a testdata tree into a new temp dir (tools write caches next to what they check;
// those must not land in the repository) and returns the copy's path.
func CopyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	// Every user may read the copy, as a checked-out workspace: the linters run as the sandbox
	// user when the tests run as root.
	for _, d := range []string{dst, filepath.Dir(dst)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

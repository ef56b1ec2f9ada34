package actionkit

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/sethvargo/go-githubactions"
)

// Kit is what an action's main talks to. Make one with New; it is safe for concurrent use (linters
// and services report from several goroutines).
type Kit struct {
	meta    *Metadata
	program string
	getenv  func(string) string
	out     *redactWriter // stdout, redacted
	gha     *githubactions.Action
	local   bool
	debug   bool
	args    []string
	flags   map[string]string
	help    bool
	flagErr error

	secrets *secrets

	mu          sync.Mutex
	read        map[string]bool
	undeclared  map[string]bool
	outputs     []keyValue // local mode: printed by Finish
	outputErrs  []error    // outputs that could not be written: Run exits 3
	untrusted   []*untrustedWriter
	annotations annotationLog
	summary     *Summary
	atEnd       []func(context.Context, Outcome)
}

type keyValue struct{ key, value string }

// Option configures a Kit; tests use them to run a main against a fake environment.
type Option func(*Kit)

// WithGetenv replaces the process's environment (INPUT_*, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY...).
func WithGetenv(f func(string) string) Option { return func(k *Kit) { k.getenv = f } }

// WithStdout replaces os.Stdout, where logs and workflow commands go.
func WithStdout(w io.Writer) Option { return func(k *Kit) { k.out.w = w } }

// WithArgs gives the command-line arguments (without the program name); the default is os.Args[1:].
func WithArgs(args []string) Option { return func(k *Kit) { k.flags = nil; k.args = args } }

// New returns a Kit for the action described by actionYML (the action's embedded action.yml). The
// program runs in local mode, as a CLI, when GITHUB_ACTIONS is not "true". A malformed action.yml is a
// bug of ours and panics.
func New(program string, actionYML []byte, opts ...Option) *Kit {
	meta, err := ParseMetadata(actionYML)
	if err != nil {
		panic(fmt.Sprintf("%s: embedded %v", program, err))
	}
	k := &Kit{
		meta:       meta,
		program:    program,
		getenv:     processGetenv,
		out:        &redactWriter{w: os.Stdout},
		secrets:    &secrets{},
		read:       map[string]bool{},
		undeclared: map[string]bool{},
		args:       os.Args[1:],
	}
	k.out.secrets = k.secrets
	for _, o := range opts {
		o(k)
	}
	k.local = k.getenv("GITHUB_ACTIONS") != "true"
	k.debug = k.getenv("RUNNER_DEBUG") == "1"
	k.gha = githubactions.New(githubactions.WithGetenv(k.getenv), githubactions.WithWriter(k.out))
	k.flags, k.help, k.flagErr = parseFlags(meta, k.args)
	if k.flags["debug"] != "" {
		k.debug = true
	}
	k.summary = newSummary(k.secrets)
	return k
}

// Local reports whether the program runs as a CLI rather than inside GitHub Actions.
func (k *Kit) Local() bool { return k.local }

// Workspace is the run's checkout: GITHUB_WORKSPACE, or the working directory when the program runs
// as a local CLI. It is absolute.
func (k *Kit) Workspace() string {
	ws := k.getenv("GITHUB_WORKSPACE")
	if ws == "" {
		ws, _ = os.Getwd()
	}
	if abs, err := filepath.Abs(cmp.Or(ws, ".")); err == nil {
		return abs
	}
	return ws
}

// Getenv reads the environment the Kit was given (the real one, or a test's).
func (k *Kit) Getenv(key string) string { return k.getenv(key) }

// HelpRequested reports whether --help or -h was given; the main prints Help and exits 0.
func (k *Kit) HelpRequested() bool { return k.help }

// Help prints the CLI usage built from action.yml.
func (k *Kit) Help() { k.meta.WriteHelp(k.out, k.program); _ = k.out.Flush() }

// Infof prints a line of progress. The text is neutralised: a line of ours can never issue a command,
// whatever outside text was formatted into it.
func (k *Kit) Infof(format string, args ...any) {
	k.println(Neutralise(fmt.Sprintf(format, args...)))
}

// Debugf prints only when the run is in debug mode (RUNNER_DEBUG=1, or --debug locally).
func (k *Kit) Debugf(format string, args ...any) {
	if !k.debug {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if k.local {
		k.println("debug: " + Neutralise(msg))
		return
	}
	k.gha.Debugf("%s", msg)
}

func (k *Kit) println(s string) {
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	_, _ = io.WriteString(k.out, s)
}

// Group starts a collapsible group of log lines; EndGroup ends it.
func (k *Kit) Group(title string) {
	if k.local {
		k.println("▸ " + Neutralise(title))
		return
	}
	k.gha.Group(title)
}

// EndGroup ends the group started by Group.
func (k *Kit) EndGroup() {
	if !k.local {
		k.gha.EndGroup()
	}
}

// Untrusted returns a writer for text from outside (tool output, container logs, API messages). In
// GitHub Actions it is printed inside a ::stop-commands:: block with a random token, so no line of it
// can issue a workflow command; secrets are redacted. Close it before issuing commands again: while a
// block is open, commands printed by anyone (an annotation from another goroutine) are ignored too,
// so keep one block per burst of outside text.
func (k *Kit) Untrusted() io.WriteCloser {
	if k.local {
		return localUntrusted{k.out}
	}
	u := newUntrustedWriter(k.out)
	k.mu.Lock()
	k.untrusted = append(k.untrusted, u)
	k.mu.Unlock()
	return &flushingCloser{u, k.out}
}

// closeUntrusted ends every untrusted block still open (a panic, or a writer left unclosed by
// mistake), so that the annotation saying why the run failed is read as a command.
func (k *Kit) closeUntrusted() {
	k.mu.Lock()
	open := k.untrusted
	k.untrusted = nil
	k.mu.Unlock()
	_ = k.out.Flush()
	for _, u := range open {
		_ = u.Close()
	}
	_ = k.out.Flush()
}

type flushingCloser struct {
	*untrustedWriter
	out *redactWriter
}

func (f *flushingCloser) Close() error {
	if err := f.out.Flush(); err != nil {
		return err
	}
	if err := f.untrustedWriter.Close(); err != nil {
		return err
	}
	return f.out.Flush()
}

// AddMask registers a secret: from now on it is redacted from everything slipway writes, and the
// runner masks it in the log. Its lines and base64 form are registered too.
func (k *Kit) AddMask(secret string) {
	for _, form := range maskForms(secret) {
		if !k.secrets.add(form) {
			continue
		}
		tellGuard(form)
		if !k.local {
			_ = k.out.writeRaw("::add-mask::" + escapeCommandData(form) + "\n")
		}
	}
}

// AddBasicAuthMask masks a user:password pair and the base64 forms a registry login produces.
func (k *Kit) AddBasicAuthMask(user, password string) {
	k.AddMask(password)
	if user != "" && password != "" {
		k.AddMask(user + ":" + password)
	}
}

// Redact replaces every registered secret in s, for text that leaves the Kit by another way (a report
// file, an artifact, a PR comment).
func (k *Kit) Redact(s string) string { return k.secrets.redact(s) }

func escapeCommandData(v string) string {
	v = strings.ReplaceAll(v, "%", "%25")
	v = strings.ReplaceAll(v, "\r", "%0D")
	return strings.ReplaceAll(v, "\n", "%0A")
}

var outputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// SetOutput sets a step output. The value is written to GITHUB_OUTPUT as a heredoc with a random
// delimiter, so no value can inject another output. A value that holds a secret is refused. An output
// that could not be written fails the run (exit 3, naming the output) when Run ends, whether or not
// the caller looks at the error: the next job would otherwise act on a value that is not there.
func (k *Kit) SetOutput(name, value string) error {
	err := k.setOutput(name, value)
	if err != nil {
		k.mu.Lock()
		k.outputErrs = append(k.outputErrs, err)
		k.mu.Unlock()
	}
	return err
}

func (k *Kit) setOutput(name, value string) error {
	if _, ok := k.meta.Outputs[name]; !ok {
		return fmt.Errorf("output %q is not declared in action.yml (a bug in slipway)", name)
	}
	if err := k.checkFileCommand("output", name, value); err != nil {
		return err
	}
	if k.local && k.getenv("GITHUB_OUTPUT") == "" {
		k.mu.Lock()
		k.outputs = append(k.outputs, keyValue{name, value})
		k.mu.Unlock()
		return nil
	}
	return k.fileCommand("output", name, value)
}

// SetEnv exports an environment variable to the following steps, through GITHUB_ENV.
func (k *Kit) SetEnv(name, value string) error {
	if err := k.checkFileCommand("env", name, value); err != nil {
		return err
	}
	if k.getenv("GITHUB_ENV") == "" {
		if k.local {
			return nil
		}
		return fmt.Errorf("GITHUB_ENV is not set")
	}
	return k.fileCommand("env", name, value)
}

func (k *Kit) checkFileCommand(kind, name, value string) error {
	if !outputName.MatchString(name) {
		return fmt.Errorf("%s name %q: use letters, digits, '-' and '_'", kind, name)
	}
	if k.secrets.contains(value) {
		return fmt.Errorf("%s %q would contain a secret; not written", kind, name)
	}
	return nil
}

// fileCommand writes name<<DELIM\nvalue\nDELIM through go-githubactions, with a delimiter that the
// value does not contain (the library's own SetOutput uses a fixed one).
func (k *Kit) fileCommand(kind, name, value string) (err error) {
	delim := "ghadelimiter_" + randomToken()
	for strings.Contains(value, delim) {
		delim = "ghadelimiter_" + randomToken()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing %s %q: %v", kind, name, r)
		}
	}()
	k.gha.IssueFileCommand(&githubactions.Command{
		Name:    kind,
		Message: name + "<<" + delim + "\n" + value + "\n" + delim,
	})
	return nil
}

// Summary is the step summary of this run; Finish writes it.
func (k *Kit) Summary() *Summary { return k.summary }

// Finish ends the run: it reports the annotations past GitHub's cap in the summary, writes the
// summary (GITHUB_STEP_SUMMARY, or stdout when run locally) and, locally, prints the outputs.
func (k *Kit) Finish() error {
	k.annotations.writeOverflow(k.summary)
	_ = k.out.Flush()
	var firstErr error
	if text := k.summary.String(); text != "" {
		if k.getenv("GITHUB_STEP_SUMMARY") != "" {
			firstErr = k.fileCommandRaw("step-summary", text)
		} else if k.local {
			k.println("\n── summary ──\n" + text)
		}
	}
	k.mu.Lock()
	outs := append([]keyValue(nil), k.outputs...)
	k.mu.Unlock()
	if len(outs) > 0 {
		sort.SliceStable(outs, func(i, j int) bool { return outs[i].key < outs[j].key })
		k.println("\n── outputs ──")
		for _, o := range outs {
			k.println(o.key + "=" + Neutralise(o.value))
		}
	}
	_ = k.out.Flush()
	return firstErr
}

func (k *Kit) fileCommandRaw(kind, text string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("writing %s: %v", kind, r)
		}
	}()
	k.gha.IssueFileCommand(&githubactions.Command{Name: kind, Message: k.secrets.redact(text)})
	return nil
}

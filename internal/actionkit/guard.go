package actionkit

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/sethvargo/go-githubactions"
)

// guardEnv names the file in which a guarded child reports the exit code it chose.
const guardEnv = "SLIPWAY_GUARD_EXIT_FILE"

// Guard runs main in a child process of this same program and returns the child's exit code, so that
// a crash Run cannot recover from (a panic in another goroutine, a fatal runtime error, a kill) is
// exit 3 with an error annotation, never Go's exit 2, which slipway reserves for bad input. The child
// writes the code it chose to a file; a child that ends without writing one crashed. Signals the
// runner sends on cancel (SIGINT, SIGTERM) are passed on to the child. Each action's main is
// os.Exit(actionkit.Guard(...)).
//
// Before anything else, Guard moves the INPUT_* and ACTIONS_* variables out of the process's
// environment (see inputsFDEnv), so that no process of the run shows them in /proc/<pid>/environ. The child's stderr
// (Go's crash report, and whatever the processes it starts write there) reaches the log redacted:
// the child tells Guard each secret it registers, in order, on that same stream.
//
// When the annotation cannot be printed where the runner reads commands (the child crashed inside an
// open untrusted block, whose token only it knew), the reason is in the step summary too.
func Guard(main func() int) int {
	if path := os.Getenv(guardEnv); path != "" {
		receiveInputs(inheritedInputs())
		forwardMasks.Store(true)
		code := main()
		_ = os.WriteFile(path, []byte(strconv.Itoa(code)), 0o600)
		return code
	}
	moveInputsOutOfEnvironment()
	inputs := inheritedInputs()
	exe, err := os.Executable()
	if err != nil {
		return runHere(main, inputs)
	}
	report, err := os.CreateTemp("", "slipway-exit-")
	if err != nil {
		return runHere(main, inputs)
	}
	_ = report.Close()
	defer os.Remove(report.Name())

	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(withoutVar(os.Environ(), inputsFDEnv), guardEnv+"="+report.Name())
	if inputs != nil {
		cmd.ExtraFiles = []*os.File{inputs} // the child's descriptor 3
		cmd.Env = append(cmd.Env, inputsFDEnv+"=3")
	}
	cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
	dieWithParent(cmd)
	secrets := &secrets{}
	head := &headBuffer{max: 64 << 10}
	stderr := &maskRelay{secrets: secrets, next: &redactWriter{w: &teeWriter{os.Stderr, head}, secrets: secrets}}
	cmd.Stderr = stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		signal.Stop(sigs)
		return runHere(main, inputs)
	}
	if inputs != nil {
		_ = inputs.Close() // the child has its own; this process never reads them
		_ = os.Unsetenv(inputsFDEnv)
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	waitErr := cmd.Wait()
	stderr.Flush()
	if data, err := os.ReadFile(report.Name()); err == nil {
		if code, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			return code
		}
	}
	reportCrash(secrets, secrets.redact(crashReason(head.String(), waitErr)))
	return ExitInfra
}

// runHere runs main in this process, with the inputs handed over in f, when no child can be started.
func runHere(main func() int, f *os.File) int {
	receiveInputs(f)
	return main()
}

// crashReason is the first line of Go's crash report ("panic: …", "fatal error: …"), or how the
// process ended.
func crashReason(stderr string, waitErr error) string {
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			return line
		}
	}
	if waitErr != nil {
		return waitErr.Error()
	}
	return "ended without reporting an exit code"
}

// reportCrash says why the run failed, where GitHub shows it: an error annotation and a line of the
// step summary; locally, a line on stderr.
func reportCrash(secrets *secrets, reason string) {
	msg := "slipway crashed (a bug in slipway; the log holds Go's stack trace, please report it): " + reason
	if os.Getenv("GITHUB_ACTIONS") != "true" {
		_, _ = os.Stderr.WriteString("error: " + msg + "\n")
		return
	}
	gha := githubactions.New()
	gha.Errorf("%s", msg)
	if os.Getenv("GITHUB_STEP_SUMMARY") != "" {
		s := newSummary(secrets)
		s.Paragraph("Failed: " + msg)
		func() {
			defer func() { _ = recover() }() // an unwritable summary file: the annotation stands
			gha.AddStepSummary(s.String())
		}()
	}
}

// headBuffer keeps the first max bytes written to it: where Go's crash report begins (the program
// itself writes nothing else to stderr).
type headBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *headBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if room := t.max - t.buf.Len(); room > 0 {
		t.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (t *headBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// teeWriter writes to w and keeps a copy in t; a failed write to w does not stop the copy.
type teeWriter struct {
	w io.Writer
	t *headBuffer
}

func (tw *teeWriter) Write(p []byte) (int, error) {
	_, _ = tw.t.Write(p)
	_, _ = tw.w.Write(p)
	return len(p), nil
}

// forwardMasks is set in a guarded child: AddMask then tells Guard each secret, on stderr.
var forwardMasks atomic.Bool

// maskLine starts a line of the guarded child's stderr that registers a secret with Guard; the
// rest of the line is the secret, escaped as workflow command data. Guard never prints such a line.
const maskLine = "\x1eslipway-guard:add-mask:"

// tellGuard registers a secret with Guard in one write to stderr, so that it precedes, on the same
// stream, anything the child writes there later (Go's crash report, a tool's error).
func tellGuard(secret string) {
	if forwardMasks.Load() {
		_, _ = os.Stderr.WriteString(maskLine + escapeCommandData(secret) + "\n")
	}
}

// maxMaskLine is the longest line maskRelay holds to see whether it registers a secret.
const maxMaskLine = 1 << 20

// maskRelay passes a guarded child's stderr on to next, a redactWriter sharing its secrets, after
// taking out the lines that register secrets (maskLine) and adding those to the set.
type maskRelay struct {
	mu      sync.Mutex
	secrets *secrets
	next    *redactWriter
	partial []byte
}

func (m *maskRelay) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.partial = append(m.partial, p...)
	for {
		i := bytes.IndexByte(m.partial, '\n')
		if i < 0 {
			break
		}
		m.line(string(m.partial[:i+1]))
		m.partial = m.partial[i+1:]
	}
	if len(m.partial) > maxMaskLine { // plain text up to where a line of ours may start
		i := strings.Index(string(m.partial), maskLine)
		if i < 0 {
			i = len(m.partial)
		}
		_, _ = m.next.Write(m.partial[:i])
		m.partial = m.partial[i:]
	}
	return len(p), nil
}

// line handles one line, with its newline.
func (m *maskRelay) line(l string) {
	i := strings.Index(l, maskLine)
	if i < 0 {
		_, _ = m.next.Write([]byte(l))
		return
	}
	m.secrets.add(unescapeCommandData(strings.TrimSuffix(l[i+len(maskLine):], "\n")))
	if i > 0 { // text another writer left unterminated before it
		_, _ = m.next.Write([]byte(l[:i] + "\n"))
	}
	// A line of ours always ends the write that holds it: nothing follows it on its line.
}

// Flush passes on what is left and flushes next.
func (m *maskRelay) Flush() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.partial) > 0 {
		m.line(string(m.partial))
		m.partial = nil
	}
	_ = m.next.Flush()
}

func unescapeCommandData(v string) string {
	v = strings.ReplaceAll(v, "%0A", "\n")
	v = strings.ReplaceAll(v, "%0D", "\r")
	return strings.ReplaceAll(v, "%25", "%")
}

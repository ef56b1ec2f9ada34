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
// When the annotation cannot be printed where the runner reads commands (the child crashed inside an
// open untrusted block, whose token only it knew), the reason is in the step summary too.
func Guard(main func() int) int {
	if path := os.Getenv(guardEnv); path != "" {
		code := main()
		_ = os.WriteFile(path, []byte(strconv.Itoa(code)), 0o600)
		return code
	}
	exe, err := os.Executable()
	if err != nil {
		return main()
	}
	report, err := os.CreateTemp("", "slipway-exit-")
	if err != nil {
		return main()
	}
	_ = report.Close()
	defer os.Remove(report.Name())

	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), guardEnv+"="+report.Name())
	cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
	dieWithParent(cmd)
	head := &headBuffer{max: 64 << 10}
	cmd.Stderr = &teeWriter{os.Stderr, head}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		signal.Stop(sigs)
		return main()
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	waitErr := cmd.Wait()
	if data, err := os.ReadFile(report.Name()); err == nil {
		if code, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			return code
		}
	}
	reportCrash(crashReason(head.String(), waitErr))
	return ExitInfra
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
func reportCrash(reason string) {
	msg := "slipway crashed (a bug in slipway; the log holds Go's stack trace, please report it): " + reason
	if os.Getenv("GITHUB_ACTIONS") != "true" {
		_, _ = os.Stderr.WriteString("error: " + msg + "\n")
		return
	}
	gha := githubactions.New()
	gha.Errorf("%s", msg)
	if os.Getenv("GITHUB_STEP_SUMMARY") != "" {
		s := newSummary(&secrets{})
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

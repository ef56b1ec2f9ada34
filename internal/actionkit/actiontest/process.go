package actiontest

import (
	"bytes"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
)

// Process is an action's program started as the runner starts a step: in the runner's environment
// only, its stdout and stderr one log.
type Process struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
	err    error
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Start starts program with args in r's environment (and PATH, extra entries added) and kills it
// when the test ends, if it is still running.
func (r *Runner) Start(t testing.TB, program string, args []string, extra ...string) *Process {
	t.Helper()
	cmd := exec.Command(program, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, extra...)
	for k, v := range r.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &Process{cmd: cmd, out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.exited })
	return p
}

// Log is what the program printed so far.
func (p *Process) Log() string { return p.out.String() }

// Signal sends sig to the program.
func (p *Process) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// Wait waits for the program to end, at most d, and returns its exit code; ended is false when it
// is still running.
func (p *Process) Wait(d time.Duration) (code int, ended bool) {
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode(), true
	case <-time.After(d):
		return -1, false
	}
}

// Cancel cancels the step on the runner's cancel timeline: first, SIGTERM
// actionkit.CancelSIGTERMAfter later, SIGKILL actionkit.CancelSIGKILLAfter after that. It returns
// the exit code, how long the program went on after the first signal, and whether the runner would
// have had to kill it.
func (p *Process) Cancel(t testing.TB, first os.Signal) (code int, took time.Duration, killed bool) {
	t.Helper()
	sent := time.Now()
	p.Signal(t, first)
	if code, ended := p.Wait(actionkit.CancelSIGTERMAfter); ended {
		return code, time.Since(sent), false
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code, ended := p.Wait(actionkit.CancelSIGKILLAfter); ended {
		return code, time.Since(sent), false
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	return p.cmd.ProcessState.ExitCode(), time.Since(sent), true
}

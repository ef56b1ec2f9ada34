package process

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/slipway-actions/slipway/internal/sandbox"
)

// Command is one child process to run to its end. Every one runs in the sandbox (see Run).
type Command struct {
	Argv  []string
	Dir   string
	Env   []string
	Stdin io.Reader // nil: /dev/null
	// Writes are the absolute directories it writes besides its home (a virtual environment, a
	// build directory, mypy's cache): the sandbox user's for its run only.
	Writes []string
}

// Outcome is what a process did: its output, exit code, wall time and CPU time.
type Outcome struct {
	Stdout, Stderr string
	Code           int
	Elapsed, CPU   time.Duration
}

// Run runs c and returns its outcome; an exit code is an outcome, not an error. The error is for
// a process that could not start, or a cancelled context.
//
// Every process runs in the sandbox: a linter runs the plugins and hooks a repository's config
// names, pip runs a project's build code, an interpreter of the project's environment runs the .pth
// files its packages installed, and git reads a .git/config an earlier step may have written. As root
// in the action's container any of them could use the runner's Docker socket or read what only root
// may; as the sandbox user none can. It reads the workspace as every user may, and writes its own
// home (HOME, TMPDIR, XDG_CACHE_HOME; see sandboxHome) and c.Writes: the rest of the workspace is
// not its to write.
func Run(ctx context.Context, c Command) (Outcome, error) {
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin = c.Dir, c.Env, c.Stdin
	// A tool in a process group of its own: cancelling (a cancelled step, SIGTERM) kills the group, so
	// its worker processes (black's, flake8's, pylint's) go with it and none keeps the output open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := sandbox.Run(cmd, sandbox.Options{Writes: c.Writes, Home: sandboxHome})
	o := Outcome{Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	if cmd.ProcessState != nil {
		o.Code = cmd.ProcessState.ExitCode()
		o.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return o, ctx.Err()
	case errors.As(err, &exitErr) && err == error(exitErr): // not joined to an error of the sandbox
		return o, nil
	case err != nil:
		return o, err
	}
	return o, nil
}

// sandboxHome prepares a sandboxed process's home (it writes there, not in the workspace):
// setuptools, building a project pip installs from a directory, writes its egg-info into the
// project's tree unless its user config (~/.pydistutils.cfg) says where; ruff fails where it cannot
// write its cache, which is in the project unless RUFF_CACHE_DIR says where.
func sandboxHome(home string) ([]string, error) {
	cfg := "# written by slipway: a project's build writes its metadata here, not into the workspace\n[egg_info]\negg_base = " + home + "\n"
	if err := os.WriteFile(filepath.Join(home, ".pydistutils.cfg"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	return []string{"RUFF_CACHE_DIR=" + filepath.Join(home, ".cache", "ruff")}, nil
}

// Tail keeps the last lines of s (what a process printed, for an error).
func Tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

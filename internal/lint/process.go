package lint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/slipway-actions/slipway/internal/sandbox"
)

// allowedEnv is the part of the environment a linter sees: never tokens or INPUT_* values.
var allowedEnv = []string{"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH",
	"XDG_CACHE_HOME", "RUFF_CACHE_DIR", "PYLINTHOME", "PYTHONUTF8", "MYPYPATH"}

// pipEnv is what pip sees besides: where packages come from. A private index URL may carry a token;
// pip never prints it, and it reaches no linter.
var pipEnv = []string{"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_FIND_LINKS",
	"PIP_NO_INDEX", "PIP_CERT", "PIP_CLIENT_CERT", "PIP_CONFIG_FILE", "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR",
	"PIP_DEFAULT_TIMEOUT", "PIP_RETRIES", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy",
	"https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"}

// environ builds child environments from an injected getenv (the Kit's, in the action).
type environ func(string) string

func (getenv environ) pick(names []string, extra ...string) []string {
	if getenv == nil {
		getenv = os.Getenv
	}
	env := []string{"NO_COLOR=1"}
	for _, k := range names {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// linter is the environment of a linter; extra entries (KEY=VALUE) replace inherited ones.
func (getenv environ) linter(extra ...string) []string {
	return override(getenv.pick(allowedEnv), extra)
}

// pip is the environment of pip and the interpreter queries.
func (getenv environ) pip() []string {
	return getenv.pick(append(append([]string(nil), allowedEnv...), pipEnv...), "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1")
}

// neutralDir is where the interpreter is asked about itself (python -c puts its working directory
// first on the import path): not the workspace, whose json.py or re.py would run in place of the
// standard library's.
const neutralDir = "/"

// query is the environment of those questions: pip's, and the working directory kept off the
// import path (Python 3.11+) for good measure.
func (getenv environ) query() []string {
	return override(getenv.pip(), []string{"PYTHONSAFEPATH=1"})
}

// override sets each KEY=VALUE of extra in env, replacing an inherited value.
func override(env, extra []string) []string {
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		env = deleteKey(env, k)
		env = append(env, kv)
	}
	return env
}

func deleteKey(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// process is one child process to run to its end. Every one runs in the sandbox (see execute).
type process struct {
	argv  []string
	dir   string
	env   []string
	stdin io.Reader // nil: /dev/null
	// writes are the absolute directories it writes besides its home (a virtual environment, a
	// build directory, mypy's cache): the sandbox user's for its run only.
	writes []string
}

// outcome is what a process did: its output, exit code, wall time and CPU time.
type outcome struct {
	stdout, stderr string
	code           int
	elapsed, cpu   time.Duration
}

// execute runs p and returns its outcome; an exit code is an outcome, not an error. The error is for
// a process that could not start, or a cancelled context.
//
// Every process runs in the sandbox: a linter runs the plugins and hooks a repository's config
// names, pip runs a project's build code, an interpreter of the project's environment runs the .pth
// files its packages installed, and git reads a .git/config an earlier step may have written. As root
// in the action's container any of them could use the runner's Docker socket or read what only root
// may; as the sandbox user none can. It reads the workspace as every user may, and writes its own
// home (HOME, TMPDIR, XDG_CACHE_HOME; see sandboxHome) and p.writes: the rest of the workspace is
// not its to write.
func execute(ctx context.Context, p process) (outcome, error) {
	cmd := exec.CommandContext(ctx, p.argv[0], p.argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdin = p.dir, p.env, p.stdin
	// A tool in a process group of its own: cancelling (a cancelled step, SIGTERM) kills the group, so
	// its worker processes (black's, flake8's, pylint's) go with it and none keeps the output open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := sandbox.Run(cmd, sandbox.Options{Writes: p.writes, Home: sandboxHome})
	o := outcome{stdout: stdout.String(), stderr: stderr.String(), elapsed: time.Since(start)}
	if cmd.ProcessState != nil {
		o.code = cmd.ProcessState.ExitCode()
		o.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
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

// git runs git in dir. Every call says the repository is safe: in a container action the checkout
// belongs to the runner's user (uid 1001) while git runs as the sandbox user, and git refuses such
// a repository ("detected dubious ownership") unless safe.directory names it. It is given on the
// command line, for this call only; no config file is written. Paths print unquoted
// (core.quotePath=false), so a non-ASCII file name reads as itself.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	argv := []string{"git", "-c", "core.quotePath=false"}
	for _, top := range repositoryRoots(dir) {
		argv = append(argv, "-c", "safe.directory="+top)
	}
	o, err := execute(ctx, process{argv: append(argv, args...), dir: dir,
		env: environ(os.Getenv).linter("GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1")})
	if err == nil && o.code != 0 {
		err = errors.New(strings.TrimSpace(o.stderr))
	}
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimRight(o.stdout, "\n"), nil
}

// repositoryRoots finds the work tree that holds dir (the nearest directory above it with a .git)
// without asking git, which would refuse to answer; both its path and its resolved path, since git
// compares safe.directory with the path it computes.
func repositoryRoots(dir string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			roots := []string{d}
			if real, err := filepath.EvalSymlinks(d); err == nil && real != d {
				roots = append(roots, real)
			}
			return roots
		}
		if filepath.Dir(d) == d {
			return nil
		}
	}
}

// tail keeps the last lines of s.
func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

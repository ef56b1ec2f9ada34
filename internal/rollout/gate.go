package rollout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/sandbox"
)

// Gate decides after each step whether the rollout may go on: a URL that must answer 2xx and/or
// a shell command that must exit 0. Both run when both are given.
type Gate struct {
	URL     string
	Command string
	Dir     string        // where the command runs
	Timeout time.Duration // for each check; 0 means 5 minutes
	Env     func(string) string
}

// GateResult is what a gate said.
type GateResult struct {
	OK        bool
	Cancelled bool   // the run was cancelled while the gate checked: no verdict on the step
	Detail    string // one line: "https://… answered 200", "command exited 1"
	Output    string // the command's output, untrusted text
}

// errGateTimeout ends a check that outlived the gate's own timeout: a verdict, unlike a cancel.
var errGateTimeout = errors.New("the gate's timeout passed")

// commandWaitDelay is how long a killed gate command's output pipe may stay open (held by a
// process that left its group) before the check returns without it.
const commandWaitDelay = time.Second

// Configured reports whether there is anything to check.
func (g Gate) Configured() bool { return g.URL != "" || g.Command != "" }

// passEnv is what the gate command sees of the environment: enough to run tools and reach
// GitHub, never the action's inputs (which hold the API key). Nor are they in the environment of any
// process above it (/proc/<pid>/environ): the action's Guard moves them out before anything runs.
// In the sandbox, HOME and TMPDIR are its own (see checkCommand).
var passEnv = []string{"PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "GITHUB_WORKSPACE", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_REF",
	"GITHUB_RUN_ID", "GITHUB_SERVER_URL", "GITHUB_API_URL", "RUNNER_TEMP"}

// Check runs the gate against the state the step reached. A check the run's cancel (ctx) stops
// is Cancelled, no verdict; one that outlives the gate's own timeout failed.
func (g Gate) Check(ctx context.Context, st State) GateResult {
	timeout := g.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errGateTimeout)
	defer cancel()
	if g.URL != "" {
		if r := g.checkURL(ctx, timeout); !r.OK || g.Command == "" {
			return r
		}
	}
	return g.checkCommand(ctx, st, timeout)
}

// stopped is the result of a check that ctx ended: the gate's timeout (a failure) or the run's
// cancel (no verdict).
func stopped(ctx context.Context, what string, timeout time.Duration, output string) (GateResult, bool) {
	switch {
	case ctx.Err() == nil:
		return GateResult{}, false
	case errors.Is(context.Cause(ctx), errGateTimeout):
		return GateResult{Detail: fmt.Sprintf("%s did not finish within its timeout (%s)", what, timeout), Output: output}, true
	}
	return GateResult{Cancelled: true, Detail: what + " was stopped", Output: output}, true
}

func (g Gate) checkURL(ctx context.Context, timeout time.Duration) GateResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL, nil)
	if err != nil {
		return GateResult{Detail: fmt.Sprintf("gate-url: %v", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if r, ok := stopped(ctx, g.URL, timeout, ""); ok {
			return r
		}
		return GateResult{Detail: fmt.Sprintf("%s did not answer: %v", g.URL, err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	return GateResult{OK: ok, Detail: fmt.Sprintf("%s answered %d", g.URL, resp.StatusCode), Output: string(body)}
}

// checkCommand runs the command with sh -c in a process group of its own: the timeout or a cancel
// kills the whole group, not only the shell, whose children would hold the output pipe open, and
// whatever of the group is left when the verdict is in is killed too. It runs in the sandbox: as
// root in the action's container it could ask the Docker socket the runner mounts there for the
// container's environment (the API key), or read slipway's own; as the sandbox user it can do
// neither. It reads the workspace as every user may, and writes its own HOME and TMPDIR, not the
// workspace.
func (g Gate) checkCommand(ctx context.Context, st State, timeout time.Duration) GateResult {
	cmd := exec.CommandContext(ctx, "sh", "-c", g.Command)
	killGroupOnCancel(cmd)
	cmd.WaitDelay = commandWaitDelay
	cmd.Dir = g.Dir
	getenv := g.Env
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, k := range passEnv {
		if v := getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	pct := st.Percentage()
	cmd.Env = append(cmd.Env,
		"SLIPWAY_FEATURE="+st.Feature,
		"SLIPWAY_ENVIRONMENT="+st.Environment,
		"SLIPWAY_PERCENTAGE="+strconv.FormatFloat(max(pct, 0), 'f', -1, 64))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := sandbox.Run(cmd, sandbox.Options{})
	killGroup(cmd)
	text := out.String()
	if len(text) > 64<<10 {
		text = "…" + text[len(text)-64<<10:]
	}
	if r, ok := stopped(ctx, "gate-command", timeout, text); ok && err != nil {
		return r
	}
	switch {
	case errors.Is(err, exec.ErrWaitDelay): // sh exited 0; a process it started still holds the output
		return GateResult{OK: true, Detail: "gate-command exited 0 (a process it started kept running)", Output: strings.TrimRight(text, "\n")}
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return GateResult{Detail: fmt.Sprintf("gate-command exited %d", ee.ExitCode()), Output: text}
		}
		return GateResult{Detail: "gate-command could not run: " + err.Error(), Output: text}
	}
	return GateResult{OK: true, Detail: "gate-command exited 0", Output: strings.TrimRight(text, "\n")}
}

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

	"github.com/slipway-actions/slipway/internal/analysis"
	"github.com/slipway-actions/slipway/internal/sandbox"
)

// Gate decides through each step's bake whether the rollout may go on: a URL that must answer 2xx
// and/or a shell command that must exit 0 at the end of the wait, and the analysis metrics, each
// sampled on its own schedule through the wait (package analysis).
type Gate struct {
	URL     string
	Command string
	Dir     string        // where the command runs
	Timeout time.Duration // for each check; 0 means 5 minutes
	Env     func(string) string

	Analysis   []analysis.Spec
	CloudWatch func(region string) analysis.CloudWatchAPI // a client per region the analysis names
	Clock      analysis.Clock                             // nil: the wall clock
}

// GateResult is what a gate said.
type GateResult struct {
	OK        bool
	Cancelled bool   // the run was cancelled while the gate checked: no verdict on the step
	Detail    string // one line: "https://… answered 200", "command exited 1"
	Output    string // the command's output, untrusted text

	Phase   analysis.Phase    // the bake's verdict; empty for a single Check
	Samples []analysis.Sample // every sample of the bake, in order
}

// errGateTimeout ends a check that outlived the gate's own timeout: a verdict, unlike a cancel.
var errGateTimeout = errors.New("the gate's timeout passed")

// commandWaitDelay is how long a killed gate command's output pipe may stay open (held by a
// process that left its group) before the check returns without it.
const commandWaitDelay = time.Second

// Configured reports whether there is anything to check.
func (g Gate) Configured() bool { return g.URL != "" || g.Command != "" || len(g.Analysis) > 0 }

// Bake waits the step's wait with the analysis sampled through it, gate-url and gate-command
// checked once at its end, and returns the verdict: it ends at the first sample that takes a
// metric past its limits (so a failure mid-bake restores at once, not after the wait).
func (g Gate) Bake(ctx context.Context, step string, wait time.Duration, st State, progress func(format string, args ...any)) GateResult {
	var metrics []analysis.Metric
	if g.URL != "" {
		metrics = append(metrics, analysis.Metric{Name: "gate-url", Provider: g.check(g.URL, ""), ConsecutiveErrorLimit: -1})
	}
	if g.Command != "" {
		metrics = append(metrics, analysis.Metric{Name: "gate-command", Provider: g.check("", g.Command), ConsecutiveErrorLimit: -1})
	}
	deps := analysis.Deps{URL: func(u string) analysis.Provider { return g.check(u, "") },
		Command: func(c string) analysis.Provider { return g.check("", c) }, CloudWatch: g.CloudWatch}
	for _, s := range g.Analysis {
		metrics = append(metrics, s.Metric(deps))
	}
	if wait > 0 {
		progress("%s: baking %s with %d gate metric(s) sampled through it", step, wait, len(metrics))
	}
	res := analysis.Bake{Metrics: metrics, Wait: wait, Clock: g.Clock, Progress: progress}.Run(ctx, target(st))
	r := GateResult{OK: res.Phase == analysis.Successful, Cancelled: res.Phase == analysis.Cancelled, Detail: res.Detail,
		Phase: res.Phase, Samples: res.Samples}
	for _, s := range res.Samples {
		if s.Output != "" {
			r.Output = s.Output // the last one: the sample that decided, when one did
		}
	}
	if n := len(res.Samples); len(g.Analysis) == 0 && n > 0 && !r.Cancelled {
		r.Detail = res.Samples[n-1].Detail // gate-url and gate-command alone say what they said, as before
	}
	return r
}

// target is the step's state as the analysis providers see it.
func target(st State) analysis.Target {
	t := analysis.Target{Feature: st.Feature, Environment: st.Environment, EnvironmentKey: st.EnvironmentKey,
		Percentage: st.Percentage(), Users: st.Users()}
	if st.Segment != nil {
		t.SegmentID = st.Segment.ID
	}
	return t
}

// gateCheck is gate-url or gate-command as an analysis provider.
type gateCheck struct{ g Gate }

func (g Gate) check(url, command string) analysis.Provider {
	g.URL, g.Command = url, command
	return gateCheck{g}
}

func (c gateCheck) Measure(ctx context.Context, t analysis.Target) analysis.Measurement {
	r := c.g.check1(ctx, t)
	m := analysis.Measurement{Phase: analysis.Failed, Value: r.Detail, Detail: r.Detail, Output: r.Output, Threshold: "exit 0"}
	if c.g.URL != "" {
		m.Threshold = "2xx"
	}
	switch {
	case r.Cancelled:
		m.Phase = analysis.Cancelled
	case r.OK:
		m.Phase = analysis.Successful
	}
	return m
}

// passEnv is what the gate command sees of the environment: enough to run tools and reach
// GitHub, never the action's inputs (which hold the API key). Nor are they in the environment of any
// process above it (/proc/<pid>/environ): the action's Guard moves them out before anything runs.
// In the sandbox, HOME and TMPDIR are its own (see checkCommand).
var passEnv = []string{"PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "GITHUB_WORKSPACE", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_REF",
	"GITHUB_RUN_ID", "GITHUB_SERVER_URL", "GITHUB_API_URL", "RUNNER_TEMP"}

// Check runs the gate against the state the step reached. A check the run's cancel (ctx) stops
// is Cancelled, no verdict; one that outlives the gate's own timeout failed.
func (g Gate) Check(ctx context.Context, st State) GateResult { return g.check1(ctx, target(st)) }

func (g Gate) check1(ctx context.Context, t analysis.Target) GateResult {
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
	return g.checkCommand(ctx, t, timeout)
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
func (g Gate) checkCommand(ctx context.Context, t analysis.Target, timeout time.Duration) GateResult {
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
	cmd.Env = append(cmd.Env,
		"SLIPWAY_FEATURE="+t.Feature,
		"SLIPWAY_ENVIRONMENT="+t.Environment,
		"SLIPWAY_PERCENTAGE="+strconv.FormatFloat(max(t.Percentage, 0), 'f', -1, 64))
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

package compose

import (
	cerrdefs "github.com/containerd/errdefs"

	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/graph"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/slipway-actions/slipway/internal/images"
)

// Runner runs projects on one engine.
type Runner struct {
	Docker        client.APIClient
	Infof         func(format string, args ...any)
	Workspace     string          // the workspace as this process sees it
	WorkspaceHost string          // the same directory as the engine sees it; empty outside a container
	Builder       *images.Builder // builds the services' build sections (the builder build-push-images uses)
	Logins        *Logins         // registry credentials for pulls; nil pulls anonymously
	ProgressEvery time.Duration   // how often a pull under way is reported; 0 means every 5 s
}

func (r *Runner) infof(format string, args ...any) {
	if r.Infof != nil {
		r.Infof(format, args...)
	}
}

// Options is one E2E run.
type Options struct {
	TestService  string
	WaitTimeout  time.Duration // for each dependency to be ready
	Timeout      time.Duration // for the whole run
	Reports      string        // glob inside the test container
	ReportsDir   string        // host directory for the reports
	ArtifactsDir string        // host directory for logs of failed services
	LogsTail     int
	// Redact removes secrets from text the run keeps — logs and report files, in the result and on
	// disk, since they become artifacts and summaries. nil keeps text as it is.
	Redact func(string) string
}

func (o Options) redact(s string) string {
	if o.Redact == nil {
		return s
	}
	return o.Redact(s)
}

// Result is what a run found.
type Result struct {
	ExitCode   int
	Reports    []string     // copied report files
	Logs       []ServiceLog // the test service's and every failed service's, dependencies first
	Ready      []Readiness  // dependencies first
	WorkingDir string       // the test container's working directory, where its relative paths start
	Cancelled  bool         // the caller cancelled: everything was removed first, no logs were kept
	Took       time.Duration
}

// ServiceLog is the last lines of one service's output.
type ServiceLog struct {
	Service, Text string
}

// Log returns the log kept for svc, or "".
func (r *Result) Log(svc string) string {
	for _, l := range r.Logs {
		if l.Service == svc {
			return l.Text
		}
	}
	return ""
}

// Readiness is how soon a service started after the last of its dependencies was ready.
type Readiness struct {
	Service, After, Condition string
	Latency                   time.Duration // from that dependency's engine event to this service's start
}

// NotReadyError is a dependency that never met its condition: the platform did not come up.
type NotReadyError struct {
	Service, Condition, Why string
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("service %s never met %s: %s", e.Service, e.Condition, e.Why)
}

// Run brings the project up in dependency order, waits for each dependency's condition, runs the
// test service to its exit and returns its exit code. Everything is removed at the end, whatever
// happened, including a cancel (SIGTERM).
func (r *Runner) Run(ctx context.Context, p *types.Project, o Options) (res *Result, err error) {
	start := time.Now()
	res = &Result{ExitCode: -1}
	caller := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	t := newTracker()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	t.watch(wctx, r.Docker, p.Name)
	ids := &sync.Map{}
	var inflight sync.WaitGroup // creates and starts the engine is still working on
	var late struct {
		sync.Mutex
		swept bool // teardown has begun its last sweep
	}
	// The followers outlive a cancel: their streams end when teardown removes the containers.
	fctx, stopFollowing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFollowing()
	follow := newFollowers(o.LogsTail)
	defer func() {
		// A cancelled step is killed by the runner about 10 s after its first signal: then everything
		// is removed first, and the logs kept are what the followers read until then. Otherwise the
		// logs of what failed are read from the engine before the containers go.
		res.Cancelled = caller.Err() != nil
		if !res.Cancelled && (err != nil || res.ExitCode != 0) {
			var nr *NotReadyError
			culprit := ""
			if errors.As(err, &nr) {
				culprit = nr.Service
			}
			r.collectLogs(ctx, p, o, t, ids, res, culprit)
		}
		// What to keep of a cancelled run is decided before teardown kills the rest.
		keep := map[string]bool{}
		if res.Cancelled {
			follow.connected(200 * time.Millisecond)
			for name := range p.Services {
				keep[name] = name == o.TestService || failed(t, name)
			}
		}
		_ = Down(ctx, r.Docker, p.Name)
		// A create the engine was still working on lands after that first sweep: sweep again once
		// it has (a few list calls when nothing is left). After a cancel that wait is short, since
		// the runner kills the step soon; such a container is never started (see startOne).
		wait := downTimeout
		if res.Cancelled {
			wait = cancelGrace
		}
		waitGroup(&inflight, wait)
		late.Lock()
		late.swept = true // from now on a create that lands removes its own container
		late.Unlock()
		if derr := Down(ctx, r.Docker, p.Name); derr != nil {
			err = errors.Join(err, fmt.Errorf("teardown: %w", derr))
		}
		if res.Cancelled {
			// A create still in flight removes its own container when it lands; give it the time
			// that remains before the runner's kill, since the process exits when Run returns.
			waitGroup(&inflight, lateGrace)
		}
		follow.stop()
		stopFollowing()
		waitGroup(&follow.wg, time.Second)
		if res.Cancelled {
			r.keepLogs(p, o, res, func(svc string) (string, bool) {
				if !keep[svc] {
					return "", false
				}
				return follow.text(svc)
			})
		}
		order := rank(Order(p))
		slices.SortStableFunc(res.Ready, func(a, b Readiness) int { return order(a.Service) - order(b.Service) })
		res.Took = time.Since(start)
	}()
	if err := r.createResources(ctx, p); err != nil {
		return res, err
	}
	var mu sync.Mutex
	startOne := func(ctx context.Context, name string, s types.ServiceConfig) error {
		var last Readiness
		var readyAt time.Time
		for dep, d := range s.DependsOn {
			if _, ok := p.Services[dep]; !ok {
				continue // not selected (required: false)
			}
			wait := ctx
			var cancel context.CancelFunc = func() {}
			if o.WaitTimeout > 0 {
				wait, cancel = context.WithTimeout(ctx, o.WaitTimeout)
			}
			st, werr := t.waitFor(wait, dep, d.Condition, func(st state) {
				r.infof("waiting for %s (%s): %s, %s", dep, d.Condition, st, time.Since(start).Round(time.Second))
			})
			cancel()
			if werr != nil {
				why := werr.Error()
				if errors.Is(werr, context.DeadlineExceeded) && ctx.Err() == nil {
					why = fmt.Sprintf("not after %s (%s)", o.WaitTimeout, st)
				}
				return &NotReadyError{Service: dep, Condition: d.Condition, Why: why}
			}
			if st.since.After(readyAt) {
				readyAt, last = st.since, Readiness{Service: name, After: dep, Condition: d.Condition}
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// A cancelled request does not stop the engine from creating the container, so create and
		// start run to their end under their own limit, tracked in inflight. A cancel does not wait
		// for them: teardown starts at once, and sweeps again once they have landed.
		type started struct {
			id  string
			err error
		}
		done := make(chan started, 1)
		inflight.Go(func() {
			octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			id, err := r.create(octx, p, s)
			if id != "" {
				ids.Store(name, id)
			}
			if err == nil && ctx.Err() != nil {
				err = ctx.Err() // cancelled while the engine created it: never started
			}
			if err == nil {
				if err = r.Docker.ContainerStart(octx, id, container.StartOptions{}); err != nil {
					err = fmt.Errorf("service %s: start: %w", name, err)
				}
			}
			if err == nil {
				follow.follow(fctx, r.Docker, name, id, s.Tty)
			}
			if id != "" {
				// Teardown stopped waiting for this create before its last sweep: it landed too late to
				// be swept, so it removes itself.
				late.Lock()
				if late.swept {
					_ = r.Docker.ContainerRemove(octx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
				}
				late.Unlock()
			}
			done <- started{id, err}
		})
		var id string
		select {
		case <-ctx.Done():
			return ctx.Err()
		case st := <-done:
			if st.err != nil {
				return st.err
			}
			id = st.id
		}
		if err := r.postStart(ctx, s, id); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !readyAt.IsZero() {
			last.Latency = time.Since(readyAt)
			mu.Lock()
			res.Ready = append(res.Ready, last)
			mu.Unlock()
		}
		r.infof("started %s", name)
		return nil
	}
	if err := graph.InDependencyOrder(ctx, p, startOne); err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("run-e2e stopped while starting the platform: %w", context.Cause(ctx))
		}
		return res, err
	}
	v, ok := ids.Load(o.TestService)
	if !ok {
		return res, fmt.Errorf("test service %s was not started", o.TestService)
	}
	id := v.(string)
	waitC, errC := r.Docker.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	select {
	case w := <-waitC:
		res.ExitCode = int(w.StatusCode)
	case werr := <-errC:
		if ctx.Err() != nil {
			return res, fmt.Errorf("test service %s did not finish: %w", o.TestService, context.Cause(ctx))
		}
		return res, fmt.Errorf("wait for test service %s: %w", o.TestService, werr)
	}
	r.infof("test service %s exited %d", o.TestService, res.ExitCode)
	if c, ierr := r.Docker.ContainerInspect(ctx, id); ierr == nil && c.Config != nil {
		res.WorkingDir = c.Config.WorkingDir
	}
	if o.Reports != "" {
		res.Reports, err = r.copyReports(ctx, id, o.Reports, o.ReportsDir, o.redact)
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// waitGroup waits for wg, at most d.
func waitGroup(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// copyReports copies the files matching glob out of the (stopped) test container.
func (r *Runner) copyReports(ctx context.Context, id, glob, dir string, redact func(string) string) ([]string, error) {
	rc, _, err := r.Docker.CopyFromContainer(ctx, id, staticPrefix(glob))
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, nil // the tests wrote no reports
		}
		return nil, fmt.Errorf("copy reports %s: %w", glob, err)
	}
	defer rc.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := path.Dir(staticPrefix(glob))
	var out []string
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, fmt.Errorf("copy reports: %w", err)
		}
		full := path.Join(base, h.Name)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if ok, _ := path.Match(glob, full); !ok {
			continue
		}
		dst := filepath.Join(dir, filepath.Base(full))
		data, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return out, fmt.Errorf("copy reports: %w", err)
		}
		if err := os.WriteFile(dst, []byte(redact(string(data))), 0o644); err != nil {
			return out, err
		}
		out = append(out, dst)
	}
	slices.Sort(out)
	return out, nil
}

// staticPrefix is the part of a glob before its first wildcard's directory: /reports/*.xml → /reports.
func staticPrefix(glob string) string {
	i := strings.IndexAny(glob, "*?[")
	if i < 0 {
		return glob
	}
	return path.Dir(glob[:i] + "x")
}

// cancelGrace is how long teardown waits, after a cancel, for creates the engine is still working
// on before it sweeps again: the runner kills a cancelled step about 10 s after its first signal.
const cancelGrace = 3 * time.Second

// lateGrace is how long a cancelled run waits, after its last sweep, for creates still in flight to
// land and remove themselves: with cancelGrace and two sweeps, well inside the 7.5 s before the
// runner's SIGTERM. A create the engine takes longer than that over is left, labelled with the project.
const lateGrace = 2 * time.Second

// logsTimeout bounds the collection of logs after a failure.
const logsTimeout = 30 * time.Second

// collectLogs reads from the engine the last lines of the test service, of the service that never
// got ready, and of every service that is unhealthy or exited non-zero, and keeps them.
func (r *Runner) collectLogs(ctx context.Context, p *types.Project, o Options, t *tracker, ids *sync.Map, res *Result, culprit string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logsTimeout)
	defer cancel()
	tail := o.LogsTail
	if tail <= 0 {
		tail = 200
	}
	r.keepLogs(p, o, res, func(svc string) (string, bool) {
		if svc != o.TestService && svc != culprit && !failed(t, svc) {
			return "", false
		}
		v, ok := ids.Load(svc)
		if !ok {
			return "", false
		}
		text, err := r.logs(ctx, v.(string), p.Services[svc].Tty, tail)
		if err != nil {
			r.infof("log of %s: %v", svc, err)
			return "", false
		}
		return text, true
	})
}

// failed reports whether svc is unhealthy, exited non-zero, or was created and never started.
func failed(t *tracker, svc string) bool {
	st, _, _ := t.get(svc)
	return st.unhealthy || (st.exited && st.code != 0) || !st.started && !st.exited
}

// keepLogs keeps, in dependency order and redacted, the log that source gives for each service, in
// the result and as artifacts-dir/<service>.log.
func (r *Runner) keepLogs(p *types.Project, o Options, res *Result, source func(svc string) (string, bool)) {
	for _, name := range Order(p) {
		text, ok := source(name)
		if !ok {
			continue
		}
		text = o.redact(text)
		res.Logs = append(res.Logs, ServiceLog{Service: name, Text: text})
		if o.ArtifactsDir != "" {
			if os.MkdirAll(o.ArtifactsDir, 0o755) == nil {
				_ = os.WriteFile(filepath.Join(o.ArtifactsDir, name+".log"), []byte(text), 0o644)
			}
		}
	}
}

// logs reads the last lines of a container's output: multiplexed stdout and stderr, or the raw
// stream of a container with a TTY.
func (r *Runner) logs(ctx context.Context, id string, tty bool, tail int) (string, error) {
	rc, err := r.Docker.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(tail)})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	var buf bytes.Buffer
	body := io.LimitReader(rc, 8<<20)
	if tty {
		_, err = io.Copy(&buf, body)
	} else {
		_, err = stdcopy.StdCopy(&buf, &buf, body)
	}
	return buf.String(), err
}

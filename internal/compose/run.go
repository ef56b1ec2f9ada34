package compose

import (
	cerrdefs "github.com/containerd/errdefs"

	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	mobyclient "github.com/moby/moby/client"

	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/registryauth"

	"github.com/slipway-actions/slipway/internal/failure"
)

// Runner runs projects on one engine.
type Runner struct {
	Docker client.APIClient // slipway's own calls: events, logs, reports, teardown
	// Engine is the client Compose's engine drives the Docker Engine with; nil makes one for Docker's
	// host.
	Engine        mobyclient.APIClient
	Infof         func(format string, args ...any)
	Workspace     string // the workspace as this process sees it
	WorkspaceHost string // the same directory as the engine sees it; empty outside a container
	// WorkspaceUnknown says why, in a container, the host directory of the workspace could not be
	// found: a project that binds a path of the workspace is then refused (CheckBinds) rather than
	// given whatever the engine's host has at the container's path.
	WorkspaceUnknown error
	Builder          *images.Builder      // builds the services' build sections (the builder build-push-images uses)
	Logins           *registryauth.Logins // registry credentials for pulls; nil pulls anonymously
	ProgressEvery    time.Duration        // how often a pull under way is reported; 0 means every 5 s
	// Now is the clock pull_policy's daily, weekly and every_<duration> read; nil means time.Now.
	Now func() time.Time
	// onSweep, when a test sets it, is told after each of teardown's sweeps: false after the first,
	// true after the last (what lands later removes itself).
	onSweep func(last bool)
}

func (r *Runner) swept(last bool) {
	if r.onSweep != nil {
		r.onSweep(last)
	}
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) infof(format string, args ...any) {
	if r.Infof != nil {
		r.Infof(format, args...)
	}
}

// Options is one E2E run.
type Options struct {
	TestService  string
	WaitTimeout  time.Duration // for each service's dependencies to be ready
	Timeout      time.Duration // for the whole run
	Reports      string        // glob inside the test container
	ReportsDir   string        // host directory for the reports
	ArtifactsDir string        // host directory for logs of failed services
	LogsTail     int
	// ReportsPrefix starts the name of every report file copied (a shard's, so that the files of
	// several shards never collide when they are downloaded together).
	ReportsPrefix string
	// Rerun, when set, is asked once the test service has exited non-zero and its reports are
	// copied, for the command of a second run of the test service on the same running platform
	// (Rerun in rerun.go); exists tells whether a path (relative ones start at the working
	// directory) is in the first run's container. nil, or no command, runs none.
	Rerun func(ctx context.Context, first *Result, exists func(path string) bool) []string
	// RerunReportsDir is the host directory for the reports of that second run.
	RerunReportsDir string
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
	Entrypoint []string     // the test container's entrypoint and command, as the engine ran them
	Command    []string
	Cancelled  bool   // the caller cancelled (not a timeout): everything was removed first
	Rerun      *Rerun // the second run of the test service, nil when there was none
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

// FailureClass: the platform under test did not come up, a failure of the checked thing.
func (e *NotReadyError) FailureClass() failure.Class { return failure.Checked }

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("service %s never met %s: %s", e.Service, e.Condition, e.Why)
}

// TimeoutError is the cause of a run's context when the run's timeout passed: the tests (or the
// platform they need) did not finish in the time given, a failure of the checked thing. A cancel is
// not one.
type TimeoutError struct {
	Timeout time.Duration
}

// FailureClass: the run outlived its timeout, a failure of the checked thing.
func (e *TimeoutError) FailureClass() failure.Class { return failure.Checked }

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timeout (%s) passed", e.Timeout)
}

// WithTimeout is ctx ending after d with a *TimeoutError as its cause.
func WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &TimeoutError{Timeout: d})
}

// session is one run of a project: the engine's guard, the events, the followers.
type session struct {
	r      *Runner
	p      *types.Project
	o      Options
	t      *tracker
	follow *followers
	g      *guard
	eng    api.Compose
	// closeEngine closes the client the session made for Compose's engine; nil when the Runner gave one.
	closeEngine func() error
}

// Run brings the project up with Compose's own engine, as `docker compose up -d` does (dependency
// order, depends_on conditions, wait-timeout for each service's dependencies), runs the test service
// to its exit and returns its exit code. Everything is removed at the end, whatever happened,
// including a cancel.
func (r *Runner) Run(ctx context.Context, p *types.Project, o Options) (res *Result, err error) {
	start := time.Now()
	res = &Result{ExitCode: -1}
	caller := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	s, err := r.newSession(p, o)
	if err != nil {
		return res, err
	}
	// The followers outlive a cancel: their streams end when teardown removes the containers.
	fctx, stopFollowing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopFollowing()
	s.t = newTracker(func(svc, id string) { s.follow.follow(fctx, r.Docker, svc, id, p.Services[svc].Tty) })
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	s.t.watch(wctx, r.Docker, p.Name)
	defer func() {
		// A timeout (the caller's or the run's own) is not a cancel: the logs are read from the engine
		// and teardown takes the time it needs.
		res.Cancelled = errors.Is(caller.Err(), context.Canceled)
		err = s.teardown(ctx, res, err)
		stopFollowing()
		if s.closeEngine != nil {
			_ = s.closeEngine()
		}
		res.Took = time.Since(start)
	}()
	if err := s.up(ctx); err != nil {
		return res, err
	}
	if err := s.test(ctx, res); err != nil || res.ExitCode == 0 || o.Rerun == nil {
		return res, err
	}
	return res, s.rerun(ctx, res)
}

func (r *Runner) newSession(p *types.Project, o Options) (*session, error) {
	c := r.Engine
	s := &session{r: r, p: p, o: o, follow: newFollowers(o.LogsTail)}
	if c == nil {
		var err error
		if c, err = EngineClient(r.Docker.DaemonHost()); err != nil {
			return nil, err
		}
		s.closeEngine = c.Close // the run's own client
	}
	s.g = &guard{APIClient: c}
	eng, err := newEngine(s.g, func(line string) { r.infof("%s", line) })
	if err != nil {
		return nil, fmt.Errorf("compose engine: %w", err)
	}
	s.eng = eng
	return s, nil
}

// up is `docker compose up -d` of the project as the engine sees it: every image is there already
// (pulled or built by EnsureImages), so Compose pulls and builds nothing.
func (s *session) up(ctx context.Context) error {
	pc, err := s.r.forEngine(s.p)
	if err != nil {
		return err
	}
	opts := api.UpOptions{
		// What `docker compose up` passes by default (cmd/compose/up.go), orphans aside: the project
		// name is the run's own.
		Create: api.CreateOptions{Services: pc.ServiceNames(), Recreate: api.RecreateDiverged,
			RecreateDependencies: api.RecreateDiverged, Inherit: true, IgnoreOrphans: true, QuietPull: true},
		Start: api.StartOptions{Project: pc, WaitTimeout: s.o.WaitTimeout},
	}
	done := make(chan error, 1)
	go func() { done <- s.eng.Up(ctx, pc, opts) }()
	select {
	case <-ctx.Done():
		return fmt.Errorf("run-e2e stopped while starting the platform: %w", context.Cause(ctx))
	case err := <-done:
		if ctx.Err() != nil {
			return fmt.Errorf("run-e2e stopped while starting the platform: %w", context.Cause(ctx))
		}
		if err != nil && engineTooOld.MatchString(err.Error()) {
			return failure.BadInput(fmt.Errorf("compose-file: %w (the Docker engine here is older)", err))
		}
		if err != nil {
			return s.notReady(err)
		}
	}
	return nil
}

// engineTooOld is how Compose refuses a key the engine is too old for ("interface_name requires
// Docker Engine v28.1 or later"): the project asks for what this runner cannot give.
var engineTooOld = regexp.MustCompile(`requires Docker Engine v[0-9.]+ or later`)

// forEngine is the project as Compose's engine must see it: every service's image is on the engine
// (pull_policy never: the config hash leaves it out, so the containers are Compose's own), and, in a
// container action, the workspace's bind sources and secret and config files named as the engine's
// host sees them.
func (r *Runner) forEngine(p *types.Project) (*types.Project, error) {
	var unknown []string // what names a workspace path that cannot be given as the engine sees it
	host := func(what, path string) string {
		h, ok := r.hostPath(path)
		if !ok {
			unknown = append(unknown, what+" "+path)
		}
		return h
	}
	binds := func(svc string, vs []types.ServiceVolumeConfig) {
		for i, v := range vs {
			if v.Type == types.VolumeTypeBind {
				vs[i].Source = host("service "+svc+": bind", v.Source)
			}
		}
	}
	pc, err := p.WithServicesTransform(func(name string, s types.ServiceConfig) (types.ServiceConfig, error) {
		s.PullPolicy = types.PullPolicyNever
		binds(name, s.Volumes)
		for _, h := range s.PreStart {
			binds(name, h.Volumes)
		}
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(pc.Volumes)) {
		v := pc.Volumes[k]
		// A local volume bound to a directory (driver_opts type none, o bind, device …) is a bind too.
		if dev := v.DriverOpts["device"]; dev != "" && strings.Contains(v.DriverOpts["o"], "bind") {
			v.DriverOpts = maps.Clone(v.DriverOpts)
			v.DriverOpts["device"] = host("volume "+k+": device", dev)
			pc.Volumes[k] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(pc.Secrets)) {
		if sec := pc.Secrets[k]; sec.File != "" {
			sec.File = host("secret "+k+": file", sec.File)
			pc.Secrets[k] = sec
		}
	}
	for _, k := range slices.Sorted(maps.Keys(pc.Configs)) {
		if c := pc.Configs[k]; c.File != "" {
			c.File = host("config "+k+": file", c.File)
			pc.Configs[k] = c
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("%s: the engine runs on the host, and run-e2e cannot tell which host directory is mounted at the workspace %s (%v); "+
			"the engine would mount whatever its host has at that path instead. Run the action as the runner starts it (the workspace bind-mounted "+
			"from the host), or keep these files in the image", strings.Join(unknown, "; "), r.Workspace, r.WorkspaceUnknown)
	}
	return pc, nil
}

// CheckBinds reports, before anything is pulled or created, a project whose binds (or secret,
// config or volume device files) name paths of the workspace that cannot be given to the engine
// as its host sees them (WorkspaceUnknown).
func (r *Runner) CheckBinds(p *types.Project) error {
	_, err := r.forEngine(p)
	return err
}

// Compose's words for a dependency that did not come up (service_containers.go, pre_start.go of
// Compose v5): the service they name, in either of its two spellings.
var (
	dependencyFailed = regexp.MustCompile(`dependency failed to start: container (\S+) |service "([^"]+)" didn't complete successfully|` +
		`timeout waiting for dependencies|service "([^"]+)" pre_start\[\d+\] (?:exited|wait error)`)
	containerOf = regexp.MustCompile(`^(.+)-(\d+)$`)
)

// notReady turns Compose's failure to bring the platform up into the dependency that did not come up
// (exit 1, with that service's log), named as Compose names it; a timeout names the first dependency
// that had not met its condition. Any other failure (the engine refused a container) is returned as
// it is.
func (s *session) notReady(err error) error {
	m := dependencyFailed.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("start the platform: %w", err)
	}
	culprit, cond := m[2], ""
	switch {
	case m[1] != "":
		if c := containerOf.FindStringSubmatch(strings.TrimPrefix(m[1], s.p.Name+"-")); c != nil {
			culprit = c[1]
		}
		for _, sv := range s.p.Services { // a container_name names the container itself
			if sv.ContainerName == m[1] {
				culprit = sv.Name
			}
		}
	case m[3] != "":
		culprit, cond = m[3], "pre_start"
	}
	// The condition a dependant waited for; for a timeout, the first dependency not yet ready.
	for _, name := range Order(s.p) {
		deps := s.p.Services[name].DependsOn
		for _, dep := range slices.Sorted(maps.Keys(deps)) {
			if _, ok := s.p.Services[dep]; !ok {
				continue
			}
			st, _, _ := s.t.get(dep)
			met, _ := condition(st, deps[dep].Condition)
			if (culprit == "" && !met) || (dep == culprit && cond == "") {
				culprit, cond = dep, deps[dep].Condition
			}
		}
	}
	if culprit == "" {
		return fmt.Errorf("start the platform: %w", err)
	}
	st, _, _ := s.t.get(culprit)
	why := err.Error()
	if strings.Contains(why, "timeout waiting for dependencies") {
		why = fmt.Sprintf("not after %s (%s)", s.o.WaitTimeout, st)
	}
	return &NotReadyError{Service: culprit, Condition: cmpOr(cond, "service_started"), Why: why}
}

// test waits for the test service's exit and copies its reports.
func (s *session) test(ctx context.Context, res *Result) error {
	id, code, err := s.await(ctx)
	if err != nil {
		return err
	}
	res.ExitCode = code
	if c, ierr := s.r.Docker.ContainerInspect(ctx, id); ierr == nil && c.Config != nil {
		res.WorkingDir, res.Entrypoint, res.Command = c.Config.WorkingDir, c.Config.Entrypoint, c.Config.Cmd
	}
	if s.o.Reports != "" {
		res.Reports, err = s.copyReports(ctx, id, s.o.ReportsDir)
	}
	return err
}

// await waits for the test service's container to exit and returns it and its exit code.
func (s *session) await(ctx context.Context) (id string, code int, err error) {
	ids, err := s.containers(ctx)
	if err != nil {
		return "", 0, err
	}
	id, ok := ids[s.o.TestService]
	if !ok {
		return "", 0, fmt.Errorf("test service %s was not started", s.o.TestService)
	}
	waitC, errC := s.r.Docker.ContainerWait(ctx, id, container.WaitConditionNotRunning)
	select {
	case w := <-waitC:
		code = int(w.StatusCode)
	case werr := <-errC:
		if ctx.Err() != nil {
			return id, 0, fmt.Errorf("test service %s did not finish: %w", s.o.TestService, context.Cause(ctx))
		}
		return id, 0, fmt.Errorf("wait for test service %s: %w", s.o.TestService, werr)
	}
	s.r.infof("test service %s exited %d", s.o.TestService, code)
	return id, code, nil
}

// containers maps each service of the project to its container (the first replica).
func (s *session) containers(ctx context.Context) (map[string]string, error) {
	cs, err := s.r.Docker.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", labelProject+"="+s.p.Name), filters.Arg("label", "com.docker.compose.oneoff=False"))})
	if err != nil {
		return nil, fmt.Errorf("list the project's containers: %w", err)
	}
	ids := map[string]string{}
	for _, c := range cs {
		if c.Labels[api.HookLabel] != "" {
			continue // a pre_start hook's container
		}
		svc := c.Labels[labelService]
		if _, ok := ids[svc]; !ok || c.Labels["com.docker.compose.container-number"] == "1" {
			ids[svc] = c.ID
		}
	}
	return ids, nil
}

// teardown keeps what is worth keeping and removes everything. After a cancel the step has little
// time left (actionkit.CancelWindow): then everything is removed first, and the logs kept are what
// the followers read until then. Otherwise the logs of what failed are read from the engine before
// the containers go.
func (s *session) teardown(ctx context.Context, res *Result, err error) error {
	if !res.Cancelled && (err != nil || res.ExitCode != 0) {
		culprit := ""
		var nr *NotReadyError
		if errors.As(err, &nr) {
			culprit = nr.Service
		}
		s.collectLogs(ctx, res, culprit)
	}
	res.Ready = s.readiness()
	// What to keep of a cancelled run is decided before teardown kills the rest.
	keep := map[string]bool{}
	if res.Cancelled {
		s.follow.connected(connectWait)
		for name := range s.p.Services {
			keep[name] = name == s.o.TestService || failed(s.t, name)
		}
	}
	s.g.stop() // nothing more is created or started
	_ = Down(ctx, s.r.Docker, s.p.Name)
	s.r.swept(false)
	// A create the engine was still working on lands after that first sweep: sweep again once it has
	// (a few list calls when nothing is left). After a cancel that wait is short, since the step
	// ends soon.
	wait := downTimeout
	if res.Cancelled {
		wait = cancelGrace
	}
	waitGroup(&s.g.inflight, wait)
	s.g.lastSweep() // from now on a create that lands removes what it made
	if derr := Down(ctx, s.r.Docker, s.p.Name); derr != nil {
		err = errors.Join(err, fmt.Errorf("teardown: %w", derr))
	}
	s.r.swept(true)
	if res.Cancelled {
		// A create still in flight removes what it made when it lands; give it the time the cancel
		// window leaves, since the process exits when Run returns.
		waitGroup(&s.g.inflight, lateGrace)
	}
	s.follow.stop()
	waitGroup(&s.follow.wg, followersWait)
	if res.Cancelled {
		s.r.keepLogs(s.p, s.o, res, func(svc string) (string, bool) {
			if !keep[svc] {
				return "", false
			}
			return s.follow.text(svc)
		})
	}
	return err
}

// readiness is, for each service that started with dependencies, how soon after the last of them
// met its condition, dependencies first.
func (s *session) readiness() []Readiness {
	var out []Readiness
	for _, name := range Order(s.p) {
		st, _, _ := s.t.get(name)
		if st.startedAt.IsZero() {
			continue
		}
		var last Readiness
		var readyAt time.Time
		for dep, d := range s.p.Services[name].DependsOn {
			dst, _, _ := s.t.get(dep)
			if at := dst.metAt(d.Condition); !at.IsZero() && at.After(readyAt) && !at.After(st.startedAt) {
				readyAt, last = at, Readiness{Service: name, After: dep, Condition: d.Condition}
			}
		}
		if !readyAt.IsZero() {
			last.Latency = st.startedAt.Sub(readyAt)
			out = append(out, last)
		}
	}
	return out
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

// copyReports copies the files matching the reports glob out of the (stopped) test container into
// dir, each named ReportsPrefix and its own name.
func (s *session) copyReports(ctx context.Context, id, dir string) ([]string, error) {
	glob := s.o.Reports
	rc, _, err := s.r.Docker.CopyFromContainer(ctx, id, staticPrefix(glob))
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return nil, nil // the tests wrote no reports
		}
		return nil, fmt.Errorf("copy reports %s: %w", glob, err)
	}
	defer rc.Close()
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
		data, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return out, fmt.Errorf("copy reports: %w", err)
		}
		dst, err := WriteFile(s.r.Workspace, dir, s.o.ReportsPrefix+path.Base(full), []byte(s.o.redact(string(data))))
		if err != nil {
			return out, fmt.Errorf("copy report %s: %w", path.Base(full), err)
		}
		out = append(out, dst)
	}
	slices.Sort(out)
	return out, nil
}

// WriteFile writes name into dir through an os.Root at the workspace (at dir when dir is not in it):
// no link the project committed or a container planted, at dir or at name, takes the write outside.
// It returns the path written.
func WriteFile(workspace, dir, name string, data []byte) (string, error) {
	top, rel := dir, "."
	if workspace != "" {
		if r, err := filepath.Rel(workspace, dir); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			top, rel = workspace, r
		}
	}
	if err := os.MkdirAll(top, 0o755); err != nil {
		return "", err
	}
	root, err := os.OpenRoot(top)
	if err != nil {
		return "", err
	}
	defer root.Close()
	if err := root.MkdirAll(rel, 0o755); err != nil {
		return "", err
	}
	if err := root.WriteFile(filepath.Join(rel, name), data, 0o644); err != nil {
		return "", err
	}
	return filepath.Join(dir, name), nil
}

// staticPrefix is the part of a glob before its first wildcard's directory: /reports/*.xml → /reports.
func staticPrefix(glob string) string {
	i := strings.IndexAny(glob, "*?[")
	if i < 0 {
		return glob
	}
	return path.Dir(glob[:i] + "x")
}

// The waits of a cancelled Run's teardown. Together they leave, of an action's cancel window
// (actionkit.CancelWindow), time for the two sweeps and run-e2e's report:
// TestTeardown_CancelWaitsFitTheCancelWindow checks it.
const (
	// connectWait is how long teardown waits for the followers' logs requests to be answered.
	connectWait = 200 * time.Millisecond
	// cancelGrace is how long teardown waits for creates the engine is still working on before it
	// sweeps again.
	cancelGrace = 2 * time.Second
	// lateGrace is how long teardown waits, after its last sweep, for creates still in flight to land
	// and remove themselves. A create the engine takes longer than that over is left, labelled with
	// the project.
	lateGrace = 2500 * time.Millisecond
	// followersWait is how long teardown waits for the followers to read the last of the logs.
	followersWait = time.Second
)

// logsTimeout bounds the collection of logs after a failure.
const logsTimeout = 30 * time.Second

// collectLogs reads from the engine the last lines of the test service, of the service that never
// got ready, and of every service that is unhealthy or exited non-zero, and keeps them.
func (s *session) collectLogs(ctx context.Context, res *Result, culprit string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logsTimeout)
	defer cancel()
	tail := s.o.LogsTail
	if tail <= 0 {
		tail = 200
	}
	ids, err := s.containers(ctx)
	if err != nil {
		s.r.infof("logs: %v", err)
		return
	}
	s.r.keepLogs(s.p, s.o, res, func(svc string) (string, bool) {
		if svc != s.o.TestService && svc != culprit && !failed(s.t, svc) {
			return "", false
		}
		id, ok := ids[svc]
		if !ok {
			return "", false
		}
		text, err := s.r.logs(ctx, id, s.p.Services[svc].Tty, tail)
		if err != nil {
			s.r.infof("log of %s: %v", svc, err)
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
			if _, err := WriteFile(r.Workspace, o.ArtifactsDir, name+".log", []byte(text)); err != nil {
				r.infof("artifact %s.log: %v", name, err)
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
	buf := &tailBuffer{max: tail}
	if tty {
		_, err = io.Copy(buf, rc)
	} else {
		_, err = stdcopy.StdCopy(buf, buf, rc)
	}
	return buf.String(), err
}

// hostPath turns a bind-mount source as slipway sees it into the path the engine sees. In a
// container action the workspace is mounted at /github/workspace from a host directory, and
// containers slipway starts are siblings on the host's engine: their bind sources must be host
// paths. WorkspaceHost (from the runner's mounts) maps the prefix; outside a container it is empty.
// It reports false for a path of the workspace when its host path is unknown (WorkspaceUnknown).
func (r *Runner) hostPath(p string) (string, bool) {
	if r.Workspace == "" || p != r.Workspace && !strings.HasPrefix(p, r.Workspace+"/") {
		return p, true
	}
	if r.WorkspaceHost == "" {
		return p, r.WorkspaceUnknown == nil
	}
	return r.WorkspaceHost + strings.TrimPrefix(p, r.Workspace), true
}

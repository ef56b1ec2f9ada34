package rune2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/docker"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-units"
	"github.com/sirupsen/logrus"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/junit"
	"github.com/slipway-actions/slipway/internal/registryauth"
	"github.com/slipway-actions/slipway/internal/review"
	"github.com/slipway-actions/slipway/internal/workspace"
)

// runE2E runs the project (runProject), or with merge-shards merges the shards' reports
// (mergeShards); a shard's run leaves its manifest in reports-dir, however it ended.
func runE2E(ctx context.Context, k *actionkit.Kit, cfg config) error {
	if cfg.MergeShards != "" {
		return mergeShards(ctx, k, cfg)
	}
	run, err := runProject(ctx, k, cfg)
	if cfg.Shard.Total == 0 {
		return err
	}
	if werr := writeManifest(cfg, newManifest(cfg, k.Getenv, run, err, k.Redact)); werr != nil {
		werr = fmt.Errorf("shard %s: write %s for merge-shards: %w", cfg.Shard, manifestFile, werr)
		if err == nil {
			return werr // the merge would take this shard for missing
		}
		k.Warningf("%v", werr)
		return err
	}
	// The manifest is there however the run ended, a run that failed before any report too: the
	// upload step that reads this output takes it to the merge, which then names the shard's failure.
	_ = k.SetOutput("reports-dir", workspace.Rel(cfg.Workspace, cfg.ReportsDir))
	return err
}

// runProject loads the project, gives every service its image (pulled or built), brings it up, lets
// the test service decide and reports. A failed test run, a build that failed, or a platform that
// never got ready exits 1; a project run-e2e cannot run as written, an image that does not exist or
// a registry that refused us exits 2; a broken engine exits 3.
func runProject(ctx context.Context, k *actionkit.Kit, cfg config) (shardRun, error) {
	var run shardRun
	if cfg.Timeout > 0 {
		// timeout is the whole run's: pulls and builds too, not only the platform's time up.
		var cancel context.CancelFunc
		ctx, cancel = compose.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	// Compose reads the process environment, as docker compose does: what the runner gives the action
	// itself leaves it first.
	scrubEnv()
	warnings := composeWarnings(k)
	clients := factory.New(k.Getenv, k.Debugf)
	review.CheckRun(ctx, k, clients, cfg.Check)
	p, err := loadProject(ctx, k, clients, cfg)
	if err != nil {
		return run, err
	}
	run.Project = p.Name
	r, closeEngine, err := newRunner(ctx, k, clients, cfg)
	if err != nil {
		return run, err
	}
	defer closeEngine()
	warnings.hostPaths = r.WorkspaceHost != ""
	if err := r.CheckBinds(p); err != nil {
		return run, err // before anything is pulled or created
	}

	imgs, err := ensureImages(ctx, k, r, cfg, p, clients.DockerConfigDir())
	if err != nil {
		return run, err
	}
	if cfg.Shard.Total > 0 {
		k.Infof("project %s: %d services, test service %s, shard %s (SLIPWAY_SHARD=%s)", p.Name, len(p.Services), cfg.TestService, cfg.Shard, cfg.Shard)
	} else {
		k.Infof("project %s: %d services, test service %s", p.Name, len(p.Services), cfg.TestService)
	}
	opts := compose.Options{TestService: cfg.TestService, WaitTimeout: cfg.WaitTimeout, Timeout: cfg.Timeout,
		Reports: cfg.Reports, ReportsDir: cfg.ReportsDir, ReportsPrefix: cfg.Shard.reportsPrefix(), ArtifactsDir: cfg.ArtifactsDir,
		LogsTail: cfg.LogsTail, Redact: k.Redact}
	rerunOptions(k, cfg, &opts)
	res, err := r.Run(ctx, p, opts)
	run.Res = res
	run.Rep = reportRun(k, cfg, p, res, err)
	summarise(k, cfg, p, imgs, res, run.Rep, err)
	return run, verdict(cfg, res, run.Rep, err)
}

// verdict decides the step: an error of the run is classed where it arose (a platform that never got
// ready is a failure, NotReadyError); after a re-run, the cases that failed again decide, and a
// flaky case only with fail-on-flaky; without one, the test service's exit code.
func verdict(cfg config, res *compose.Result, rep *junit.Report, err error) error {
	switch {
	case err != nil:
		return err
	case res.Rerun != nil && rep.Failed():
		return failure.Failed(fmt.Errorf("%d failed cases failed again on re-run", rep.Failures+rep.Errors))
	case res.Rerun != nil && res.Rerun.ExitCode != 0:
		return failure.Failed(fmt.Errorf("test service %s exited %d on re-run", cfg.TestService, res.Rerun.ExitCode))
	case res.Rerun == nil && res.ExitCode != 0:
		return failure.Failed(fmt.Errorf("test service %s exited %d", cfg.TestService, res.ExitCode))
	case rep.Flaky > 0 && cfg.FailOnFlaky:
		return failure.Failed(fmt.Errorf("%d flaky cases failed, then passed on re-run (fail-on-flaky)", rep.Flaky))
	}
	return nil
}

// loadProject reads the Compose files as docker compose would (with the job's environment kept from
// an untrusted project), then checks the project against what run-e2e and the trust decision allow.
func loadProject(ctx context.Context, k *actionkit.Kit, clients *factory.Factory, cfg config) (*types.Project, error) {
	name := cfg.ProjectName
	if name == "" {
		name = defaultProjectName(k)
	}
	var env []string
	if v := k.Getenv("COMPOSE_PROFILES"); v != "" {
		env = append(env, "COMPOSE_PROFILES="+v)
	}
	trust, err := trustOf(k, clients, cfg)
	if err != nil {
		return nil, err
	}
	if trust.Untrusted && os.Getenv("GITHUB_ACTIONS") == "true" {
		// An untrusted Compose file interpolates nothing of the job's environment but what the runner
		// and Docker need: a job-level secret or the credentials an earlier step exported stay out.
		// (Only in the action's own process: tests that run it in theirs give it a fake environment.)
		if dropped := keepOnly(untrustedEnv); len(dropped) > 0 {
			k.Infof("untrusted project: the Compose files do not see %s (give values with env-file)", strings.Join(dropped, ", "))
		}
	}
	p, unsupported, err := compose.Load(ctx, compose.Spec{Files: cfg.ComposeFiles, WorkDir: cfg.Workspace, ProjectDir: cfg.ProjectDir, ProjectName: name,
		EnvFiles: nonEmpty(cfg.EnvFile), Env: env, TestService: cfg.TestService, Services: cfg.Services, Profiles: cfg.Profiles,
		HostFiles: cfg.Allow["host-files"]})
	if err != nil {
		return nil, err
	}
	p = compose.Prepare(p, cfg.TestService, compose.Choices{Command: cfg.TestCommand, BaseURL: cfg.BaseURL, Env: cfg.Shard.Env()})
	if err := compose.CheckTrust(p, trust); err != nil {
		return nil, err
	}
	notes, err := compose.Check(p, cfg.TestService)
	notes = append(unsupported, notes...)
	if len(notes) > 0 {
		k.Warningf("compose-file: run-e2e leaves out: %s", strings.Join(notes, "; "))
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// newRunner connects to the engine (our client and Compose's) with the registry logins; the returned
// function closes both.
func newRunner(ctx context.Context, k *actionkit.Kit, clients *factory.Factory, cfg config) (*compose.Runner, func(), error) {
	// The login inputs serve their registry only where the docker config has no login for it.
	logins, err := registryauth.Open(registryauth.Sources{Dir: clients.DockerConfigDir(),
		Fallback: map[string]registryauth.Credentials{cfg.Registry: cfg.Login}})
	if err != nil {
		return nil, nil, failure.BadInput(err)
	}
	cli, err := clients.Docker(ctx)
	if err != nil {
		return nil, nil, err
	}
	engine, err := compose.EngineClient(cli.DaemonHost())
	if err != nil {
		_ = cli.Close()
		return nil, nil, err
	}
	host, why := workspaceOnHost(ctx, cli, cfg.Workspace, findOwnContainer())
	switch {
	case why != nil:
		k.Infof("workspace %s: its directory on the engine's host is unknown (%v); binds of its files cannot be given to the engine", cfg.Workspace, why)
	case host != "":
		k.Debugf("workspace %s is %s on the engine's host", cfg.Workspace, host)
	}
	r := &compose.Runner{Docker: cli, Engine: engine, Infof: k.Infof, Workspace: cfg.Workspace,
		WorkspaceHost: host, WorkspaceUnknown: why, Logins: logins,
		Builder: &images.Builder{Docker: cli, Infof: k.Infof, Login: logins.Find}}
	return r, func() { _ = engine.Close(); _ = cli.Close() }, nil
}

// ensureImages gives every service its image; a pull a login could fix says where run-e2e looked.
func ensureImages(ctx context.Context, k *actionkit.Kit, r *compose.Runner, cfg config, p *types.Project, configDir string) (*compose.Images, error) {
	k.Group(fmt.Sprintf("images of %d services", len(p.Services)))
	log := k.Untrusted() // RUN output of the user's Dockerfiles
	r.Builder.Log = log
	imgs, err := r.EnsureImages(ctx, p, cfg.Build)
	_ = log.Close()
	k.EndGroup()
	if err != nil {
		var pe *compose.PullError
		if errors.As(err, &pe) && (pe.Reason == compose.PullRefused || pe.Reason == compose.PullAmbiguous) {
			k.Infof("%s", loginAdvice(k, configDir, pe.Registry))
		}
		summarise(k, cfg, p, imgs, &compose.Result{}, &junit.Report{}, err)
		return nil, err
	}
	return imgs, nil
}

// reportRun prints the logs kept, reads the test service's reports and sets the outputs.
func reportRun(k *actionkit.Kit, cfg config, p *types.Project, res *compose.Result, err error) *junit.Report {
	for _, l := range res.Logs {
		k.Group("log of " + l.Service + " (last " + strconv.Itoa(cfg.LogsTail) + " lines)")
		w := k.Untrusted()
		_, _ = w.Write([]byte(strings.TrimRight(l.Text, "\n") + "\n"))
		_ = w.Close()
		k.EndGroup()
	}
	if res.Cancelled {
		k.Infof("cancelled: the project's containers, networks and volumes were removed first; the logs kept are what the test service and any failed service printed until the cancel")
	}
	ws := cfg.Workspace
	files := readReports(k, res.Reports)
	if res.Rerun != nil {
		mergeRerun(k, cfg, res, files)
	}
	rep := report(k, files, locator(ws, p.Services[cfg.TestService], res.WorkingDir).Place)
	setOutputs(k, cfg, rep, verdict(cfg, res, rep, err))
	if len(res.Logs) > 0 {
		_ = k.SetOutput("artifacts-dir", workspace.Rel(ws, cfg.ArtifactsDir))
	}
	return rep
}

// setOutputs sets the outputs of a run's (or a merge's) report and verdict v.
func setOutputs(k *actionkit.Kit, cfg config, rep *junit.Report, v error) {
	outcome := "passed"
	if v != nil {
		outcome = "failed"
	}
	_ = k.SetOutput("result", outcome)
	_ = k.SetOutput("tests", strconv.Itoa(rep.Tests))
	_ = k.SetOutput("failures", strconv.Itoa(rep.Failures+rep.Errors))
	_ = k.SetOutput("skipped", strconv.Itoa(rep.Skipped))
	_ = k.SetOutput("flaky", strconv.Itoa(rep.Flaky))
	_ = k.SetOutput("reports-dir", workspace.Rel(cfg.Workspace, cfg.ReportsDir))
}

// trustOf decides whether the project's Compose files are trusted: trust-repository-config: auto
// trusts them but on pull_request_target and on a pull request from a fork, where what the job holds
// is more than the pull request should get (lint-python's input of the same name decides the same
// for the linters' configs).
func trustOf(k *actionkit.Kit, clients *factory.Factory, cfg config) (compose.Trust, error) {
	t := compose.Trust{Untrusted: cfg.Trust == "false", Workspace: cfg.Workspace, Allow: cfg.Allow}
	why := "trust-repository-config: false"
	if cfg.Trust == "auto" {
		ev, err := clients.Event()
		if err != nil {
			return t, err
		}
		t.Untrusted, why = ev.Untrusted()
	}
	if t.Untrusted {
		k.Infof("untrusted project (%s): no privileged container, host namespace, added capability, device, unconfined security option, host bind outside the workspace or external network or volume, unless allow names it", why)
	}
	return t, nil
}

// loginAdvice says where run-e2e looked for a login and how to give one. In a container action HOME
// is /github/home (the runner's $RUNNER_TEMP/_github_home), so the login docker/login-action writes
// to the runner user's ~/.docker is not there unless DOCKER_CONFIG points under _github_home.
func loginAdvice(k *actionkit.Kit, configDir, host string) string {
	where := "the docker config in " + cmpOr(configDir, "$HOME/.docker") + " has no login for " + host
	if k.Getenv("HOME") == "/github/home" && k.Getenv("DOCKER_CONFIG") == "" {
		return where + ". This action runs in a container, which cannot read the runner's ~/.docker/config.json where " +
			"docker/login-action logs in: give registry, registry-username and registry-password, or before docker/login-action add " +
			`run: echo "DOCKER_CONFIG=$RUNNER_TEMP/_github_home/.docker" >> "$GITHUB_ENV"` + " (the runner passes it to this container as /github/home/.docker)."
	}
	return where + ": log in first (docker login " + host + "), or give registry, registry-username and registry-password."
}

// locator maps the files the test service's reports name back to the repository: through its bind
// mounts, and through its build context, copied to its working directory.
func locator(ws string, s types.ServiceConfig, workingDir string) *junit.Locator {
	l := &junit.Locator{Workspace: ws, WorkingDir: cmpOr(workingDir, s.WorkingDir)}
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind {
			l.Roots = append(l.Roots, junit.Root{Container: v.Target, Host: v.Source})
		}
	}
	if s.Build != nil && l.WorkingDir != "" {
		l.Roots = append(l.Roots, junit.Root{Container: l.WorkingDir, Host: s.Build.Context})
	}
	return l
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// defaultProjectName is unique per run and attempt, so parallel jobs and re-runs never share one.
func defaultProjectName(k *actionkit.Kit) string {
	id, attempt := k.Getenv("GITHUB_RUN_ID"), k.Getenv("GITHUB_RUN_ATTEMPT")
	if id == "" {
		return fmt.Sprintf("slipway-e2e-%d", time.Now().UnixNano()%1e9)
	}
	job := strings.ToLower(k.Getenv("GITHUB_JOB"))
	return strings.Trim(fmt.Sprintf("slipway-e2e-%s-%s-%s", id, attempt, sanitize(job)), "-")
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// composeWarnings sends what Compose's engine warns of (through logrus, on stderr in the CLI) to the
// log as warnings, whose text cannot issue a workflow command.
func composeWarnings(k *actionkit.Kit) *warnHook {
	h := &warnHook{k: k}
	log := logrus.StandardLogger()
	log.SetOutput(io.Discard)
	log.ReplaceHooks(logrus.LevelHooks{})
	log.AddHook(h)
	return h
}

type warnHook struct {
	k *actionkit.Kit
	// hostPaths: the engine is given the workspace's host paths, which this container cannot stat;
	// Compose's "secret file … does not exist" about them is not so.
	hostPaths bool
}

func (warnHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (h *warnHook) Fire(e *logrus.Entry) error {
	if h.hostPaths && strings.HasPrefix(e.Message, "secret file ") && strings.HasSuffix(e.Message, " does not exist") {
		return nil
	}
	h.k.Warningf("compose: %s", e.Message)
	return nil
}

// scrubEnv removes from this process's environment what the runner gives the action itself, before
// anything reads the Compose file (Compose's loader reads the process environment, as docker compose
// does, for interpolation and for `environment:` entries without a value): its inputs (INPUT_*, the
// registry password among them) and the runner's tokens (ACTIONS_*: the cache and artifact token, the
// OIDC token request that can mint cloud credentials). A variable the workflow sets on the step,
// GITHUB_TOKEN included, stays.
func scrubEnv() {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if u := strings.ToUpper(name); strings.HasPrefix(u, "INPUT_") || strings.HasPrefix(u, "ACTIONS_") {
			_ = os.Unsetenv(name)
		}
	}
}

// untrustedEnv is what an untrusted project's Compose files may read of the environment.
var untrustedEnv = regexp.MustCompile(`^(PATH|HOME|TMPDIR|USER|LANG|LC_[A-Z]+|TZ|CI|DOCKER_[A-Z_]+|COMPOSE_[A-Z_]+|RUNNER_[A-Z_]+|GITHUB_[A-Z_]+)$`)

// keepOnly removes from this process's environment every variable whose name keep does not match,
// and GITHUB_TOKEN, and returns their names.
func keepOnly(keep *regexp.Regexp) []string {
	var dropped []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !keep.MatchString(name) || name == "GITHUB_TOKEN" {
			_ = os.Unsetenv(name)
			dropped = append(dropped, name)
		}
	}
	slices.Sort(dropped)
	return dropped
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// workspaceOnHost finds, when this program runs in a container (a container action), the host
// directory mounted at the workspace: containers it starts are siblings on the host's engine, so
// bind mounts must name host paths. Outside a container it returns "", nil; in one where it cannot
// find that directory, "" and why.
func workspaceOnHost(ctx context.Context, cli inspector, ws string, own ownContainer) (string, error) {
	if !own.dockerenv && ws != actionWorkspace {
		return "", nil // a local run: the engine sees the paths this process sees
	}
	if len(own.ids) == 0 {
		return "", errors.New("neither the hostname nor /proc/self/mountinfo nor /proc/self/cgroup names this container")
	}
	var errs []error
	for _, id := range own.ids {
		c, err := cli.ContainerInspect(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("this container (%s) is not one the engine knows: %w", id, err))
			continue
		}
		i := slices.IndexFunc(c.Mounts, func(m container.MountPoint) bool { return m.Destination == ws })
		switch {
		case i < 0:
			errs = append(errs, fmt.Errorf("container %s has no mount at %s", id, ws))
		case c.Mounts[i].Type != mount.TypeBind:
			errs = append(errs, fmt.Errorf("%s is a %s mount of container %s, not a bind of a host directory", ws, c.Mounts[i].Type, id))
		default:
			return c.Mounts[i].Source, nil
		}
	}
	return "", errors.Join(errs...)
}

// actionWorkspace is where the runner mounts the workspace in a container action.
const actionWorkspace = "/github/workspace"

// inspector is the engine call workspaceOnHost makes.
type inspector interface {
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
}

// ownContainer is what this process can tell of the container it runs in, if any.
type ownContainer struct {
	dockerenv bool     // /.dockerenv exists: Docker started this process's container
	ids       []string // what may name the container: the ID in its mounts or cgroup, its hostname
}

// findOwnContainer reads this process's container: whether Docker started it, and what may name it
// (docker.SelfCandidates: the engine's files mounted in it, its cgroup, its hostname).
func findOwnContainer() ownContainer {
	_, err := os.Stat("/.dockerenv")
	return ownContainer{dockerenv: err == nil, ids: docker.SelfCandidates()}
}

// readReports reads each report file, nil for one that is not JUnit XML (said as a warning).
func readReports(k *actionkit.Kit, files []string) []*junit.Report {
	out := make([]*junit.Report, len(files))
	for i, f := range files {
		r, err := readReport(f)
		if err != nil {
			k.Warningf("report %s: %v", filepath.Base(f), err)
			continue
		}
		out[i] = r
	}
	return out
}

// report puts the reports together and annotates every failing test case on its file of the
// repository (place moves it there): an error for a case that failed (again, after a re-run), a
// warning for a flaky one.
func report(k *actionkit.Kit, files []*junit.Report, place func(*junit.Case)) *junit.Report {
	rep := &junit.Report{}
	for _, r := range files {
		if r == nil {
			continue
		}
		rep.Add(r)
	}
	for i, c := range rep.Cases {
		flaky := c.Flaky()
		if !flaky && c.Status != junit.Failed && c.Status != junit.Errored {
			continue
		}
		place(&rep.Cases[i])
		c = rep.Cases[i]
		a := actionkit.Annotation{Level: actionkit.LevelError, File: c.File, Line: c.Line,
			Title: strings.TrimSpace(c.Class + " " + c.Name), Message: c.Message + "\n" + c.Detail}
		switch {
		case flaky:
			a.Level, a.Title = actionkit.LevelWarning, "flaky: "+a.Title
			a.Message = "failed, then passed on re-run against the same platform: " + a.Message
		case c.Rerun != nil:
			a.Message = "failed twice (again on re-run): " + c.Rerun.Message + "\n" + c.Rerun.Detail
		}
		k.Annotate(a)
	}
	return rep
}

func summarise(k *actionkit.Kit, cfg config, p *types.Project, imgs *compose.Images, res *compose.Result, rep *junit.Report, err error) {
	s := k.Summary()
	title := "run-e2e: " + cfg.TestService
	if cfg.BaseURL != "" {
		title += " against " + cfg.BaseURL
	}
	if cfg.Shard.Total > 0 {
		title += ", shard " + cfg.Shard.String()
	}
	summaryHead(s, title, p.Name, verdict(cfg, res, rep, err), rep, res.Took)
	if imgs != nil && len(imgs.Pulled)+len(imgs.Built) > 0 {
		var rows [][]string
		for _, pl := range imgs.Pulled {
			rows = append(rows, []string{pl.Image, strings.Join(pl.Services, ", "), "pulled (" + units.HumanSize(float64(pl.Bytes)) + ")", pl.Took.Round(100 * time.Millisecond).String()})
		}
		for _, b := range imgs.Built {
			ref := cmpOr(p.Services[b.Spec.Name].Image, p.Name+"-"+b.Spec.Name)
			rows = append(rows, []string{ref, b.Spec.Name, fmt.Sprintf("built (%d steps, %d cached)", b.Steps, b.Cached), b.Took.Round(100 * time.Millisecond).String()})
		}
		s.Table([]string{"Image", "Services", "How", "Time"}, rows)
		s.Paragraph(fmt.Sprintf("Pulling took %s, building %s.", imgs.PullTook.Round(100*time.Millisecond), imgs.BuildTook.Round(100*time.Millisecond)))
	}
	summariseCases(k, cfg, s, rep)
	for _, l := range res.Logs {
		s.Details("Log of "+l.Service, l.Text)
	}
	if res.Rerun != nil && res.Rerun.FirstLog != "" {
		s.Details("Log of "+cfg.TestService+", first run", res.Rerun.FirstLog)
	}
}

// summaryHead starts the summary of a run or a merge: its title and one row of totals under the
// verdict v.
func summaryHead(s *actionkit.Summary, title, project string, v error, rep *junit.Report, took time.Duration) {
	s.Heading(2, title)
	result := "passed"
	if v != nil {
		result = "failed: " + v.Error()
	} else if rep.Flaky > 0 {
		result = fmt.Sprintf("passed (%d flaky)", rep.Flaky)
	}
	s.Table([]string{"Project", "Result", "Passed", "Failed", "Skipped", "Test time", "Wall time"}, [][]string{{
		project, result, strconv.Itoa(rep.Passed()), strconv.Itoa(rep.Failures + rep.Errors), strconv.Itoa(rep.Skipped),
		rep.Time.Round(time.Millisecond).String(), took.Round(time.Second).String()}})
}

// summariseCases lists the failed and the flaky cases and compares them with base-report.
func summariseCases(k *actionkit.Kit, cfg config, s *actionkit.Summary, rep *junit.Report) {
	var rows [][]string
	for _, c := range rep.Cases {
		if c.Outcome() == junit.Failed || c.Outcome() == junit.Errored {
			loc := c.File
			if c.Line > 0 {
				loc += ":" + strconv.Itoa(c.Line)
			}
			rows = append(rows, []string{c.Class + " " + c.Name, loc, c.Message})
		}
	}
	if len(rows) > 0 {
		s.Table([]string{"Failed test", "Where", "Message"}, rows)
	}
	summariseFlaky(s, rep)
	summariseBase(k, cfg, s, rep)
}

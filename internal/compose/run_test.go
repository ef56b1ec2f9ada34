package compose

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	mobyclient "github.com/moby/moby/client"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/images"
)

// tWriter logs build output to the test's log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// project writes the green platform with edits (old, new pairs) and returns a runner and spec for it.
func project(t *testing.T, edits ...string) (*Runner, Spec) {
	t.Helper()
	cli := dockertest.Client(t)
	img := composetest.PlatformImage(t, cli)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte(composetest.Compose(img, composetest.Green, edits...)), 0o644); err != nil {
		t.Fatal(err)
	}
	name := strings.ToLower(dockertest.UniqueName(t, "e2e"))
	t.Cleanup(func() { _ = Down(context.Background(), cli, name) })
	r := &Runner{Docker: cli, Infof: t.Logf, Builder: &images.Builder{Docker: cli, Log: tWriter{t}, Infof: t.Logf}}
	return r, Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: name, TestService: "e2e"}
}

func run(t *testing.T, r *Runner, s Spec, o Options) (*Result, error) {
	t.Helper()
	p, _, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	o.TestService = s.TestService
	res, err := r.Run(context.Background(), p, o)
	if n, lerr := Leftovers(context.Background(), r.Docker, s.ProjectName); lerr != nil || n != 0 {
		t.Errorf("%d containers, networks and volumes of the project are left (%v)", n, lerr)
	}
	return res, err
}

func TestRun_GreenPlatformWithMigration(t *testing.T) {
	t.Parallel()
	r, s := project(t)
	dir := t.TempDir()
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute, Reports: "/reports/*.xml", ReportsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || len(res.Reports) != 1 || filepath.Base(res.Reports[0]) != "junit.xml" {
		t.Errorf("result = %+v", res)
	}
	var conds []string
	for _, rd := range res.Ready {
		conds = append(conds, rd.After+":"+rd.Condition)
		// How soon is bench/e2e's to measure (timed assertions flake on a loaded 2-core machine);
		// here only the order: never before the dependency was ready.
		if rd.Latency < 0 {
			t.Errorf("%s started %s before %s was ready", rd.Service, -rd.Latency, rd.After)
		}
	}
	if !strings.Contains(strings.Join(conds, " "), "migrate:service_completed_successfully") {
		t.Errorf("readiness = %v", conds)
	}
}

func TestRun_FailingTestsKeepTheirLogsAndReports(t *testing.T) {
	t.Parallel()
	r, s := project(t, `-reports, /reports]`, `-reports, /reports, -fail]`)
	arts := t.TempDir()
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute, Reports: "/reports/*.xml", ReportsDir: t.TempDir(), ArtifactsDir: arts})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 1 || len(res.Reports) != 1 || !strings.Contains(res.Log("e2e"), "e2e: ok") {
		t.Errorf("result = %+v", res)
	}
	if b, err := os.ReadFile(filepath.Join(arts, "e2e.log")); err != nil || !strings.Contains(string(b), "::set-output") {
		t.Errorf("artifact e2e.log: %q, %v", b, err)
	}
}

func TestRun_ServiceNeverHealthyTimesOutWithItsLogs(t *testing.T) {
	t.Parallel()
	r, s := project(t, "[serve, -delay, 1s]", "[serve, -delay, 1h]")
	res, err := run(t, r, s, Options{WaitTimeout: 10 * time.Second, ArtifactsDir: t.TempDir()})
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Service != "api" || !strings.Contains(nr.Why, "not after 10s (running)") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(res.Log("api"), "healthy in 1h0m0s") {
		t.Errorf("logs = %v", res.Logs)
	}
}

func TestRun_FailedMigrationStopsThePlatform(t *testing.T) {
	t.Parallel()
	r, s := project(t, `[migrate, -exit, "0"]`, `[migrate, -exit, "3"]`)
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute})
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Service != "migrate" || !strings.Contains(nr.Why, `service "migrate" didn't complete successfully: exit 3`) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(res.Log("migrate"), "migrating") {
		t.Errorf("logs = %v", res.Logs)
	}
}

// A cancel (the runner's first signal cancels the run's context) mid-run still removes everything,
// and keeps what the test service printed until then.
func TestRun_CancelMidRunLeavesNothing(t *testing.T) {
	t.Parallel()
	r, s := project(t, `[e2e, -url, "http://api:8080/health", -reports, /reports]`, `[sleep]`)
	p, _, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var res *Result
	go func() {
		var err error
		res, err = r.Run(ctx, p, Options{TestService: "e2e", WaitTimeout: time.Minute})
		done <- err
	}()
	// Cancel once the test service runs and has said so.
	composetest.WaitPrinted(t, r.Docker, s.ProjectName, "e2e", "sleeping", 2*time.Minute)
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after the cancel")
	}
	if n, err := Leftovers(context.Background(), r.Docker, s.ProjectName); err != nil || n != 0 {
		t.Errorf("%d leftovers (%v)", n, err)
	}
	// The containers went first; what the test service printed until the cancel is kept.
	if !res.Cancelled || !strings.Contains(res.Log("e2e"), "sleeping") {
		t.Errorf("cancelled %v, logs %+v: the test service's output until the cancel is not kept", res.Cancelled, res.Logs)
	}
}

// slowCreate is the client of Compose's engine, whose creates land late: the run is cancelled while
// the engine is still creating a container, as when a cancel arrives mid-create, and the create
// lands when release is closed. It records every start.
type slowCreate struct {
	mobyclient.APIClient
	cancel  context.CancelFunc
	release chan struct{}
	landed  chan struct{} // closed when the first create has landed
	once    sync.Once
	mu      sync.Mutex
	started []string
}

func (s *slowCreate) ContainerCreate(ctx context.Context, o mobyclient.ContainerCreateOptions) (mobyclient.ContainerCreateResult, error) {
	s.cancel()
	select {
	case <-s.release:
	case <-time.After(2 * time.Minute): // teardown never got there: the test fails on what it sees
	}
	defer s.once.Do(func() { close(s.landed) })
	return s.APIClient.ContainerCreate(ctx, o)
}

func (s *slowCreate) ContainerStart(ctx context.Context, id string, o mobyclient.ContainerStartOptions) (mobyclient.ContainerStartResult, error) {
	s.mu.Lock()
	s.started = append(s.started, id)
	s.mu.Unlock()
	return s.APIClient.ContainerStart(ctx, id, o)
}

// A container whose create lands after the cancel is removed and never started, whether it lands
// while teardown waits for it (after the first sweep) or after teardown's last sweep, and before
// Run returns (the process exits then); the teardown does not wait longer than an action's cancel
// window allows.
func TestRun_CreateLandingAfterACancelIsRemovedNotStarted(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		last bool // the create lands after the last sweep, else after the first
	}{{"while teardown waits", false}, {"after the last sweep", true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// db, created first, needs no network of the project: its late create still lands after
			// teardown removed the network.
			r, s := project(t, "command: [serve, -delay, 500ms]", "command: [serve, -delay, 500ms]\n    network_mode: none")
			p, _, err := Load(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			engine, err := EngineClient(r.Docker.DaemonHost())
			if err != nil {
				t.Fatal(err)
			}
			slow := &slowCreate{APIClient: engine, cancel: cancel, release: make(chan struct{}), landed: make(chan struct{})}
			var release sync.Once
			r.Engine = slow
			r.onSweep = func(last bool) {
				if last == c.last {
					release.Do(func() { close(slow.release) })
				}
			}
			start := time.Now()
			res, err := r.Run(ctx, p, Options{TestService: "e2e", WaitTimeout: time.Minute})
			took := time.Since(start)
			if err == nil || !res.Cancelled {
				t.Errorf("err = %v, cancelled %v", err, res.Cancelled)
			}
			if took > actionkit.CancelWindow {
				t.Errorf("the cancelled run took %s, more than an action's cancel window (%s)", took, actionkit.CancelWindow)
			}
			// Run returns once the late create has landed and removed itself: the process exits then.
			select {
			case <-slow.landed:
			default:
				t.Errorf("Run returned after %s, before the create landed", took)
			}
			if n, err := Leftovers(context.Background(), r.Docker, s.ProjectName); err != nil || n != 0 {
				t.Errorf("%d leftovers when Run returned (%v)", n, err)
			}
			// A create that lands later than Run waits for (on a loaded machine) is the engine's; the
			// test's own cleanup sweeps after it, not before.
			t.Cleanup(func() {
				release.Do(func() { close(slow.release) })
				<-slow.landed
				_ = Down(context.Background(), r.Docker, s.ProjectName)
			})
			slow.mu.Lock()
			defer slow.mu.Unlock()
			if len(slow.started) != 0 {
				t.Errorf("%d containers were started after the cancel", len(slow.started))
			}
		})
	}
}

// A published port that is already taken on the host fails the start with the engine's reason, and
// nothing is left behind.
func TestRun_PortClashIsAClearError(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	r, s := project(t, "command: [serve, -delay, 500ms]", `command: [serve, -delay, 500ms]
    ports: ["127.0.0.1:`+port+`:8080"]`)
	_, err = run(t, r, s, Options{WaitTimeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "start the platform") || !strings.Contains(err.Error(), port) {
		t.Fatalf("err = %v", err)
	}
}

// build: sections are built (BuildKit) before the run, tagged as Compose names them.
func TestBuild_BuildsServicesWithABuildSection(t *testing.T) {
	t.Parallel()
	r, s := project(t)
	ctxDir := filepath.Join(s.WorkDir, "api")
	img := composetest.PlatformImage(t, r.Docker.(*client.Client))
	if err := os.MkdirAll(ctxDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM "+img+"\nLABEL dev.slipway.test=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	compose := composetest.Compose(img, composetest.Green, "  api:\n    image: "+img, "  api:\n    build: ./api")
	if err := os.WriteFile(filepath.Join(s.WorkDir, "compose.yml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.EnsureImages(context.Background(), p, true); err != nil {
		t.Fatal(err)
	}
	tag := s.ProjectName + "-api"
	t.Cleanup(func() { _, _ = r.Docker.ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true}) })
	res, err := r.Run(context.Background(), p, Options{TestService: "e2e", WaitTimeout: time.Minute})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("run with the built api: exit %d, %v", res.ExitCode, err)
	}
}

func TestHostPath_MapsTheWorkspaceOnly(t *testing.T) {
	t.Parallel()
	r := &Runner{Workspace: "/github/workspace", WorkspaceHost: "/home/runner/work/web/web"}
	for in, want := range map[string]string{
		"/github/workspace":              "/home/runner/work/web/web",
		"/github/workspace/e2e/fixtures": "/home/runner/work/web/web/e2e/fixtures",
		"/github/workspace2/x":           "/github/workspace2/x",
		"/var/run/docker.sock":           "/var/run/docker.sock",
	} {
		if got, ok := r.hostPath(in); got != want || !ok {
			t.Errorf("hostPath(%q) = %q, %v, want %q", in, got, ok, want)
		}
	}
	if got, ok := (&Runner{Workspace: "/w"}).hostPath("/w/x"); got != "/w/x" || !ok {
		t.Errorf("outside a container: %q, %v", got, ok)
	}
	// In a container whose workspace's host directory is unknown, a workspace path cannot be given.
	unknown := &Runner{Workspace: "/github/workspace", WorkspaceUnknown: errors.New("no container x")}
	if _, ok := unknown.hostPath("/github/workspace/tests"); ok {
		t.Error("a workspace path was given without its host directory")
	}
	if got, ok := unknown.hostPath("/var/run/docker.sock"); got != "/var/run/docker.sock" || !ok {
		t.Errorf("a path outside the workspace: %q, %v", got, ok)
	}
}

// In a container whose workspace's host directory is unknown, a project that binds a workspace
// path (or names a secret or config file there) is refused before anything is pulled or created,
// naming each such path and why; the engine would otherwise mount whatever its host has at the
// container's path. A project without such paths runs as it is.
func TestCheckBinds_RefusesWorkspacePathsWhoseHostPathIsUnknown(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"compose.yml": `services:
  e2e:
    image: x
    volumes: [./tests:/tests, /var/run/docker.sock:/var/run/docker.sock, cache:/cache]
    secrets: [token]
secrets: {token: {file: ./token.txt}}
volumes: {cache: {}}
`, "plain.yml": "services:\n  e2e:\n    image: x\n    volumes: [cache:/cache]\nvolumes: {cache: {}}\n"})
	load := func(file string) *types.Project {
		p, _, err := Load(context.Background(), Spec{Files: []string{file}, WorkDir: dir, ProjectName: "p", TestService: "e2e"})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	r := &Runner{Workspace: dir, WorkspaceUnknown: errors.New("no container abc123 on this engine")}
	err := r.CheckBinds(load("compose.yml"))
	for _, want := range []string{"secret token: file " + filepath.Join(dir, "token.txt"), "service e2e: bind " + filepath.Join(dir, "tests"),
		"cannot tell which host directory is mounted at the workspace " + dir + " (no container abc123 on this engine)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to say %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "docker.sock") {
		t.Errorf("a path outside the workspace was named: %v", err)
	}
	if err := r.CheckBinds(load("plain.yml")); err != nil {
		t.Errorf("a project without workspace paths: %v", err)
	}
	// Found, or outside a container (nothing unknown): the same project passes.
	for _, ok := range []*Runner{{Workspace: dir, WorkspaceHost: "/home/runner/work/web/web"}, {Workspace: dir}} {
		if err := ok.CheckBinds(load("compose.yml")); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

// In a container action the engine sees the workspace under its host path: bind sources and the
// secret and config files Compose bind-mounts are named so; pull_policy is never (the images are
// there), and the project itself is left as it was.
func TestForEngine_NamesTheWorkspaceAsTheEngineSeesIt(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"compose.yml": `services:
  e2e:
    image: x
    pull_policy: always
    volumes: [./data:/data, /var/run/docker.sock:/var/run/docker.sock]
    secrets: [token]
    configs: [settings]
secrets: {token: {file: ./token.txt}}
configs: {settings: {file: ./settings.ini}}
`})
	p, _, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: "p", TestService: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Workspace: dir, WorkspaceHost: "/home/runner/work/web/web"}
	pc, err := r.forEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	e2e := pc.Services["e2e"]
	for what, ok := range map[string]bool{
		"bind":           e2e.Volumes[0].Source == "/home/runner/work/web/web/data",
		"socket":         e2e.Volumes[1].Source == "/var/run/docker.sock",
		"secret":         pc.Secrets["token"].File == "/home/runner/work/web/web/token.txt",
		"config":         pc.Configs["settings"].File == "/home/runner/work/web/web/settings.ini",
		"pull_policy":    e2e.PullPolicy == "never",
		"left as it was": p.Services["e2e"].Volumes[0].Source == filepath.Join(dir, "data") && p.Secrets["token"].File == filepath.Join(dir, "token.txt"),
	} {
		if !ok {
			t.Errorf("%s: %+v %+v %+v", what, e2e.Volumes, pc.Secrets, pc.Configs)
		}
	}
}

// A link the project committed (or a container planted) in the reports or artifacts directory never
// takes a write outside the workspace: the file it points at is left as it was.
func TestRun_LinksInTheOutputDirectoriesAreNotFollowed(t *testing.T) {
	t.Parallel()
	r, s := project(t, `-reports, /reports]`, `-reports, /reports, -fail]`)
	r.Workspace = s.WorkDir
	outside := filepath.Join(t.TempDir(), "home-file")
	if err := os.WriteFile(outside, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	reports, arts := filepath.Join(s.WorkDir, "e2e-reports"), filepath.Join(s.WorkDir, "e2e-artifacts")
	for _, link := range []string{filepath.Join(reports, "junit.xml"), filepath.Join(arts, "e2e.log")} {
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, link); err != nil {
			t.Fatal(err)
		}
	}
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute, Reports: "/reports/*.xml", ReportsDir: reports, ArtifactsDir: arts})
	if err == nil || !strings.Contains(err.Error(), "copy report junit.xml") {
		t.Errorf("err = %v, want the report's write refused", err)
	}
	if res.ExitCode != 1 || !strings.Contains(res.Log("e2e"), "e2e: ok") {
		t.Errorf("result = %+v", res)
	}
	if b, _ := os.ReadFile(outside); string(b) != "untouched" {
		t.Errorf("the file outside the workspace now holds %q", b)
	}
}

// The waits of a cancelled Run's teardown fit an action's cancel window, with a second left for the
// two sweeps and run-e2e's own report.
func TestTeardown_CancelWaitsFitTheCancelWindow(t *testing.T) {
	t.Parallel()
	if waits := connectWait + cancelGrace + lateGrace + followersWait; waits+time.Second > actionkit.CancelWindow {
		t.Errorf("a cancelled teardown may wait %s: with a second for the sweeps and the report, more than the cancel window (%s)", waits, actionkit.CancelWindow)
	}
}

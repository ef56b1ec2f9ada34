// Command e2e measures run-e2e against what a workflow runs without it, Docker Compose v5's CLI (built
// from the module version run-e2e links): `pull`, `up -d --wait` of the platform, `run --rm
// --no-deps` of the test service, `down -v -t 0` (as run-e2e kills at teardown), on the same project,
// interleaved, as on a fresh runner: before every measured run the project's images exist only in a
// docker-registry on loopback, so both pull them. It prints the ratio of the medians, teardown
// included, beside the floor (the pull and the platform's own readiness delays), the time each spent
// pulling, how soon after a dependency turned ready its dependent was started, and what a SIGTERM to
// the run-e2e binary mid-test leaves behind, and how soon it exits (goal: within an action's cancel
// window, actionkit.CancelWindow).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/docker"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

func main() {
	rounds := flag.Int("rounds", 3, "rounds of each, interleaved")
	flag.Parse()
	if err := run(*rounds); err != nil {
		fmt.Fprintln(os.Stderr, "bench/e2e:", err)
		os.Exit(1)
	}
}

func sh(dir string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func run(rounds int) error {
	dir, err := os.MkdirTemp("", "bench-e2e")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	regDir := filepath.Join(dir, "registry") // outside the build context below
	if err := os.MkdirAll(regDir, 0o755); err != nil {
		return err
	}
	reg, err := registrytest.Launch(regDir, registrytest.Options{})
	if err != nil {
		return fmt.Errorf("docker-registry: %w", err)
	}
	defer reg.Stop()
	f, err := newFixture(dir, reg.Host)
	if err != nil {
		return err
	}
	defer func() { _ = f.absent() }()
	ctx := context.Background()
	cli, err := docker.Connect(ctx, "")
	if err != nil {
		return err
	}
	compose5, err := composetest.BuildComposeCLI()
	if err != nil {
		return err
	}
	var m measures
	for i := range rounds {
		if err := m.slipway(ctx, cli, f, fmt.Sprintf("bench-slipway-%d-%d", os.Getpid(), i)); err != nil {
			return err
		}
		if err := m.compose(f, compose5, fmt.Sprintf("bench-compose-%d-%d", os.Getpid(), i)); err != nil {
			return err
		}
	}
	took, left, err := sigterm(ctx, cli, dir)
	if err != nil {
		return err
	}
	m.print(rounds, took, left)
	return nil
}

// fixture is the measured project in dir: the test platform's program, FROM scratch as the tests
// build it, as two images (db, api and the migration share one; the test service has its own), each
// with a layer of its own, pushed to a docker-registry; the compose file names them.
type fixture struct {
	dir  string
	imgs []string
}

// newFixture builds the platform's images, pushes them to the registry at host and writes the
// project's compose file.
func newFixture(dir, host string) (*fixture, error) {
	ctxDir := filepath.Join(dir, "context")
	if err := os.MkdirAll(ctxDir, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(ctxDir, "platform"), "./internal/compose/testdata/platform")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build platform: %v\n%s", err, out)
	}
	_ = os.MkdirAll(filepath.Join(ctxDir, "tmp"), 0o755)
	_ = os.WriteFile(filepath.Join(ctxDir, "tmp", ".keep"), nil, 0o644)
	_ = os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY id /id\nCOPY platform /platform\nCOPY tmp /tmp\nENTRYPOINT [\"/platform\"]\n"), 0o644)
	f := &fixture{dir: dir}
	for _, name := range []string{"db", "e2e"} {
		ref := fmt.Sprintf("%s/slipway-bench/%s:%d", host, name, os.Getpid())
		_ = os.WriteFile(filepath.Join(ctxDir, "id"), []byte(ref), 0o644)
		if _, err := sh(ctxDir, "docker", "build", "-q", "-t", ref, "."); err != nil {
			return nil, err
		}
		if _, err := sh(dir, "docker", "push", "-q", ref); err != nil {
			return nil, err
		}
		f.imgs = append(f.imgs, ref)
	}
	project := composetest.Compose(f.imgs[0], composetest.Green, "  e2e:\n    image: "+f.imgs[0], "  e2e:\n    image: "+f.imgs[1])
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(project), 0o644); err != nil {
		return nil, err
	}
	return f, nil
}

// absent removes the project's images from the engine, so that the next run pulls them, as on a
// fresh runner.
func (f *fixture) absent() error {
	out, err := sh(f.dir, "docker", append([]string{"rmi", "-f"}, f.imgs...)...)
	if err != nil && !strings.Contains(out, "No such image") {
		return err
	}
	return nil
}

// measures are the rounds' timings: run-e2e's engine (ours) and Compose v5's CLI (ref), each in all
// and pulling, and the longest a dependent started after its dependency was ready.
type measures struct {
	ours, ref, oursPull, refPull []time.Duration
	worstReady                   time.Duration
}

// slipway measures one run of run-e2e's engine on the project, as project name.
func (m *measures) slipway(ctx context.Context, cli *client.Client, f *fixture, name string) error {
	if err := f.absent(); err != nil {
		return err
	}
	start := time.Now()
	p, _, err := compose.Load(ctx, compose.Spec{Files: []string{"docker-compose.yml"}, WorkDir: f.dir, ProjectName: name, TestService: "e2e"})
	if err != nil {
		return err
	}
	r := &compose.Runner{Docker: cli, Infof: func(string, ...any) {}}
	pulled, err := r.EnsureImages(ctx, p, false)
	if err != nil {
		return fmt.Errorf("slipway pull: %w", err)
	}
	res, err := r.Run(ctx, p, compose.Options{TestService: "e2e", WaitTimeout: time.Minute})
	if err != nil || res.ExitCode != 0 {
		return fmt.Errorf("slipway run: exit %d, %v", res.ExitCode, err)
	}
	m.ours = append(m.ours, time.Since(start))
	m.oursPull = append(m.oursPull, pulled.PullTook)
	for _, rd := range res.Ready {
		m.worstReady = max(m.worstReady, rd.Latency)
	}
	return nil
}

// compose measures what a workflow runs without run-e2e, with the Compose CLI at compose5: pull,
// up -d --wait, run --rm --no-deps of the test service, down -v -t 0.
func (m *measures) compose(f *fixture, compose5, name string) error {
	if err := f.absent(); err != nil {
		return err
	}
	start := time.Now()
	if _, err := sh(f.dir, compose5, "-p", name, "pull", "-q"); err != nil {
		return err
	}
	m.refPull = append(m.refPull, time.Since(start))
	if _, err := sh(f.dir, compose5, "-p", name, "up", "-d", "--wait", "api"); err != nil {
		return err
	}
	if _, err := sh(f.dir, compose5, "-p", name, "run", "--rm", "--no-deps", "e2e"); err != nil {
		return err
	}
	if _, err := sh(f.dir, compose5, "-p", name, "down", "-v", "-t", "0"); err != nil {
		return err
	}
	m.ref = append(m.ref, time.Since(start))
	return nil
}

// print reports the medians, the floor and the ratio, readiness, and what the SIGTERM left (after
// took, left resources).
func (m *measures) print(rounds int, took time.Duration, left int) {
	med := func(d []time.Duration) time.Duration { s := slices.Clone(d); slices.Sort(s); return s[len(s)/2] }
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	// The platform's own delays along its longest path: db healthy after 0.5 s, api after 1 s.
	floor := med(m.oursPull) + 1500*time.Millisecond
	fmt.Printf("run-e2e: db + migration + api + e2e from two images that are only in a docker-registry on loopback\n")
	fmt.Printf("(pulled before every run), median of %d interleaved rounds, %d cores\n", rounds, runtime.NumCPU())
	fmt.Printf("  run-e2e (pull, up, test, down):                              %s, of which pulling %s\n", ms(med(m.ours)), ms(med(m.oursPull)))
	fmt.Printf("  compose v5 pull, up -d --wait, run --rm, down -v -t 0:       %s, of which pulling %s\n", ms(med(m.ref)), ms(med(m.refPull)))
	fmt.Printf("  floor (run-e2e's pull + the platform's 1.5 s of readiness):  %s\n", ms(floor))
	fmt.Printf("  ratio run-e2e/compose: %.2f (goal <= 1.0); pulling: %.2f\n", float64(med(m.ours))/float64(med(m.ref)), float64(med(m.oursPull))/float64(med(m.refPull)))
	fmt.Printf("  readiness: a dependent starts at most %s after its dependency is ready\n", ms(m.worstReady))
	fmt.Printf("  SIGTERM to run-e2e mid-test: exited after %s, %d containers, networks and volumes left (goal: within %s, 0 left)\n", ms(took), left, actionkit.CancelWindow)
}

// sigterm runs the run-e2e binary as a local CLI on the project with a test that never ends, sends it
// SIGTERM once the test runs (as docker stop does; run-e2e takes it as it takes the runner's SIGINT)
// and says how soon it exited and what it left. It is killed when the runner would have killed it.
func sigterm(ctx context.Context, cli *client.Client, dir string) (time.Duration, int, error) {
	build := exec.Command("make", "-s", "binaries", "BIN="+dir)
	if out, err := build.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("make binaries: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "slipway")
	name := fmt.Sprintf("bench-sigterm-%d", os.Getpid())
	cmd := exec.Command(bin, "run-e2e", "--test-service", "e2e", "--project-name", name, "--test-command", "sleep", "--build", "false")
	cmd.Dir = dir
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	for deadline := time.Now().Add(2 * time.Minute); !composetest.Printed(cli, name, "e2e", "sleeping"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return 0, 0, fmt.Errorf("the test service never started:\n%s", out.String())
		}
	}
	start := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(actionkit.CancelSIGTERMAfter + actionkit.CancelSIGKILLAfter):
		_ = cmd.Process.Kill() // as the runner kills it
		<-done
	}
	took := time.Since(start)
	n, err := compose.Leftovers(ctx, cli, name)
	if n > 0 {
		_ = compose.Down(ctx, cli, name)
	}
	return took, n, err
}

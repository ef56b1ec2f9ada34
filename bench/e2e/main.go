// Command e2e measures run-e2e's engine against the hand-written loop a workflow uses today
// (`docker-compose pull`, `up -d`, poll the health status every second, run the tests, `down -v`) on
// the same project, interleaved, as on a fresh runner: before every measured run the project's images
// exist only in a docker-registry on loopback, so both pull them. It prints the ratio of the medians,
// the time each spent pulling, and how soon after a dependency turned healthy its dependent was
// started.
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
	"time"

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
	// The test platform's program, FROM scratch as the tests build it, as two images (db, api and the
	// migration share one; the test service has its own), each with a layer of its own.
	ctxDir := filepath.Join(dir, "context")
	if err := os.MkdirAll(ctxDir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(ctxDir, "platform"), "./internal/compose/testdata/platform")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build platform: %v\n%s", err, out)
	}
	_ = os.MkdirAll(filepath.Join(ctxDir, "tmp"), 0o755)
	_ = os.WriteFile(filepath.Join(ctxDir, "tmp", ".keep"), nil, 0o644)
	_ = os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY id /id\nCOPY platform /platform\nCOPY tmp /tmp\nENTRYPOINT [\"/platform\"]\n"), 0o644)
	var imgs []string
	for _, name := range []string{"db", "e2e"} {
		ref := fmt.Sprintf("%s/slipway-bench/%s:%d", reg.Host, name, os.Getpid())
		_ = os.WriteFile(filepath.Join(ctxDir, "id"), []byte(ref), 0o644)
		if _, err := sh(ctxDir, "docker", "build", "-q", "-t", ref, "."); err != nil {
			return err
		}
		if _, err := sh(dir, "docker", "push", "-q", ref); err != nil {
			return err
		}
		imgs = append(imgs, ref)
	}
	absent := func() error {
		out, err := sh(dir, "docker", append([]string{"rmi", "-f"}, imgs...)...)
		if err != nil && !strings.Contains(out, "No such image") {
			return err
		}
		return nil
	}
	defer func() { _ = absent() }()
	project := composetest.Compose(imgs[0], composetest.Green, "  e2e:\n    image: "+imgs[0], "  e2e:\n    image: "+imgs[1])
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(project), 0o644); err != nil {
		return err
	}
	ctx := context.Background()
	cli, err := docker.Connect(ctx, "")
	if err != nil {
		return err
	}
	var ours, loop, oursPull, loopPull []time.Duration
	var worstReady time.Duration
	for i := range rounds {
		// slipway's engine
		if err := absent(); err != nil {
			return err
		}
		name := fmt.Sprintf("bench-slipway-%d-%d", os.Getpid(), i)
		start := time.Now()
		p, _, err := compose.Load(ctx, compose.Spec{Files: []string{"docker-compose.yml"}, WorkDir: dir, ProjectName: name, TestService: "e2e"})
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
		ours = append(ours, time.Since(start))
		oursPull = append(oursPull, pulled.PullTook)
		for _, rd := range res.Ready {
			worstReady = max(worstReady, rd.Latency)
		}

		// the hand-written loop
		if err := absent(); err != nil {
			return err
		}
		name = fmt.Sprintf("benchloop%d%d", os.Getpid(), i)
		start = time.Now()
		if _, err := sh(dir, "docker-compose", "-p", name, "pull", "-q"); err != nil {
			return err
		}
		loopPull = append(loopPull, time.Since(start))
		if _, err := sh(dir, "docker-compose", "-p", name, "up", "-d", "api"); err != nil {
			return err
		}
		for {
			out, err := sh(dir, "docker", "inspect", "-f", "{{.State.Health.Status}}", name+"_api_1")
			if err != nil {
				return err
			}
			if strings.TrimSpace(out) == "healthy" {
				break
			}
			time.Sleep(time.Second)
		}
		if _, err := sh(dir, "docker-compose", "-p", name, "run", "--rm", "--no-deps", "e2e"); err != nil {
			return err
		}
		if _, err := sh(dir, "docker-compose", "-p", name, "down", "-v"); err != nil {
			return err
		}
		loop = append(loop, time.Since(start))
	}
	med := func(d []time.Duration) time.Duration { s := slices.Clone(d); slices.Sort(s); return s[len(s)/2] }
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	fmt.Printf("run-e2e: db + migration + api + e2e from two images that are only in a docker-registry on loopback\n")
	fmt.Printf("(pulled before every run), median of %d interleaved rounds, %d cores\n", rounds, runtime.NumCPU())
	fmt.Printf("  run-e2e engine (pull, up, test, down):                 %s, of which pulling %s\n", ms(med(ours)), ms(med(oursPull)))
	fmt.Printf("  docker-compose pull, up -d, poll 1s, run, down -v:     %s, of which pulling %s\n", ms(med(loop)), ms(med(loopPull)))
	fmt.Printf("  ratio run-e2e/loop: %.2f (goal <= 1.05); pulling: %.2f\n", float64(med(ours))/float64(med(loop)), float64(med(oursPull))/float64(med(loopPull)))
	fmt.Printf("  readiness: a dependent starts at most %s after its dependency is ready (goal <= 1s)\n", ms(worstReady))
	return nil
}

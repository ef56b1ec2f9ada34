// Command e2e measures run-e2e's engine against the hand-written loop a workflow uses today
// (`docker-compose up -d`, poll the health status every second, run the tests, `down -v`) on the
// same project, interleaved, and prints the ratio of the medians and how soon after a dependency
// turned healthy its dependent was started.
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
	// The test platform's image, FROM scratch, as the tests build it.
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "platform"), "./internal/compose/testdata/platform")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build platform: %v\n%s", err, out)
	}
	_ = os.MkdirAll(filepath.Join(dir, "tmp"), 0o755)
	_ = os.WriteFile(filepath.Join(dir, "tmp", ".keep"), nil, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY platform /platform\nCOPY tmp /tmp\nENTRYPOINT [\"/platform\"]\n"), 0o644)
	const img = "slipway-bench/platform:latest"
	if _, err := sh(dir, "docker", "build", "-q", "-t", img, "."); err != nil {
		return err
	}
	defer func() { _, _ = sh(dir, "docker", "rmi", "-f", img) }()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), []byte(composetest.Compose(img, composetest.Green)), 0o644); err != nil {
		return err
	}
	ctx := context.Background()
	cli, err := docker.Connect(ctx, "")
	if err != nil {
		return err
	}
	var ours, loop []time.Duration
	var worstReady time.Duration
	for i := range rounds {
		// slipway's engine
		name := fmt.Sprintf("bench-slipway-%d-%d", os.Getpid(), i)
		start := time.Now()
		p, err := compose.Load(ctx, compose.Spec{Files: []string{"docker-compose.yml"}, WorkDir: dir, ProjectName: name, TestService: "e2e"})
		if err != nil {
			return err
		}
		r := &compose.Runner{Docker: cli, Infof: func(string, ...any) {}}
		res, err := r.Run(ctx, p, compose.Options{TestService: "e2e", WaitTimeout: time.Minute})
		if err != nil || res.ExitCode != 0 {
			return fmt.Errorf("slipway run: exit %d, %v", res.ExitCode, err)
		}
		ours = append(ours, time.Since(start))
		for _, rd := range res.Ready {
			worstReady = max(worstReady, rd.Latency)
		}

		// the hand-written loop
		name = fmt.Sprintf("benchloop%d%d", os.Getpid(), i)
		start = time.Now()
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
	fmt.Printf("run-e2e: db + migration + api + e2e (FROM scratch images), median of %d interleaved rounds, 2 cores\n", rounds)
	fmt.Printf("  run-e2e engine:                       %s\n", med(ours).Round(time.Millisecond))
	fmt.Printf("  docker-compose up -d, poll 1s, run, down -v: %s\n", med(loop).Round(time.Millisecond))
	fmt.Printf("  ratio run-e2e/loop: %.2f (goal <= 1.05)\n", float64(med(ours))/float64(med(loop)))
	fmt.Printf("  readiness: a dependent starts at most %s after its dependency is ready (goal <= 1s)\n", worstReady.Round(time.Millisecond))
	return nil
}

// Command build measures build-push-images' registry cache: a one-line source change rebuilt on a
// builder that holds nothing (slipway's buildkitd, fresh every build, as on a fresh runner) with the
// cache of the previous commit restored from a registry (cache-to type=registry,mode=max), against
// the same build cold. Both push the image by digest to docker-registry on loopback; the rounds
// interleave the two. The floor is the changed layer alone: a build of only that step and its push.
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
	"time"

	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

func main() {
	rounds := flag.Int("rounds", 3, "rounds of each, interleaved")
	mib := flag.Int("mib", 48, "MiB each dependency stage writes (random text: gzip has work to do)")
	flag.Parse()
	if err := run(*rounds, *mib); err != nil {
		fmt.Fprintln(os.Stderr, "bench/build:", err)
		os.Exit(1)
	}
}

// dockerfile is an app's: dependencies in a builder stage, the source copied last.
const dockerfile = `FROM scratch AS deps
COPY tool /tool
RUN ["/tool", "fill", "/deps-a", "%[1]d"]
RUN ["/tool", "fill", "/deps-b", "%[1]d"]
FROM scratch
COPY --from=deps /deps-a /deps-b /opt/
COPY src.txt /app/src.txt
`

func run(rounds, mib int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "bench-build")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	reg, err := registrytest.Launch(dir, registrytest.Options{})
	if err != nil {
		return err
	}
	defer reg.Stop()
	tool := filepath.Join(dir, "tool")
	cmd := exec.Command("go", "build", "-trimpath", "-o", tool, "./internal/images/testdata/tool")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the tool: %v\n%s", err, out)
	}
	write := func(name, df, src string) (images.Spec, error) {
		ws := filepath.Join(dir, name)
		if err := os.MkdirAll(ws, 0o755); err != nil {
			return images.Spec{}, err
		}
		data, _ := os.ReadFile(tool)
		for n, b := range map[string][]byte{"tool": data, "Dockerfile": []byte(df), "src.txt": []byte(src)} {
			if err := os.WriteFile(filepath.Join(ws, n), b, 0o755); err != nil {
				return images.Spec{}, err
			}
		}
		specs, err := images.ParseSpecs("app="+ws, ws)
		if err != nil {
			return images.Spec{}, err
		}
		return specs[0], nil
	}
	df := fmt.Sprintf(dockerfile, mib)
	base, err := write("base", df, "package app // v1\n")
	if err != nil {
		return err
	}
	changed, err := write("changed", df, "package app // v2: one line changed\n")
	if err != nil {
		return err
	}
	floor, err := write("floor", "FROM scratch\nCOPY src.txt /app/src.txt\n", "package app // v2: one line changed\n")
	if err != nil {
		return err
	}
	cacheRef := reg.Host + "/cache/app:main"
	to, _ := images.ParseCache("type=registry,ref="+cacheRef+",mode=max", true)
	from, _ := images.ParseCache("type=registry,ref="+cacheRef, false)

	fmt.Printf("bench/build: two %d MiB dependency steps and a one-line source change, fresh buildkitd each build, %d rounds\n", mib, rounds)
	if _, _, err := build(ctx, base, images.Remote{Repository: reg.Host + "/app", CacheTo: []images.Cache{to}}); err != nil {
		return fmt.Errorf("the base commit's build: %w", err)
	}
	var cold, warm, alone []time.Duration
	for round := range rounds {
		d, _, err := build(ctx, changed, images.Remote{Repository: reg.Host + "/app"})
		if err != nil {
			return err
		}
		cold = append(cold, d)
		d, solved, err := build(ctx, changed, images.Remote{Repository: reg.Host + "/app", CacheFrom: []images.Cache{from}})
		if err != nil {
			return err
		}
		warm = append(warm, d)
		d, _, err = build(ctx, floor, images.Remote{Repository: reg.Host + "/floor"})
		if err != nil {
			return err
		}
		alone = append(alone, d)
		fmt.Printf("  round %d: cold %6.2fs   registry cache %6.2fs (%d steps from cache, ran %q)   changed layer alone %6.2fs\n",
			round+1, cold[round].Seconds(), warm[round].Seconds(), len(solved.Cached), solved.Ran, alone[round].Seconds())
	}
	mc, mw, ma := median(cold), median(warm), median(alone)
	fmt.Printf("ratio (registry cache ÷ cold): %.2f  (goal ≤ 0.30; medians %.2fs / %.2fs)   floor (changed layer alone ÷ cold): %.2f (%.2fs)\n",
		mw.Seconds()/mc.Seconds(), mw.Seconds(), mc.Seconds(), ma.Seconds()/mc.Seconds(), ma.Seconds())
	return nil
}

// build starts a buildkitd that holds nothing, times one solve and push, and removes it.
func build(ctx context.Context, s images.Spec, o images.Remote) (time.Duration, images.Solved, error) {
	d, err := images.StartDaemon(ctx, images.DaemonOptions{})
	if err != nil {
		return 0, images.Solved{}, err
	}
	defer func() { _ = d.Stop() }()
	solver := &images.Solver{Client: d.Client}
	start := time.Now()
	solved, err := solver.Solve(ctx, images.Request{Spec: s}, "", o, false)
	return time.Since(start), solved, err
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

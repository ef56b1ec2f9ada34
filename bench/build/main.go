// Command build measures build-push-images' registry cache: a one-line source change rebuilt on a
// builder that holds nothing (slipway's buildkitd, fresh every build, as on a fresh runner) with the
// cache of the previous commit restored from a registry (cache-to type=registry,mode=max), against
// the same build cold. Both push the image by digest to docker-registry on loopback; the rounds
// interleave the two. The floor is the changed layer alone: a build of only that step and its push.
// The same app with `COPY --link` for its source (a choice in the user's Dockerfile) is measured
// beside it: its rebuild needs no cached layer pulled or extracted. So is the rebuild on a buildkitd
// kept to Go's gzip, as buildkitd is without igzip on its PATH.
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

// dockerfile is an app's: dependencies in a builder stage, the source copied last (%[2]s is
// "--link " for the COPY --link variant).
const dockerfile = `FROM scratch AS deps
COPY tool /tool
RUN ["/tool", "fill", "/deps-a", "%[1]d"]
RUN ["/tool", "fill", "/deps-b", "%[1]d"]
FROM scratch
COPY --from=deps /deps-a /deps-b /opt/
COPY %[2]ssrc.txt /app/src.txt
`

// app is one Dockerfile's workspaces: the base commit's and the changed one's.
type app struct {
	name          string
	base, changed images.Spec
}

// times are one app's figures over the rounds.
type times struct {
	cold, warm, pulling, extracting []time.Duration
	goGzip, goExtracting            []time.Duration // the rebuild with Go's gzip (the first app only)
}

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
	w, err := newWorkspaces(dir)
	if err != nil {
		return err
	}
	var apps []app
	for _, a := range []struct{ name, link string }{{"app", ""}, {"app-link", "--link "}} {
		df := fmt.Sprintf(dockerfile, mib, a.link)
		ap := app{name: a.name}
		if ap.base, err = w.write(a.name+"-base", df, "package app // v1\n"); err != nil {
			return err
		}
		if ap.changed, err = w.write(a.name+"-changed", df, "package app // v2: one line changed\n"); err != nil {
			return err
		}
		apps = append(apps, ap)
	}
	floor, err := w.write("floor", "FROM scratch\nCOPY src.txt /app/src.txt\n", "package app // v2: one line changed\n")
	if err != nil {
		return err
	}
	fmt.Printf("bench/build: two %d MiB dependency steps and a one-line source change, fresh buildkitd each build, %d rounds\n", mib, rounds)
	for _, a := range apps {
		if _, _, err := build(ctx, a.base, images.Remote{Repository: reg.Host + "/" + a.name, CacheTo: []images.Cache{cacheTo(reg.Host, a.name)}}, false); err != nil {
			return fmt.Errorf("the base commit's build of %s: %w", a.name, err)
		}
	}
	res := make([]times, len(apps))
	var alone []time.Duration
	for round := range rounds {
		for i, a := range apps {
			if err := measure(ctx, reg.Host, a, &res[i], round, i == 0); err != nil {
				return err
			}
		}
		d, _, err := build(ctx, floor, images.Remote{Repository: reg.Host + "/floor"}, false)
		if err != nil {
			return err
		}
		alone = append(alone, d)
		fmt.Printf("  round %d: changed layer alone %6.2fs   (load %s)\n", round+1, d.Seconds(), loadavg())
	}
	report(res, median(alone))
	return nil
}

// measure builds the app's changed commit cold, then with the base commit's registry cache; with
// goGzip also on a buildkitd kept to Go's gzip, the two rebuilds in turn first.
func measure(ctx context.Context, host string, a app, t *times, round int, goGzip bool) error {
	o := images.Remote{Repository: host + "/" + a.name}
	d, _, err := build(ctx, a.changed, o, false)
	if err != nil {
		return err
	}
	t.cold = append(t.cold, d)
	from, _ := images.ParseCache("type=registry,ref="+cacheRef(host, a.name), false)
	o.CacheFrom = []images.Cache{from}
	order := []bool{false}
	if goGzip {
		order = []bool{round%2 == 1, round%2 == 0}
	}
	var line string
	for _, gz := range order {
		d, solved, err := build(ctx, a.changed, o, gz)
		if err != nil {
			return err
		}
		if gz {
			t.goGzip, t.goExtracting = append(t.goGzip, d), append(t.goExtracting, solved.Layers.Extracting)
			continue
		}
		t.warm = append(t.warm, d)
		t.pulling, t.extracting = append(t.pulling, solved.Layers.Pulling), append(t.extracting, solved.Layers.Extracting)
		line = fmt.Sprintf("registry cache %6.2fs (%d steps from cache, ran %q; cached layers %.2fs pulling, %.2fs extracting)",
			d.Seconds(), len(solved.Cached), dockerfileSteps(solved.Ran), solved.Layers.Pulling.Seconds(), solved.Layers.Extracting.Seconds())
	}
	if goGzip {
		line += fmt.Sprintf("   with Go's gzip %6.2fs (%.2fs extracting)", t.goGzip[round].Seconds(), t.goExtracting[round].Seconds())
	}
	fmt.Printf("  round %d %-9s cold %6.2fs   %s\n", round+1, a.name+":", t.cold[round].Seconds(), line)
	return nil
}

func report(res []times, alone time.Duration) {
	a, l := res[0], res[1]
	mc, mw := median(a.cold), median(a.warm)
	fmt.Printf("ratio (registry cache ÷ cold): %.2f  (goal ≤ 0.30; medians %.2fs / %.2fs; of the rebuild, %.2fs pulling and %.2fs extracting the cached layer the changed COPY runs on, with %s)   floor (changed layer alone ÷ cold): %.2f (%.2fs)\n",
		mw.Seconds()/mc.Seconds(), mw.Seconds(), mc.Seconds(), median(a.pulling).Seconds(), median(a.extracting).Seconds(),
		images.Decompressor(os.Getenv("PATH")), alone.Seconds()/mc.Seconds(), alone.Seconds())
	fmt.Printf("on a buildkitd kept to Go's gzip: %.2f  (medians %.2fs / %.2fs; %.2fs extracting)\n",
		median(a.goGzip).Seconds()/mc.Seconds(), median(a.goGzip).Seconds(), mc.Seconds(), median(a.goExtracting).Seconds())
	fmt.Printf("with COPY --link for the source (the user's Dockerfile): %.2f  (medians %.2fs / %.2fs)\n",
		median(l.warm).Seconds()/median(l.cold).Seconds(), median(l.warm).Seconds(), median(l.cold).Seconds())
}

// dockerfileSteps are the steps of the Dockerfile among those buildkitd names ("[stage 1/2] …"),
// not its loading of the context or the cache, nor the export.
func dockerfileSteps(steps []string) []string {
	return slices.DeleteFunc(slices.Clone(steps), func(s string) bool {
		return !strings.HasPrefix(s, "[") || strings.HasPrefix(s, "[internal]")
	})
}

func cacheRef(host, name string) string { return host + "/cache/" + name + ":main" }

func cacheTo(host, name string) images.Cache {
	c, _ := images.ParseCache("type=registry,ref="+cacheRef(host, name)+",mode=max", true)
	return c
}

// workspaces writes build contexts holding the test tool, built once.
type workspaces struct{ dir, tool string }

func newWorkspaces(dir string) (workspaces, error) {
	tool := filepath.Join(dir, "tool")
	cmd := exec.Command("go", "build", "-trimpath", "-o", tool, "./internal/images/testdata/tool")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return workspaces{}, fmt.Errorf("build the tool: %v\n%s", err, out)
	}
	return workspaces{dir: dir, tool: tool}, nil
}

func (w workspaces) write(name, df, src string) (images.Spec, error) {
	ws := filepath.Join(w.dir, name)
	if err := os.MkdirAll(ws, 0o755); err != nil {
		return images.Spec{}, err
	}
	data, err := os.ReadFile(w.tool)
	if err != nil {
		return images.Spec{}, err
	}
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

// build starts a buildkitd that holds nothing, times one solve and push, and removes it.
func build(ctx context.Context, s images.Spec, o images.Remote, goGzip bool) (time.Duration, images.Solved, error) {
	d, err := images.StartDaemon(ctx, images.DaemonOptions{GoGzip: goGzip})
	if err != nil {
		return 0, images.Solved{}, err
	}
	defer func() { _ = d.Stop() }()
	solver := &images.Solver{Client: d.Client}
	start := time.Now()
	solved, err := solver.Solve(ctx, images.Request{Spec: s}, "", o, false)
	return time.Since(start), solved, err
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

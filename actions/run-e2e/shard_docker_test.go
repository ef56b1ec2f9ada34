package rune2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// suiteCompose is a project whose test service runs the platform program's suite of 10 cases,
// selecting its part by SLIPWAY_SHARD_INDEX and SLIPWAY_SHARD_TOTAL, against an api it waits for.
const suiteCompose = `services:
  api:
    image: IMAGE
    command: [serve]
    healthcheck: {test: ["CMD", "/platform", "check"], interval: 200ms, retries: 100}
  e2e:
    image: IMAGE
    command: [suite, -n, "10", -reports, /reports]
    depends_on: {api: {condition: service_healthy}}
`

// suiteRun runs run-e2e on suiteCompose in the workspace ws (empty: one of its own, as a job of its
// own would), with the inputs given; it returns the workspace.
func suiteRun(t *testing.T, ws string, inputs ...string) (actiontest.Result, string) {
	t.Helper()
	cli := dockertest.Client(t)
	img := composetest.PlatformImage(t, cli)
	if err := os.WriteFile(filepath.Join(ws, "docker-compose.yml"), []byte(composetest.Compose(img, suiteCompose)), 0o644); err != nil {
		t.Fatal(err)
	}
	name := strings.ToLower(dockertest.UniqueName(t, "shard"))
	t.Cleanup(func() {
		if n, err := compose.Leftovers(context.Background(), cli, name); err != nil || n != 0 {
			t.Errorf("%d leftovers of project %s (%v)", n, name, err)
		}
	})
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"] = ws
	r.Input("test-service", "e2e").Input("project-name", name).Input("reports", "/reports/*.xml").Input("build", "false")
	for i := 0; i+1 < len(inputs); i += 2 {
		r.Input(inputs[i], inputs[i+1])
	}
	return r.Run(t, context.Background(), Main), ws
}

// outcomes is a report's cases as classname, name and last outcome, sorted.
func outcomes(t *testing.T, files ...string) []string {
	t.Helper()
	var out []string
	for _, f := range files {
		r, err := readReport(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Cases {
			out = append(out, fmt.Sprintf("%s %s %s", c.Class, c.Name, c.Outcome()))
		}
	}
	slices.Sort(out)
	return out
}

// download puts a shard's reports-dir under ws/shards/slipway-e2e-reports-<i>, as
// actions/download-artifact with pattern slipway-e2e-reports-* does.
func download(t *testing.T, shardWS, ws string, i int) {
	t.Helper()
	dst := filepath.Join(ws, "shards", fmt.Sprintf("slipway-e2e-reports-%d", i))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(shardWS, "e2e-reports"))); err != nil {
		t.Fatal(err)
	}
}

// The must-show of sharding, on the engine: a suite run whole and run as 3 shards (each in its own
// workspace, as a job of a matrix), whose reports merged equal the whole run's cases and outcomes;
// each shard's test service ran its part only, told by SLIPWAY_SHARD. A failing shard and a missing
// one each fail the merge.
func TestShards_MergedReportEqualsTheUnshardedRun(t *testing.T) {
	t.Parallel()
	whole, wholeWS := suiteRun(t, t.TempDir())
	if whole.Code != 0 || whole.Outputs["tests"] != "10" || whole.Outputs["skipped"] != "1" {
		t.Fatalf("the whole suite: exit %d, outputs %v; log:\n%s", whole.Code, whole.Outputs, whole.Stdout)
	}
	want := outcomes(t, filepath.Join(wholeWS, "e2e-reports", "junit.xml"))

	// Shards 1, 2 and 3 green, and shard 2 again with case 5 failing: each run's workspace.
	runs := []struct {
		shard int
		extra []string
	}{{1, nil}, {2, nil}, {3, nil}, {2, []string{"test-command", "suite\n-n\n10\n-reports\n/reports\n-failing\ntest_5"}}}
	wss := make([]string, len(runs))
	for i := range wss {
		wss[i] = t.TempDir() // the parent's: it outlives the subtests
	}
	done := make([]bool, len(runs))
	t.Run("shards", func(t *testing.T) {
		for i, c := range runs {
			wantTests := map[int]string{1: "4", 2: "3", 3: "3"}[c.shard] // cases 1,4,7,10; 2,5,8; 3,6,9
			failing := c.extra != nil
			t.Run(fmt.Sprintf("%d of 3, failing %v", c.shard, failing), func(t *testing.T) {
				t.Parallel()
				res, ws := suiteRun(t, wss[i], append([]string{"shard", fmt.Sprintf("%d/3", c.shard)}, c.extra...)...)
				wantCode := map[bool]int{false: 0, true: 1}[failing]
				if res.Code != wantCode || res.Outputs["tests"] != wantTests {
					t.Fatalf("exit %d, outputs %v; want exit %d and %s tests; log:\n%s", res.Code, res.Outputs, wantCode, wantTests, res.Stdout)
				}
				report := filepath.Join(ws, "e2e-reports", fmt.Sprintf("shard-%d-of-3-junit.xml", c.shard))
				r, err := readReport(report)
				if err != nil {
					t.Fatalf("the shard's report, named by its shard: %v", err)
				}
				if suite := fmt.Sprintf("suite, shard %d/3", c.shard); len(r.Cases) == 0 || r.Cases[0].Suite != suite {
					t.Errorf("the test service was not told SLIPWAY_SHARD=%d/3: %+v", c.shard, r.Cases)
				}
				m, err := readManifest(filepath.Join(ws, "e2e-reports", manifestFile))
				if err != nil || m.Shard != (shard{c.shard, 3}) || m.M.Result != map[bool]string{false: "passed", true: "failed"}[failing] ||
					m.M.TestService != "e2e" || !slices.Equal(m.M.Reports, []string{filepath.Base(report)}) {
					t.Errorf("manifest %+v (%v)", m, err)
				}
				done[i] = true
			})
		}
	})
	if slices.Contains(done, false) {
		t.Fatal("a shard's run failed")
	}
	shardWS, failingWS := map[int]string{1: wss[0], 2: wss[1], 3: wss[2]}, wss[3]

	// The three green shards, downloaded and merged: the whole run's cases, and a pass.
	ws := t.TempDir()
	for _, i := range slices.Sorted(maps.Keys(shardWS)) {
		download(t, shardWS[i], ws, i)
	}
	res := mergeRun(t, ws)
	if res.Code != 0 || res.Outputs["result"] != "passed" || res.Outputs["tests"] != "10" || res.Outputs["skipped"] != "1" {
		t.Fatalf("merge: exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if got := outcomes(t, filepath.Join(ws, "e2e-reports", mergedReport)); !slices.Equal(got, want) {
		t.Errorf("merged cases\n%s\nthe whole run's\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Shard 2 failing in place of the green one: the merge fails, naming it, and annotates its case.
	ws = t.TempDir()
	download(t, shardWS[1], ws, 1)
	download(t, failingWS, ws, 2)
	download(t, shardWS[3], ws, 3)
	res = mergeRun(t, ws)
	if res.Code != 1 || res.Outputs["result"] != "failed" || res.Outputs["failures"] != "1" || res.Outputs["tests"] != "10" ||
		!strings.Contains(res.Stdout, "shard 2/3 failed: test service e2e exited 1") {
		t.Errorf("a failing shard: exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if anns := actiontest.Annotations(res.Stdout); !slices.ContainsFunc(anns, func(a actionkit.Annotation) bool {
		return a.Title == "tests.test_cart test_5" && a.Line == 15
	}) {
		t.Errorf("no annotation of test_5: %+v", anns)
	}

	// Shard 2 missing: the merge fails, naming it.
	ws = t.TempDir()
	download(t, shardWS[1], ws, 1)
	download(t, shardWS[3], ws, 3)
	res = mergeRun(t, ws)
	if res.Code != 1 || res.Outputs["result"] != "failed" || !strings.Contains(res.Stdout, "shard 2/3 is missing: no slipway-shard.json of it under shards") {
		t.Errorf("a missing shard: exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
}

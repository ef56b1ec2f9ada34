package rune2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/junit"
)

func TestParseShard_IOfNOnly(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]shard{"2/3": {2, 3}, "1/1": {1, 1}, " 3 / 3 ": {3, 3}, "256/256": {256, 256}} {
		if got, err := parseShard(in); err != nil || got != want {
			t.Errorf("parseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"":             "is not i/n",
		"3":            "is not i/n",
		"2/3/4":        "is not i/n",
		"a/b":          "is not i/n",
		"-1/3":         "is not i/n",
		"1.5/3":        "is not i/n",
		"0/3":          "the shard must be 1 to 3 (shards count from 1)",
		"4/3":          "the shard must be 1 to 3",
		"2/0":          "the number of shards must be 1 to 256",
		"1/257":        "the number of shards must be 1 to 256",
		"1/9999999999": "is not i/n",
	} {
		if got, err := parseShard(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseShard(%q) = %v, %v; want an error saying %q", in, got, err, want)
		}
	}
}

// shard, merge-shards and test-service are checked with every other input, all at once, before
// anything is touched (the engine given is one that cannot answer).
func TestShardInputs_BadInputIsExit2NamingIt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		inputs map[string]string
		want   []string
	}{
		{name: "shard out of range, with the other problems", inputs: map[string]string{"test-service": "e2e", "shard": "4/3", "timeout": "soon"},
			want: []string{`input "shard": "4/3": the shard must be 1 to 3`, `input "timeout": "soon" is not a duration`}},
		{name: "shard not i/n", inputs: map[string]string{"test-service": "e2e", "shard": "2 of 3"}, want: []string{`input "shard": "2 of 3" is not i/n`}},
		{name: "shard with merge-shards", inputs: map[string]string{"shard": "1/2", "merge-shards": "shards"},
			want: []string{`input "merge-shards": given with shard: a merge runs no tests`}},
		{name: "merge-shards outside the workspace", inputs: map[string]string{"merge-shards": "../shards"},
			want: []string{`input "merge-shards": "../shards" is outside the workspace`}},
		{name: "no test-service and no merge-shards", inputs: map[string]string{"shard": "1/2"},
			want: []string{`input "test-service": is required (the service whose exit code is the verdict), unless merge-shards is given`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := actiontest.NewRunner(t)
			r.Env["GITHUB_WORKSPACE"], r.Env["DOCKER_HOST"] = t.TempDir(), "tcp://127.0.0.1:1"
			for k, v := range c.inputs {
				r.Input(k, v)
			}
			res := r.Run(t, context.Background(), Main)
			if res.Code != 2 || len(res.Outputs) != 0 {
				t.Fatalf("exit %d, outputs %v; want 2 and none; log:\n%s", res.Code, res.Outputs, res.Stdout)
			}
			for _, w := range c.want {
				if !strings.Contains(res.Stdout, w) {
					t.Errorf("log lacks %s:\n%s", w, res.Stdout)
				}
			}
			if strings.Contains(res.Stdout, `"test-service": is required`) != strings.Contains(strings.Join(c.want, " "), `"test-service": is required`) {
				t.Errorf("test-service asked for where it is not needed, or not asked for:\n%s", res.Stdout)
			}
		})
	}
}

// writeShard leaves in ws/dir what a run of shard sh (i/n) of test service svc leaves in its
// reports-dir: its reports, named as a shard names them, and its manifest, written by the code a
// shard's run writes it with. runErr is how the run ended (nil: passed); place gives failing cases
// the file and line the run's locator found.
func writeShard(t *testing.T, ws, dir, sh, svc string, runErr error, reports map[string]string, place map[string]string) {
	t.Helper()
	s, err := parseShard(sh)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{Workspace: ws, ReportsDir: filepath.Join(ws, dir), TestService: svc, Shard: s}
	res := &compose.Result{Took: 90 * time.Second}
	rep := &junit.Report{}
	for _, name := range slices.Sorted(maps.Keys(reports)) {
		p, err := compose.WriteFile(ws, cfg.ReportsDir, s.reportsPrefix()+name, []byte(reports[name]))
		if err != nil {
			t.Fatal(err)
		}
		res.Reports = append(res.Reports, p)
		r, err := readReport(p)
		if err != nil {
			t.Fatal(err)
		}
		rep.Add(r)
	}
	for i, c := range rep.Cases {
		if at, ok := place[c.Name]; ok {
			file, line, _ := strings.Cut(at, ":")
			rep.Cases[i].File = file
			if rep.Cases[i].Line, err = strconv.Atoi(line); err != nil {
				t.Fatal(err)
			}
		}
	}
	getenv := func(k string) string { return map[string]string{"GITHUB_RUN_ID": "77", "GITHUB_RUN_ATTEMPT": "1"}[k] }
	m := newManifest(cfg, getenv, shardRun{Project: "slipway-e2e-77-1-e2e", Res: res, Rep: rep}, runErr, func(s string) string { return s })
	if err := writeManifest(cfg, m); err != nil {
		t.Fatal(err)
	}
}

// suiteXML is a pytest-shaped report of the cases given as name=outcome (passed, failed, skipped,
// flaky: failed, then passed on re-run, as a shard's re-run writes it).
func suiteXML(cases ...string) string {
	var b strings.Builder
	b.WriteString(`<testsuites><testsuite name="pytest">`)
	for _, c := range cases {
		name, outcome, _ := strings.Cut(c, "=")
		b.WriteString(`<testcase classname="tests.test_shop" name="` + name + `" time="1.5">`)
		switch outcome {
		case "failed":
			b.WriteString(`<failure message="assert 1 == 2">tests/test_shop.py:9: AssertionError` + "\n::set-output name=result::pwned</failure>")
		case "skipped":
			b.WriteString(`<skipped message="later"/>`)
		case "flaky":
			b.WriteString(`<flakyFailure message="timeout"><stackTrace>tests/test_shop.py:20: TimeoutError</stackTrace></flakyFailure>`)
		}
		b.WriteString(`</testcase>`)
	}
	b.WriteString(`</testsuite></testsuites>`)
	return b.String()
}

// mergeRun runs run-e2e with merge-shards in ws, with an engine that cannot answer: a merge runs
// nothing.
func mergeRun(t *testing.T, ws string, inputs ...string) actiontest.Result {
	t.Helper()
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"], r.Env["DOCKER_HOST"] = ws, "tcp://127.0.0.1:1"
	r.Input("merge-shards", "shards")
	for i := 0; i+1 < len(inputs); i += 2 {
		r.Input(inputs[i], inputs[i+1])
	}
	return r.Run(t, context.Background(), Main)
}

// readMerged reads reports-dir/merged.xml of a merge.
func readMerged(t *testing.T, ws string) *junit.Report {
	t.Helper()
	r, err := readReport(filepath.Join(ws, "e2e-reports", mergedReport))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Three shards that passed merge into one report of all their cases, one summary with a row per
// shard, and one set of annotations: a shard's flaky case stays flaky (a warning, counted in
// flaky); with fail-on-flaky the same merge fails.
func TestMergeShards_AllShardsPassedMergeIntoOneReport(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	writeShard(t, ws, "shards/slipway-e2e-reports-1", "1/3", "e2e", nil, map[string]string{"junit.xml": suiteXML("test_a=passed", "test_d=skipped")}, nil)
	writeShard(t, ws, "shards/slipway-e2e-reports-2", "2/3", "e2e", nil, map[string]string{"junit.xml": suiteXML("test_b=passed", "test_e=flaky")},
		map[string]string{"test_e": "tests/test_shop.py:20"})
	writeShard(t, ws, "shards/slipway-e2e-reports-3", "3/3", "e2e", nil, map[string]string{"junit.xml": suiteXML("test_c=passed"), "more.xml": suiteXML("test_f=passed")}, nil)
	res := mergeRun(t, ws)
	if res.Code != 0 {
		t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
	}
	want := map[string]string{"result": "passed", "tests": "6", "failures": "0", "skipped": "1", "flaky": "1", "reports-dir": "e2e-reports"}
	for k, v := range want {
		if res.Outputs[k] != v {
			t.Errorf("output %s = %q, want %q (outputs %v)", k, res.Outputs[k], v, res.Outputs)
		}
	}
	merged := readMerged(t, ws)
	var names []string
	for _, c := range merged.Cases {
		names = append(names, c.Name+"="+string(c.Outcome()))
	}
	slices.Sort(names)
	if got := strings.Join(names, " "); got != "test_a=passed test_b=passed test_c=passed test_d=skipped test_e=passed test_f=passed" || merged.Flaky != 1 {
		t.Errorf("merged report: %s, %d flaky", got, merged.Flaky)
	}
	anns := actiontest.Annotations(res.Stdout)
	if len(anns) != 1 || anns[0].Level != "warning" || anns[0].File != "tests/test_shop.py" || anns[0].Line != 20 || !strings.Contains(anns[0].Title, "flaky: tests.test_shop test_e") {
		t.Errorf("annotations %+v; want one warning for the flaky case, where its shard placed it", anns)
	}
	for _, w := range []string{"run-e2e: e2e, 3 shards merged", "| slipway-e2e-77-1-e2e | passed (1 flaky) | 5 | 0 | 1 | 9s | 1m30s |", "| 2/3 | passed | 2 | 0 | 0 | 1 | 1m30s |", "Flaky (1)"} {
		if !strings.Contains(res.Summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, res.Summary)
		}
	}
	if res := mergeRun(t, ws, "fail-on-flaky", "true"); res.Code != 1 || res.Outputs["result"] != "failed" || !strings.Contains(res.Stdout, "1 flaky cases failed, then passed on re-run (fail-on-flaky)") {
		t.Errorf("with fail-on-flaky: exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
}

// A shard whose run failed fails the merge even when its reports hold no failure (its test service
// crashed after writing them); a failing case is annotated where its shard's run placed it, and its
// text, a test container's, issues no workflow command.
func TestMergeShards_AFailedShardFailsTheMerge(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	writeShard(t, ws, "shards/a", "1/2", "e2e", nil, map[string]string{"junit.xml": suiteXML("test_a=passed")}, nil)
	writeShard(t, ws, "shards/b", "2/2", "e2e", errors.New("test service e2e exited 139"), map[string]string{"junit.xml": suiteXML("test_b=passed")}, nil)
	res := mergeRun(t, ws)
	if res.Code != 1 || res.Outputs["result"] != "failed" || res.Outputs["failures"] != "0" || res.Outputs["tests"] != "2" ||
		!strings.Contains(res.Stdout, "shard 2/2 failed: test service e2e exited 139") {
		t.Fatalf("exit %d, outputs %v; want 1 naming the failed shard; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if !strings.Contains(res.Summary, "| 2/2 | failed: test service e2e exited 139 |") {
		t.Errorf("summary:\n%s", res.Summary)
	}

	ws = t.TempDir()
	writeShard(t, ws, "shards/a", "1/2", "e2e", nil, map[string]string{"junit.xml": suiteXML("test_a=passed")}, nil)
	writeShard(t, ws, "shards/b", "2/2", "e2e", errors.New("test service e2e exited 1"), map[string]string{"junit.xml": suiteXML("test_b=failed")},
		map[string]string{"test_b": "e2e/tests/test_shop.py:9"})
	res = mergeRun(t, ws)
	if res.Code != 1 || res.Outputs["failures"] != "1" {
		t.Fatalf("exit %d, outputs %v; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	anns := actiontest.Annotations(res.Stdout)
	if !slices.ContainsFunc(anns, func(a actionkit.Annotation) bool {
		return a.Level == "error" && a.File == "e2e/tests/test_shop.py" && a.Line == 9 && strings.Contains(a.Message, "assert 1 == 2")
	}) {
		t.Errorf("no error annotation at e2e/tests/test_shop.py:9: %+v", anns)
	}
	for _, c := range actiontest.Commands(res.Stdout) {
		if c.Name == "set-output" {
			t.Errorf("a report's text issued set-output:\n%s", res.Stdout)
		}
	}
	if res.Outputs["result"] != "failed" {
		t.Errorf("result = %q", res.Outputs["result"])
	}
}

// A shard that is not there (its job never ran, or uploaded nothing) fails the merge, named; the
// shards that are there are merged all the same. So does a report a manifest lists that is gone,
// and a merge that finds no shard at all.
func TestMergeShards_AMissingShardFailsNamingIt(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	writeShard(t, ws, "shards/slipway-e2e-reports-1", "1/4", "e2e", nil, map[string]string{"junit.xml": suiteXML("test_a=passed")}, nil)
	writeShard(t, ws, "shards/slipway-e2e-reports-3", "3/4", "e2e", nil, map[string]string{"junit.xml": suiteXML("test_c=passed")}, nil)
	res := mergeRun(t, ws)
	if res.Code != 1 || res.Outputs["result"] != "failed" || res.Outputs["tests"] != "2" ||
		!strings.Contains(res.Stdout, "shards 2/4, 4/4 are missing: no slipway-shard.json of theirs under shards") {
		t.Fatalf("exit %d, outputs %v; want 1 naming shards 2/4 and 4/4; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if !strings.Contains(res.Summary, "| 2/4 | missing |") || !strings.Contains(res.Summary, "| 4/4 | missing |") {
		t.Errorf("summary:\n%s", res.Summary)
	}
	if got := len(readMerged(t, ws).Cases); got != 2 {
		t.Errorf("merged report holds %d cases, want the 2 of the shards there", got)
	}

	// A report the manifest lists, not downloaded.
	ws = t.TempDir()
	writeShard(t, ws, "shards/a", "1/1", "e2e", nil, map[string]string{"junit.xml": suiteXML("test_a=passed"), "two.xml": suiteXML("test_b=passed")}, nil)
	if err := os.Remove(filepath.Join(ws, "shards/a/shard-1-of-1-two.xml")); err != nil {
		t.Fatal(err)
	}
	if res := mergeRun(t, ws); res.Code != 1 || !strings.Contains(res.Stdout, "shard 1/1: its report shard-1-of-1-two.xml is not beside shards/a/slipway-shard.json") {
		t.Errorf("a report gone: exit %d; log:\n%s", res.Code, res.Stdout)
	}

	// No shard at all: an empty directory, or none.
	for _, mk := range []bool{true, false} {
		ws := t.TempDir()
		if mk {
			if err := os.MkdirAll(filepath.Join(ws, "shards", "slipway-e2e-reports-1"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if res := mergeRun(t, ws); res.Code != 1 || res.Outputs["result"] != "failed" || !strings.Contains(res.Stdout, "no shard reports (slipway-shard.json) under shards") {
			t.Errorf("directory there: %v: exit %d, outputs %v; log:\n%s", mk, res.Code, res.Outputs, res.Stdout)
		}
	}
}

// Shards that are not one suite cut into parts are bad input (exit 2), naming each manifest: a
// shard there twice, shards that disagree on their number or test service, a manifest that is not
// one. Nothing is merged and no output is set.
func TestMergeShards_DuplicateOrDisagreeingShardsAreExit2(t *testing.T) {
	t.Parallel()
	ok := map[string]string{"junit.xml": suiteXML("test_a=passed")}
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, ws string)
		want  []string
	}{
		{name: "a shard twice", setup: func(t *testing.T, ws string) {
			writeShard(t, ws, "shards/x", "1/2", "e2e", nil, ok, nil)
			writeShard(t, ws, "shards/y", "2/2", "e2e", nil, ok, nil)
			writeShard(t, ws, "shards/z", "2/2", "e2e", nil, ok, nil)
		}, want: []string{"shard 2/2 is there 2 times: shards/y/slipway-shard.json, shards/z/slipway-shard.json"}},
		{name: "disagreeing number", setup: func(t *testing.T, ws string) {
			writeShard(t, ws, "shards/x", "1/2", "e2e", nil, ok, nil)
			writeShard(t, ws, "shards/y", "2/3", "e2e", nil, ok, nil)
		}, want: []string{`the shards disagree on their number: shards/x/slipway-shard.json says "1/2", shards/y/slipway-shard.json says "2/3"`}},
		{name: "disagreeing test service", setup: func(t *testing.T, ws string) {
			writeShard(t, ws, "shards/x", "1/2", "e2e", nil, ok, nil)
			writeShard(t, ws, "shards/y", "2/2", "unit", nil, ok, nil)
		}, want: []string{`the shards are of different test services: shards/x/slipway-shard.json says "e2e", shards/y/slipway-shard.json says "unit"`}},
		{name: "not a manifest", setup: func(t *testing.T, ws string) {
			writeShard(t, ws, "shards/x", "1/2", "e2e", nil, ok, nil)
			writeRaw(t, filepath.Join(ws, "shards/y/slipway-shard.json"), `{"version": 1, "shard": "3/2", "result": "passed"}`)
			writeRaw(t, filepath.Join(ws, "shards/z/slipway-shard.json"), `<html>`)
		}, want: []string{`shards/y/slipway-shard.json: shard "3/2": the shard must be 1 to 2`, "shards/z/slipway-shard.json: not a shard manifest"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ws := t.TempDir()
			c.setup(t, ws)
			res := mergeRun(t, ws)
			if res.Code != 2 || len(res.Outputs) != 0 {
				t.Fatalf("exit %d, outputs %v; want 2 and none; log:\n%s", res.Code, res.Outputs, res.Stdout)
			}
			for _, w := range c.want {
				if !strings.Contains(res.Stdout, w) {
					t.Errorf("log lacks %s:\n%s", w, res.Stdout)
				}
			}
			if _, err := os.Stat(filepath.Join(ws, "e2e-reports", mergedReport)); err == nil {
				t.Errorf("a merged report was written")
			}
		})
	}
}

func writeRaw(t *testing.T, p, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A shard's manifest says which shard of which suite it is, how its run ended, its counts, its
// reports and where its failing cases were placed; secrets in the reason are redacted.
func TestNewManifest_DescribesTheShardsRun(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	cfg := config{Workspace: ws, ReportsDir: filepath.Join(ws, "e2e-reports"), TestService: "e2e", Shard: shard{2, 3}}
	var rep junit.Report
	if err := rep.Parse(strings.NewReader(suiteXML("test_a=passed", "test_b=failed", "test_c=skipped", "test_d=flaky"))); err != nil {
		t.Fatal(err)
	}
	rep.Cases[1].File, rep.Cases[1].Line = "e2e/tests/test_shop.py", 9
	run := shardRun{Project: "p", Res: &compose.Result{Reports: []string{filepath.Join(cfg.ReportsDir, "shard-2-of-3-junit.xml")}, Took: 1500 * time.Millisecond}, Rep: &rep}
	getenv := func(k string) string { return map[string]string{"GITHUB_RUN_ID": "77", "GITHUB_RUN_ATTEMPT": "2"}[k] }
	redact := func(s string) string { return strings.ReplaceAll(s, "hunter2", "***") }
	if err := writeManifest(cfg, newManifest(cfg, getenv, run, errors.New("login hunter2 refused"), redact)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(cfg.ReportsDir, manifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := `{"failures":1,"flaky":1,"placed":[{"class":"tests.test_shop","file":"e2e/tests/test_shop.py","line":9,"name":"test_b"},` +
		`{"class":"tests.test_shop","file":"tests/test_shop.py","line":20,"name":"test_d"}],"project":"p","reason":"login *** refused",` +
		`"reports":["shard-2-of-3-junit.xml"],"result":"failed","run_attempt":"2","run_id":"77","shard":"2/3","skipped":1,"test_service":"e2e",` +
		`"tests":4,"took_ms":1500,"version":1}`
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(b.String()) != want {
		t.Errorf("manifest:\n%s\nwant\n%s", b.String(), want)
	}
	if env := cfg.Shard.Env(); env["SLIPWAY_SHARD"] != "2/3" || env["SLIPWAY_SHARD_INDEX"] != "2" || env["SLIPWAY_SHARD_TOTAL"] != "3" || len(env) != 3 {
		t.Errorf("env = %v", env)
	}
	if (shard{}).Env() != nil || (shard{}).reportsPrefix() != "" {
		t.Errorf("an unsharded run is given shard variables or a prefix")
	}
}

// A shard an earlier workflow run left in a reused directory (a self-hosted runner keeps its
// workspace) cannot stand in for this run's missing one; nor a shard of another test service than
// the merge names. Both are exit 2 naming the manifest, and nothing is merged.
func TestMergeShards_AnotherRunsOrServicesShardIsExit2(t *testing.T) {
	t.Parallel()
	ok := map[string]string{"junit.xml": suiteXML("test_a=passed")}
	for _, c := range []struct {
		name   string
		env    map[string]string
		inputs []string
		want   string
	}{
		{name: "another run", env: map[string]string{"GITHUB_RUN_ID": "99"},
			want: "shards/y/slipway-shard.json: shard 2/2 is of workflow run 77, this is run 99"},
		{name: "another test service", inputs: []string{"test-service", "unit"},
			want: `shards/y/slipway-shard.json: shard 2/2 is of test service "e2e", this merge's test-service is "unit"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ws := t.TempDir()
			writeShard(t, ws, "shards/x", "1/2", "e2e", nil, ok, nil)
			writeShard(t, ws, "shards/y", "2/2", "e2e", nil, ok, nil)
			r := actiontest.NewRunner(t)
			r.Env["GITHUB_WORKSPACE"], r.Env["DOCKER_HOST"] = ws, "tcp://127.0.0.1:1"
			maps.Copy(r.Env, c.env)
			r.Input("merge-shards", "shards")
			for i := 0; i+1 < len(c.inputs); i += 2 {
				r.Input(c.inputs[i], c.inputs[i+1])
			}
			res := r.Run(t, context.Background(), Main)
			if res.Code != 2 || len(res.Outputs) != 0 || !strings.Contains(res.Stdout, c.want) {
				t.Fatalf("exit %d, outputs %v; want 2, none, and %q in:\n%s", res.Code, res.Outputs, c.want, res.Stdout)
			}
		})
	}
	// The same shards, merged in their own run with their own service, pass.
	ws := t.TempDir()
	writeShard(t, ws, "shards/x", "1/2", "e2e", nil, ok, nil)
	writeShard(t, ws, "shards/y", "2/2", "e2e", nil, ok, nil)
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"], r.Env["DOCKER_HOST"], r.Env["GITHUB_RUN_ID"] = ws, "tcp://127.0.0.1:1", "77"
	r.Input("merge-shards", "shards").Input("test-service", "e2e")
	if res := r.Run(t, context.Background(), Main); res.Code != 0 {
		t.Fatalf("this run's shards: exit %d\n%s", res.Code, res.Stdout)
	}
}

// A shard whose run fails before any report (here its Compose file is not there) still leaves its
// manifest, failed with the reason, and names reports-dir in its output: the upload step takes it to
// the merge, which then says why the shard failed rather than that it is missing.
func TestShard_ARunFailingEarlyLeavesItsManifestAndReportsDir(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	r := actiontest.NewRunner(t)
	r.Env["GITHUB_WORKSPACE"], r.Env["DOCKER_HOST"] = ws, "tcp://127.0.0.1:1"
	r.Input("compose-file", "missing.yml").Input("test-service", "e2e").Input("shard", "2/3")
	res := r.Run(t, context.Background(), Main)
	if res.Code == 0 || res.Outputs["reports-dir"] != "e2e-reports" {
		t.Fatalf("exit %d, reports-dir %q; want a failure naming e2e-reports\n%s", res.Code, res.Outputs["reports-dir"], res.Stdout)
	}
	f, err := readManifest(filepath.Join(ws, "e2e-reports", manifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if f.M.Result != "failed" || f.Shard.String() != "2/3" || !strings.Contains(f.M.Reason, "missing.yml") {
		t.Errorf("manifest %+v: want shard 2/3 failed, naming missing.yml", f.M)
	}
}

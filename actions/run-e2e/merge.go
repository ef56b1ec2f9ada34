package rune2e

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/junit"
	"github.com/slipway-actions/slipway/internal/review"
	"github.com/slipway-actions/slipway/internal/workspace"
)

// mergedReport is the one JUnit report merge-shards writes in reports-dir: every shard's cases, with
// their re-runs as Surefire keeps them (junit.Report.WriteXML).
const mergedReport = "merged.xml"

// maxManifestBytes bounds what is read of a manifest (it lists the failing cases of its shard).
const maxManifestBytes = 16 << 20

// foundShard is one shard's manifest found under merge-shards.
type foundShard struct {
	Dir   string // the manifest's directory, which holds the shard's reports
	Name  string // the manifest's path relative to the workspace, for messages
	Shard shard
	M     manifest
}

// shardSet is the shards found, in order, and what the set lacks.
type shardSet struct {
	Found   []foundShard
	Total   int   // the number of shards they say there are; 0 when none was found
	Missing []int // the indexes of the shards not found
}

// mergeShards is merge-shards: it runs nothing, but reads every shard's manifest and reports under
// the directory and reports them as one run, through the same annotations, outputs, summary and
// check run as a run. Manifests that do not make one suite (a shard found twice, shards that
// disagree on their number or test service, a manifest that cannot be read) are exit 2; no shard at
// all, a missing shard, a failed one, or a report that is gone fail the merge (exit 1).
func mergeShards(ctx context.Context, k *actionkit.Kit, cfg config) error {
	review.CheckRun(ctx, k, factory.New(k.Getenv, k.Debugf), cfg.Check)
	found, err := findShards(cfg)
	if err != nil {
		return err
	}
	set, err := checkShards(found, thisRun{ID: k.Getenv("GITHUB_RUN_ID"), TestService: cfg.TestService})
	if err != nil {
		return failure.BadInput(fmt.Errorf("merge-shards %s: %w", workspace.Rel(cfg.Workspace, cfg.MergeShards), err))
	}
	k.Infof("merge-shards: %d of %d shards under %s", len(set.Found), set.Total, workspace.Rel(cfg.Workspace, cfg.MergeShards))
	files, problems := readShards(k, set.Found)
	rep := report(k, files, func(*junit.Case) {}) // placed as each shard's run placed them
	v := mergeVerdict(cfg, set, problems, rep)
	werr := writeMerged(cfg, rep)
	setOutputs(k, cfg, rep, v)
	summariseMerge(k, cfg, set, rep, v)
	if werr != nil {
		return fmt.Errorf("write the merged report %s: %w", mergedReport, werr)
	}
	return v
}

// findShards reads every manifest under merge-shards, at any depth (actions/download-artifact puts
// each artifact in a directory of its own). A directory that is not there holds none.
func findShards(cfg config) ([]foundShard, error) {
	var found []foundShard
	var errs []error
	err := filepath.WalkDir(cfg.MergeShards, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil && p == cfg.MergeShards && errors.Is(err, fs.ErrNotExist):
			return fs.SkipAll
		case err != nil:
			return err
		case d.Name() != manifestFile || !d.Type().IsRegular():
			return nil
		}
		f, err := readManifest(p)
		f.Name = workspace.Rel(cfg.Workspace, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.Name, err))
			return nil
		}
		found = append(found, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("merge-shards: read %s: %w", workspace.Rel(cfg.Workspace, cfg.MergeShards), err)
	}
	if len(errs) > 0 {
		return nil, failure.BadInput(fmt.Errorf("merge-shards: %w", errors.Join(errs...)))
	}
	return found, nil
}

// readManifest reads one shard's manifest.
func readManifest(p string) (foundShard, error) {
	f := foundShard{Dir: filepath.Dir(p)}
	fh, err := os.Open(p)
	if err != nil {
		return f, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxManifestBytes+1))
	switch {
	case err != nil:
		return f, err
	case len(data) > maxManifestBytes:
		return f, fmt.Errorf("larger than %d MiB: not a manifest run-e2e wrote", maxManifestBytes>>20)
	}
	if err := json.Unmarshal(data, &f.M); err != nil {
		return f, fmt.Errorf("not a shard manifest: %w", err)
	}
	if f.M.Version != manifestVersion {
		return f, fmt.Errorf("version %d, not %d: written by another release of slipway", f.M.Version, manifestVersion)
	}
	if f.Shard, err = parseShard(f.M.Shard); err != nil {
		return f, fmt.Errorf("shard %w", err)
	}
	if f.M.Result != "passed" && f.M.Result != "failed" {
		return f, fmt.Errorf("result %q is neither passed nor failed", f.M.Result)
	}
	return f, nil
}

// thisRun is what every shard of a merge must share with the merging job: its workflow run (a
// shard another run left in a reused directory is not this run's) and, when given, its test service.
type thisRun struct{ ID, TestService string }

// checkShards orders the shards found and says which are missing; shards that are not one suite cut
// into parts (one found twice, shards that disagree on their number or on their test service, or
// that are of another workflow run or test service than the merge's) are an error naming each
// manifest.
func checkShards(found []foundShard, run thisRun) (shardSet, error) {
	slices.SortFunc(found, func(a, b foundShard) int {
		return cmp.Or(cmp.Compare(a.Shard.Total, b.Shard.Total), cmp.Compare(a.Shard.Index, b.Shard.Index), strings.Compare(a.Name, b.Name))
	})
	var errs []error
	for _, f := range found {
		if run.ID != "" && f.M.RunID != "" && f.M.RunID != run.ID {
			errs = append(errs, fmt.Errorf("%s: shard %s is of workflow run %s, this is run %s (merge each run's shards in a directory of its own)", f.Name, f.Shard, f.M.RunID, run.ID))
		}
		if run.TestService != "" && f.M.TestService != run.TestService {
			errs = append(errs, fmt.Errorf("%s: shard %s is of test service %q, this merge's test-service is %q", f.Name, f.Shard, f.M.TestService, run.TestService))
		}
	}
	if list, n := distinct(found, func(f foundShard) string { return f.Shard.String() }, func(f foundShard) string { return strconv.Itoa(f.Shard.Total) }); n > 1 {
		errs = append(errs, fmt.Errorf("the shards disagree on their number: %s", list))
	}
	if list, n := distinct(found, func(f foundShard) string { return f.M.TestService }, func(f foundShard) string { return f.M.TestService }); n > 1 {
		errs = append(errs, fmt.Errorf("the shards are of different test services: %s", list))
	}
	for i := 0; i < len(found); {
		j := i + 1
		for j < len(found) && found[j].Shard == found[i].Shard {
			j++
		}
		if j-i > 1 {
			var names []string
			for _, f := range found[i:j] {
				names = append(names, f.Name)
			}
			errs = append(errs, fmt.Errorf("shard %s is there %d times: %s", found[i].Shard, j-i, strings.Join(names, ", ")))
		}
		i = j
	}
	if len(errs) > 0 {
		return shardSet{}, errors.Join(errs...)
	}
	set := shardSet{Found: found}
	if len(found) > 0 {
		set.Total = found[0].Shard.Total
	}
	for i := 1; i <= set.Total; i++ {
		if !slices.ContainsFunc(found, func(f foundShard) bool { return f.Shard.Index == i }) {
			set.Missing = append(set.Missing, i)
		}
	}
	return set, nil
}

// distinct lists each manifest with what show says of it, and counts the distinct keys among them.
func distinct(found []foundShard, show, key func(foundShard) string) (string, int) {
	keys := map[string]bool{}
	var parts []string
	for _, f := range found {
		keys[key(f)] = true
		parts = append(parts, f.Name+" says "+strconv.Quote(show(f)))
	}
	return strings.Join(parts, ", "), len(keys)
}

// readShards reads each shard's reports, its cases placed where its run annotated them. A report a
// manifest lists that is not there, or reports holding fewer or more cases than the shard's run
// counted, is a problem of the merge: the merged report would not be the suite's.
func readShards(k *actionkit.Kit, found []foundShard) ([]*junit.Report, []string) {
	var out []*junit.Report
	var problems []string
	for _, f := range found {
		rep, missing := readShard(k, f)
		for _, name := range missing {
			problems = append(problems, fmt.Sprintf("shard %s: its report %s is not beside %s", f.Shard, name, f.Name))
		}
		if len(missing) == 0 && rep.Tests != f.M.Tests {
			problems = append(problems, fmt.Sprintf("shard %s: its reports hold %d cases, its run counted %d", f.Shard, rep.Tests, f.M.Tests))
		}
		out = append(out, rep)
	}
	return out, problems
}

// readShard reads one shard's reports through an os.Root at its directory, and names those that
// are not there. A report that is not JUnit XML is said as a warning, as its run said it.
func readShard(k *actionkit.Kit, f foundShard) (*junit.Report, []string) {
	rep := &junit.Report{}
	root, err := os.OpenRoot(f.Dir)
	if err != nil {
		return rep, f.M.Reports
	}
	defer root.Close()
	var missing []string
	for _, name := range f.M.Reports {
		fh, err := root.Open(name)
		if err != nil {
			missing = append(missing, name)
			continue
		}
		r := &junit.Report{}
		err = r.Parse(fh)
		_ = fh.Close()
		if err != nil {
			k.Warningf("report %s of shard %s: %v", filepath.Base(name), f.Shard, err)
			continue
		}
		rep.Add(r)
	}
	at := map[junit.Key]placed{}
	for _, p := range f.M.Placed {
		at[junit.Key{Class: p.Class, Name: p.Name}] = p
	}
	for i, c := range rep.Cases {
		if p, ok := at[c.Key()]; ok {
			rep.Cases[i].File, rep.Cases[i].Line = p.File, p.Line
		}
	}
	return rep, missing
}

// mergeVerdict decides the merge: it fails when no shard is there, when one is missing or failed
// (whatever its reports say: a test service that crashed wrote none), when a report is gone, and
// on a flaky case with fail-on-flaky.
func mergeVerdict(cfg config, set shardSet, problems []string, rep *junit.Report) error {
	if len(set.Found) == 0 {
		return failure.Failed(fmt.Errorf("no shard reports (%s) under %s: did the shards' jobs run and upload their reports-dir?",
			manifestFile, workspace.Rel(cfg.Workspace, cfg.MergeShards)))
	}
	var why []string
	if len(set.Missing) > 0 {
		var names []string
		for _, i := range set.Missing {
			names = append(names, shard{Index: i, Total: set.Total}.String())
		}
		format := "shard %s is missing: no %s of it under %s (its job did not run, or did not upload its reports-dir)"
		if len(names) > 1 {
			format = "shards %s are missing: no %s of theirs under %s (their jobs did not run, or did not upload their reports-dir)"
		}
		why = append(why, fmt.Sprintf(format, strings.Join(names, ", "), manifestFile, workspace.Rel(cfg.Workspace, cfg.MergeShards)))
	}
	for _, f := range set.Found {
		if f.M.Result != "passed" {
			why = append(why, fmt.Sprintf("shard %s failed: %s", f.Shard, cmpOr(f.M.Reason, "its run says so")))
		}
	}
	why = append(why, problems...)
	if len(why) == 0 && rep.Flaky > 0 && cfg.FailOnFlaky {
		why = append(why, fmt.Sprintf("%d flaky cases failed, then passed on re-run (fail-on-flaky)", rep.Flaky))
	}
	if len(why) == 0 {
		return nil
	}
	return failure.Failed(errors.New(strings.Join(why, "; ")))
}

// writeMerged writes the merged report into reports-dir.
func writeMerged(cfg config, rep *junit.Report) error {
	var b bytes.Buffer
	if err := rep.WriteXML(&b); err != nil {
		return err
	}
	_, err := compose.WriteFile(cfg.Workspace, cfg.ReportsDir, mergedReport, b.Bytes())
	return err
}

// summariseMerge is the merge's summary: the totals as a run's, a row per shard (a missing one
// too), then the failed and flaky cases and the comparison with base-report, as a run's.
func summariseMerge(k *actionkit.Kit, cfg config, set shardSet, rep *junit.Report, v error) {
	s := k.Summary()
	var projects, services []string
	var wall time.Duration
	for _, f := range set.Found {
		if !slices.Contains(projects, f.M.Project) && f.M.Project != "" {
			projects = append(projects, f.M.Project)
		}
		if !slices.Contains(services, f.M.TestService) {
			services = append(services, f.M.TestService)
		}
		wall = max(wall, f.M.took())
	}
	title := fmt.Sprintf("run-e2e: %s, %d shards merged", strings.Join(services, ", "), set.Total)
	if len(set.Found) == 0 {
		title = "run-e2e: no shard to merge"
	}
	summaryHead(s, title, strings.Join(projects, ", "), v, rep, wall)
	var rows [][]string
	for i := 1; i <= set.Total; i++ {
		sh := shard{Index: i, Total: set.Total}
		j := slices.IndexFunc(set.Found, func(f foundShard) bool { return f.Shard == sh })
		if j < 0 {
			rows = append(rows, []string{sh.String(), "missing", "", "", "", "", ""})
			continue
		}
		m := set.Found[j].M
		result := m.Result
		if m.Reason != "" {
			result += ": " + m.Reason
		}
		rows = append(rows, []string{sh.String(), result, strconv.Itoa(m.Tests), strconv.Itoa(m.Failures), strconv.Itoa(m.Skipped),
			strconv.Itoa(m.Flaky), m.took().Round(time.Second).String()})
	}
	if len(rows) > 0 {
		s.Table([]string{"Shard", "Result", "Tests", "Failed", "Skipped", "Flaky", "Wall time"}, rows)
	}
	summariseCases(k, cfg, s, rep)
}

package prreport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/slipway-actions/slipway/internal/junit"
	"github.com/slipway-actions/slipway/internal/lint"
)

// resultsFile is the name of the results this action writes in results-dir and reads in
// base-results.
const resultsFile = "results.json"

// results is what one run of a pull request (or of the base branch) ended with: what the next
// comparison needs, kept small enough for actions/cache.
type results struct {
	Version int               `json:"version"`
	SHA     string            `json:"sha,omitempty"`
	Ref     string            `json:"ref,omitempty"`
	Lint    *int              `json:"lint_findings,omitempty"`
	Suites  map[string]*suite `json:"suites"`
}

// suite is one kind of test (unit, e2e): its totals and each case's status by its id.
type suite struct {
	Tests   int                     `json:"tests"`
	Failed  int                     `json:"failed"`
	Skipped int                     `json:"skipped"`
	Time    time.Duration           `json:"time_ns"`
	Cases   map[string]junit.Status `json:"cases"`
	report  *junit.Report
}

// caseID names a case across runs: its class (or suite) and name, as pytest's node ids do.
func caseID(c junit.Case) string {
	if c.Class != "" {
		return c.Class + "::" + c.Name
	}
	if c.Suite != "" {
		return c.Suite + "::" + c.Name
	}
	return c.Name
}

// readSuite reads every JUnit file (*.xml) under dir; nil when dir does not exist (the job did
// not run, or ended before it wrote a report).
func readSuite(dir string) (*suite, []error) {
	if dir == "" {
		return nil, nil
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	rep := &junit.Report{}
	var errs []error
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".xml" {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := rep.Parse(f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Base(p), err))
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	s := &suite{Tests: rep.Tests, Failed: rep.Failures + rep.Errors, Skipped: rep.Skipped, Time: rep.Time,
		Cases: map[string]junit.Status{}, report: rep}
	for _, c := range rep.Cases {
		id := caseID(c)
		// A case reported twice (a re-run) counts as its worst outcome here.
		if prev, ok := s.Cases[id]; !ok || prev == junit.Passed || prev == junit.Skipped {
			s.Cases[id] = c.Status
		}
	}
	return s, errs
}

// readLint reads lint-python's JSON report; nil when path is empty or missing.
func readLint(path string) (*lint.Report, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rep lint.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("%s is not lint-python's report: %w", filepath.Base(path), err)
	}
	return &rep, nil
}

// readResults reads results.json in dir; nil when there is none (no base yet: the first run of
// the base branch has not saved one, or the cache expired).
func readResults(dir string) (*results, error) {
	if dir == "" {
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(dir, resultsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("base results %s: %w", resultsFile, err)
	}
	return &r, nil
}

// writeResults writes r as results.json in dir.
func writeResults(dir string, r *results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, resultsFile), append(data, '\n'), 0o644)
}

// change is a case whose outcome differs from the base's.
type change struct {
	ID      string
	Case    junit.Case // this run's case
	WasLike junit.Status
}

// compare lists the cases of now that fail and passed in base (newly failing), and those that
// pass and failed in base (newly passing), each sorted by id. A case the base did not have is
// neither: a new test that fails is in the failures anyway.
func compare(now, base *suite) (failing, passing []change) {
	if now == nil || base == nil || now.report == nil {
		return nil, nil
	}
	seen := map[string]bool{}
	for _, c := range now.report.Cases {
		id := caseID(c)
		if seen[id] {
			continue
		}
		seen[id] = true
		was, ok := base.Cases[id]
		if !ok {
			continue
		}
		bad := func(s junit.Status) bool { return s == junit.Failed || s == junit.Errored }
		switch st := now.Cases[id]; {
		case bad(st) && was == junit.Passed:
			failing = append(failing, change{ID: id, Case: c, WasLike: was})
		case st == junit.Passed && bad(was):
			passing = append(passing, change{ID: id, Case: c, WasLike: was})
		}
	}
	sort.Slice(failing, func(i, j int) bool { return failing[i].ID < failing[j].ID })
	sort.Slice(passing, func(i, j int) bool { return passing[i].ID < passing[j].ID })
	return failing, passing
}

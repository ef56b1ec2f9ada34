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

// suite is one kind of test (unit, e2e): its totals and each case's last outcome.
type suite struct {
	Tests   int           `json:"tests"`
	Failed  int           `json:"failed"`
	Skipped int           `json:"skipped"`
	Time    time.Duration `json:"time_ns"`
	Cases   []storedCase  `json:"cases"`
	report  *junit.Report
}

// storedCase is a case as results.json keeps it: what junit.Compare matches and compares.
type storedCase struct {
	Class  string       `json:"class,omitempty"`
	Name   string       `json:"name"`
	Status junit.Status `json:"status"`
}

// caseID names a case in the comment: its class and name, as pytest's node ids do.
func caseID(c junit.Case) string {
	if c.Class != "" {
		return c.Class + "::" + c.Name
	}
	return c.Name
}

// asReport is the stored suite as a report, for junit.Compare.
func (s *suite) asReport() *junit.Report {
	if s.report != nil {
		return s.report
	}
	rep := &junit.Report{}
	for _, c := range s.Cases {
		rep.Cases = append(rep.Cases, junit.Case{Class: c.Class, Name: c.Name, Status: c.Status})
	}
	return rep
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
	s := &suite{Tests: rep.Tests, Failed: rep.Failures + rep.Errors, Skipped: rep.Skipped, Time: rep.Time, report: rep}
	for _, c := range rep.Cases {
		s.Cases = append(s.Cases, storedCase{Class: c.Class, Name: c.Name, Status: c.Outcome()})
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

// compare lists the cases newly failing and newly passing against the base as junit.Compare
// decides (one definition for run-e2e's base-report and this comment), each sorted by id; nothing
// when the base has no results for the suite (every failure would look new).
func compare(now, base *suite) (failing, passing []junit.Change) {
	if now == nil || base == nil {
		return nil, nil
	}
	d := junit.Compare(now.asReport(), base.asReport())
	byID := func(cs []junit.Change) func(i, j int) bool {
		return func(i, j int) bool { return caseID(cs[i].Case) < caseID(cs[j].Case) }
	}
	sort.Slice(d.NewlyFailing, byID(d.NewlyFailing))
	sort.Slice(d.NewlyPassing, byID(d.NewlyPassing))
	return d.NewlyFailing, d.NewlyPassing
}

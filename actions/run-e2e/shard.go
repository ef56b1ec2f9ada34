package rune2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/junit"
)

// shard is this run's part of the test suite, Index of Total (1-based); the zero shard is the whole
// suite, unsharded.
type shard struct{ Index, Total int }

// maxShards is the most shards a suite is cut into: a job's matrix holds at most 256 jobs.
const maxShards = 256

var shardForm = regexp.MustCompile(`^\s*(\d{1,9})\s*/\s*(\d{1,9})\s*$`)

// parseShard reads i/n, with 1 ≤ i ≤ n ≤ maxShards.
func parseShard(v string) (shard, error) {
	m := shardForm.FindStringSubmatch(v)
	if m == nil {
		return shard{}, fmt.Errorf("%q is not i/n (this run's shard and the number of shards, e.g. 2/3)", v)
	}
	i, _ := strconv.Atoi(m[1])
	n, _ := strconv.Atoi(m[2])
	switch {
	case n < 1 || n > maxShards:
		return shard{}, fmt.Errorf("%q: the number of shards must be 1 to %d", v, maxShards)
	case i < 1 || i > n:
		return shard{}, fmt.Errorf("%q: the shard must be 1 to %d (shards count from 1)", v, n)
	}
	return shard{Index: i, Total: n}, nil
}

// String is i/n.
func (s shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Total) }

// Env is what the test service is given to select its part of the suite; nil unsharded.
func (s shard) Env() map[string]string {
	if s.Total == 0 {
		return nil
	}
	return map[string]string{"SLIPWAY_SHARD": s.String(), "SLIPWAY_SHARD_INDEX": strconv.Itoa(s.Index),
		"SLIPWAY_SHARD_TOTAL": strconv.Itoa(s.Total)}
}

// reportsPrefix starts the name of each report a shard copies, so that the reports of all shards
// can lie in one directory.
func (s shard) reportsPrefix() string {
	if s.Total == 0 {
		return ""
	}
	return fmt.Sprintf("shard-%d-of-%d-", s.Index, s.Total)
}

// manifestFile is what a shard's run writes in reports-dir and merge-shards looks for.
const manifestFile = "slipway-shard.json"

// manifestVersion is the form of manifest this program writes and reads.
const manifestVersion = 1

// manifest is what a shard's run leaves beside its reports for merge-shards: which shard of which
// suite it was, how it ended (its result may be failed while its reports show no failure: a test
// service that crashed, a platform that never got ready), its report files, and where its failing
// and flaky cases were annotated, so that the merge annotates them there without the test
// service's mounts.
type manifest struct {
	Version     int      `json:"version"`
	Shard       string   `json:"shard"` // i/n
	TestService string   `json:"test_service"`
	Project     string   `json:"project,omitempty"`
	RunID       string   `json:"run_id,omitempty"`
	RunAttempt  string   `json:"run_attempt,omitempty"`
	Result      string   `json:"result"`           // passed or failed
	Reason      string   `json:"reason,omitempty"` // why it failed
	Tests       int      `json:"tests"`
	Failures    int      `json:"failures"`
	Skipped     int      `json:"skipped"`
	Flaky       int      `json:"flaky"`
	TookMS      int64    `json:"took_ms"`
	Reports     []string `json:"reports"` // file names in this file's directory
	Placed      []placed `json:"placed,omitempty"`
}

// placed is where a failing or flaky case of the shard was annotated.
type placed struct {
	Class string `json:"class,omitempty"`
	Name  string `json:"name"`
	File  string `json:"file,omitempty"`
	Line  int    `json:"line,omitempty"`
}

// shardRun is what a run of one shard ended with, for its manifest; any part may be missing when
// the run stopped early.
type shardRun struct {
	Project string
	Res     *compose.Result
	Rep     *junit.Report
}

// newManifest describes the run of cfg's shard that ended with err (nil: passed).
func newManifest(cfg config, getenv func(string) string, run shardRun, err error, redact func(string) string) manifest {
	m := manifest{Version: manifestVersion, Shard: cfg.Shard.String(), TestService: cfg.TestService, Project: run.Project,
		RunID: getenv("GITHUB_RUN_ID"), RunAttempt: getenv("GITHUB_RUN_ATTEMPT"), Result: "passed", Reports: []string{}}
	if err != nil {
		m.Result, m.Reason = "failed", redact(err.Error())
	}
	if run.Res != nil {
		m.TookMS = run.Res.Took.Milliseconds()
		for _, f := range run.Res.Reports {
			m.Reports = append(m.Reports, filepath.Base(f))
		}
	}
	if rep := run.Rep; rep != nil {
		m.Tests, m.Failures, m.Skipped, m.Flaky = rep.Tests, rep.Failures+rep.Errors, rep.Skipped, rep.Flaky
		for _, c := range rep.Cases {
			if o := c.Outcome(); c.Flaky() || o == junit.Failed || o == junit.Errored {
				m.Placed = append(m.Placed, placed{Class: c.Class, Name: c.Name, File: c.File, Line: c.Line})
			}
		}
	}
	return m
}

// writeManifest writes the shard's manifest into reports-dir.
func writeManifest(cfg config, m manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	_, err = compose.WriteFile(cfg.Workspace, cfg.ReportsDir, manifestFile, append(data, '\n'))
	return err
}

// took is the manifest's wall time.
func (m manifest) took() time.Duration { return time.Duration(m.TookMS) * time.Millisecond }

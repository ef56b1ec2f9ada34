package prreport

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/github"
	"github.com/slipway-actions/slipway/internal/lint"
	"github.com/slipway-actions/slipway/internal/workspace"
)

// commentTimeout bounds the comment's requests together (each is bounded by the factory's client).
const commentTimeout = 2 * time.Minute

// kinds are the test suites the report knows, in its order.
var kinds = []string{"unit", "e2e"}

// run gathers the reports, writes this run's results, and reports: the step summary always, the
// comment where asked and allowed. The step passes whatever the tests did (their own jobs fail on
// them); a report it cannot read is said in the report and the log, not a failure of the step.
func run(ctx context.Context, k *actionkit.Kit, cfg config) error {
	clients := factory.New(k.Getenv, k.Debugf)
	ev, err := clients.Event()
	if err != nil {
		k.Warningf("%v", err)
	}
	number, head, isPR := 0, "", false
	if ev != nil {
		number, head, isPR = ev.PullRequest()
	}
	r := &report{cfg: cfg, sha: cmp.Or(head, k.Getenv("GITHUB_SHA")),
		server: cmp.Or(k.Getenv("GITHUB_SERVER_URL"), "https://github.com"), repo: k.Getenv("GITHUB_REPOSITORY"), suites: map[string]*suite{}}
	if r.lint, err = readLint(cfg.LintReport); err != nil {
		r.problems = append(r.problems, "lint report: "+err.Error())
	}
	for kind, dir := range map[string]string{"unit": cfg.UnitReports, "e2e": cfg.E2EReports} {
		s, errs := readSuite(dir)
		for _, e := range errs {
			r.problems = append(r.problems, kind+" report "+e.Error())
		}
		if s != nil {
			r.suites[kind] = s
		}
	}
	if r.base, err = readResults(cfg.BaseResults); err != nil {
		r.problems = append(r.problems, err.Error())
	}
	for _, p := range r.problems {
		k.Warningf("%s", p)
	}
	if r.base == nil && cfg.BaseResults != "" {
		k.Infof("base-results: no %s in %s (the base branch has not saved results yet, or the cache expired): nothing to compare with", resultsFile, workspace.Rel(cfg.Workspace, cfg.BaseResults))
	}

	if err := writeResults(cfg.ResultsDir, r.results(cmp.Or(k.Getenv("GITHUB_BASE_REF"), k.Getenv("GITHUB_REF_NAME")))); err != nil {
		return fmt.Errorf("results-dir: write %s: %w", resultsFile, err)
	}
	body := r.markdown()
	k.Summary().Markdown(body)
	newly := 0
	for _, kind := range kinds {
		f, _ := compare(r.suites[kind], r.baseSuite(kind))
		newly += len(f)
	}
	errs := []error{
		k.SetOutput("results-dir", workspace.Rel(cfg.Workspace, cfg.ResultsDir)),
		k.SetOutput("newly-failing", strconv.Itoa(newly)),
	}
	url := ""
	switch {
	case !cfg.Comment:
	case !isPR:
		k.Infof("comment: not a pull request event (%s): the report is in the step summary", k.Getenv("GITHUB_EVENT_NAME"))
	case cfg.Token == "":
		k.Infof("comment: no github-token: the report is in the step summary")
	default:
		url = comment(ctx, k, clients, cfg, number, body)
	}
	errs = append(errs, k.SetOutput("comment-url", url))
	return errors.Join(errs...)
}

// comment writes body as the pull request's one comment for cfg.Key and returns its page; "" when
// GitHub refused it (a fork's token: said once) or failed (a warning: the summary has the report).
func comment(ctx context.Context, k *actionkit.Kit, clients *factory.Factory, cfg config, number int, body string) string {
	ctx, cancel := context.WithTimeout(ctx, commentTimeout)
	defer cancel()
	c, run, err := clients.GitHub(cfg.Token)
	if err != nil {
		k.Warningf("comment: %v", err)
		return ""
	}
	res, err := github.StickyComment(ctx, c, run, number, cfg.Key, k.Redact(body))
	var fb *github.FallbackError
	switch {
	case errors.As(err, &fb):
		k.Infof("comment: %v", fb)
		return ""
	case err != nil:
		k.Warningf("comment on #%d not written (the step summary has the report): %v", number, err)
		return ""
	}
	verb := "updated"
	if res.Created {
		verb = "created"
	}
	k.Infof("comment on #%d %s: %s", number, verb, res.URL)
	return res.URL
}

// report is everything the comment says.
type report struct {
	cfg      config
	sha      string // the commit the links point at
	server   string
	repo     string
	lint     *lint.Report
	suites   map[string]*suite
	base     *results
	problems []string
}

// results are this run's results, for the next comparison.
func (r *report) results(ref string) *results {
	out := &results{Version: 1, SHA: r.sha, Ref: ref, Suites: r.suites}
	if r.lint != nil {
		n := len(r.lint.Findings)
		out.Lint = &n
	}
	return out
}

func (r *report) baseSuite(kind string) *suite {
	if r.base == nil {
		return nil
	}
	return r.base.Suites[kind]
}

package github

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v62/github"
)

// The Checks API's limits (https://docs.github.com/rest/checks/runs#update-a-check-run): 50
// annotations a request, a summary of 65535 characters, an annotation's message of 64 KB and its
// title of 255 characters.
const (
	annotationsPerRequest = 50
	maxSummary            = 65535
	maxMessageBytes       = 64 << 10
	maxTitle              = 255
)

// conclusions are those the Checks API lets a check run end with (stale is GitHub's own).
var conclusions = []string{"action_required", "cancelled", "failure", "neutral", "success", "skipped", "timed_out"}

// Annotation is one finding or failed test on lines StartLine..EndLine of a repository file.
type Annotation struct {
	Path               string // relative to the repository's root
	StartLine, EndLine int
	Level              string // notice, warning or failure
	Title, Message     string
}

// CheckRun is a check run this run created, in progress until Complete.
type CheckRun struct {
	client      *gh.Client
	owner, repo string
	id          int64
	name        string
	url         string
}

// StartCheckRun creates a check run called name on the commit headSHA, in progress. A token that
// may not write checks gives a *FallbackError.
func StartCheckRun(ctx context.Context, c *gh.Client, run Run, name, headSHA string) (*CheckRun, error) {
	owner, repo, ok := strings.Cut(run.Repository, "/")
	if !ok || headSHA == "" {
		return nil, fmt.Errorf("GITHUB_REPOSITORY %q and a head commit are needed to create a check run", run.Repository)
	}
	cr, _, err := c.Checks.CreateCheckRun(ctx, owner, repo, gh.CreateCheckRunOptions{
		Name: name, HeadSHA: headSHA, Status: gh.String("in_progress"), StartedAt: &gh.Timestamp{Time: time.Now()},
	})
	if err != nil {
		return nil, asFallback(err, fmt.Sprintf("create the check run %q", name), "checks: write")
	}
	return &CheckRun{client: c, owner: owner, repo: repo, id: cr.GetID(), name: name, url: cr.GetHTMLURL()}, nil
}

// ID is the check run's id.
func (r *CheckRun) ID() int64 { return r.id }

// URL is the check run's page.
func (r *CheckRun) URL() string { return r.url }

// Complete gives the check run every annotation, the title and summary (cut to GitHub's limits
// with a note that the step summary has the rest) and the conclusion (success, failure, neutral,
// cancelled, ...). Annotations go 50 to an update request, as the Checks API requires; the last
// request completes the run, so a run that shows a conclusion has all its annotations.
func (r *CheckRun) Complete(ctx context.Context, conclusion, title, summary string, annotations []Annotation) error {
	if !slices.Contains(conclusions, conclusion) {
		return fmt.Errorf("check run %q: conclusion %q is not one of %s", r.name, conclusion, strings.Join(conclusions, ", "))
	}
	title, summary = cut(title, maxTitle, ""), cut(summary, maxSummary, "\n\n… (cut to GitHub's 65535 characters; the step summary has all of it)")
	batches := batch(annotations)
	for i, b := range batches {
		opts := gh.UpdateCheckRunOptions{Name: r.name, Output: &gh.CheckRunOutput{
			Title: gh.String(title), Summary: gh.String(summary), Annotations: b,
		}}
		if i == len(batches)-1 {
			opts.Status, opts.Conclusion = gh.String("completed"), gh.String(conclusion)
			opts.CompletedAt = &gh.Timestamp{Time: time.Now()}
		}
		if _, _, err := r.client.Checks.UpdateCheckRun(ctx, r.owner, r.repo, r.id, opts); err != nil {
			return asFallback(err, fmt.Sprintf("update the check run %q (%d of %d requests)", r.name, i+1, len(batches)), "checks: write")
		}
	}
	return nil
}

// batch cuts annotations into GitHub's form, 50 to a slice; no annotations is one empty batch.
func batch(annotations []Annotation) [][]*gh.CheckRunAnnotation {
	out := [][]*gh.CheckRunAnnotation{nil}
	for _, a := range annotations {
		if len(out[len(out)-1]) == annotationsPerRequest {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], a.github())
	}
	return out
}

func (a Annotation) github() *gh.CheckRunAnnotation {
	start := max(a.StartLine, 1)
	end := max(a.EndLine, start)
	level := a.Level
	switch level {
	case "notice", "warning", "failure":
	case "error":
		level = "failure"
	default:
		level = "warning"
	}
	out := &gh.CheckRunAnnotation{
		Path: gh.String(a.Path), StartLine: gh.Int(start), EndLine: gh.Int(end), AnnotationLevel: gh.String(level),
		Message: gh.String(cutBytes(a.Message, maxMessageBytes)),
	}
	if a.Title != "" {
		out.Title = gh.String(cut(a.Title, maxTitle, ""))
	}
	return out
}

// cut cuts s to at most n characters (runes, as GitHub counts them), ending with note when
// it had to cut.
func cut(s string, n int, note string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	keep := n - utf8.RuneCountInString(note)
	i := 0
	for k := range s {
		if keep == 0 {
			i = k
			break
		}
		keep--
	}
	return s[:i] + note
}

// cutBytes cuts s to at most n bytes without splitting a character.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// ReviewComment is one comment of a review, on lines StartLine..Line of the pull request's head.
type ReviewComment struct {
	Path            string
	StartLine, Line int
	Body            string
}

// SyncResult says what SyncReview did.
type SyncResult struct{ Posted, Kept, Deleted int }

// SyncReview makes the pull request's review comments that carry marker equal to comments: the ones
// already there are kept, those no longer wanted (fixed, or outdated by a push) are deleted, and the
// new ones are posted together as one review. A re-run with nothing new posts nothing.
//
// Only comments written by the account the token acts as (Viewer) are slipway's: a comment by
// anyone else is never deleted or counted, even when it quotes the marker. With GITHUB_TOKEN that
// account is github-actions[bot], shared by every workflow of the repository that comments with
// it; with a personal access token it is that token's user.
func SyncReview(ctx context.Context, c *gh.Client, run Run, number int, headSHA, marker, summary string, comments []ReviewComment) (SyncResult, error) {
	var res SyncResult
	owner, repo, ok := strings.Cut(run.Repository, "/")
	if !ok {
		return res, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", run.Repository)
	}
	self, err := Viewer(ctx, c, run)
	if err != nil {
		return res, err
	}
	want := map[string]bool{}
	for i := range comments {
		comments[i].Body = strings.TrimRight(comments[i].Body, "\n") + "\n\n" + marker
		want[key(comments[i].Path, comments[i].StartLine, comments[i].Line, comments[i].Body)] = true
	}
	have := map[string]bool{}
	opts := &gh.PullRequestListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.PullRequests.ListComments(ctx, owner, repo, number, opts)
		if err != nil {
			return res, fmt.Errorf("list review comments of #%d: %w", number, err)
		}
		for _, pc := range page {
			if !strings.Contains(pc.GetBody(), marker) || !self.Wrote(pc.GetUser()) {
				continue
			}
			start := pc.GetStartLine()
			if start == 0 {
				start = pc.GetLine()
			}
			k := key(pc.GetPath(), start, pc.GetLine(), pc.GetBody())
			if want[k] && !have[k] && pc.Line != nil {
				have[k] = true
				res.Kept++
				continue
			}
			if _, err := c.PullRequests.DeleteComment(ctx, owner, repo, pc.GetID()); err != nil {
				return res, fmt.Errorf("delete outdated review comment %d: %w", pc.GetID(), err)
			}
			res.Deleted++
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	var drafts []*gh.DraftReviewComment
	for _, rc := range comments {
		if have[key(rc.Path, rc.StartLine, rc.Line, rc.Body)] {
			continue
		}
		d := &gh.DraftReviewComment{Path: gh.String(rc.Path), Body: gh.String(rc.Body), Line: gh.Int(rc.Line), Side: gh.String("RIGHT")}
		if rc.StartLine < rc.Line {
			d.StartLine, d.StartSide = gh.Int(rc.StartLine), gh.String("RIGHT")
		}
		drafts = append(drafts, d)
	}
	if len(drafts) == 0 {
		return res, nil
	}
	_, _, err = c.PullRequests.CreateReview(ctx, owner, repo, number, &gh.PullRequestReviewRequest{
		CommitID: gh.String(headSHA), Body: gh.String(summary), Event: gh.String("COMMENT"), Comments: drafts,
	})
	if err != nil {
		return res, fmt.Errorf("post the review on #%d: %w — the token needs pull-requests: write", number, err)
	}
	res.Posted = len(drafts)
	return res, nil
}

func key(path string, start, line int, body string) string {
	return fmt.Sprintf("%s\x00%d\x00%d\x00%s", path, start, line, body)
}

// SuggestionBody is a review comment body with a ```suggestion block, fenced so that backticks in
// the code cannot close it early.
func SuggestionBody(intro, replacement string) string {
	fence := "```"
	for strings.Contains(replacement, fence) {
		fence += "`"
	}
	return intro + "\n" + fence + "suggestion\n" + replacement + fence
}

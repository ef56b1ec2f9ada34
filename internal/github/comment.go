package github

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// maxCommentBody is the longest body GitHub accepts for an issue comment, in characters.
const maxCommentBody = 65536

var commentKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)

// CommentMarker is the hidden line that names a sticky comment: <!-- slipway:key -->.
func CommentMarker(key string) string { return "<!-- slipway:" + key + " -->" }

// StickyResult says what StickyComment did.
type StickyResult struct {
	ID      int64
	URL     string // the comment's page
	Created bool   // false: an earlier comment was updated
}

// StickyComment makes pull request #number carry one comment for key, saying body: the comment
// with key's marker (CommentMarker) that the token's own account wrote is updated, else one is
// created, so re-runs of a workflow never add a second. A comment by anyone else is never edited,
// even when it quotes the marker (see Viewer for which account a token acts as). The body is cut
// to GitHub's 65536 characters. A token that may not write pull requests gives a *FallbackError.
func StickyComment(ctx context.Context, c *gh.Client, run Run, number int, key, body string) (StickyResult, error) {
	owner, repo, ok := strings.Cut(run.Repository, "/")
	if !ok {
		return StickyResult{}, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", run.Repository)
	}
	if !commentKey.MatchString(key) || strings.Contains(key, "--") {
		return StickyResult{}, fmt.Errorf("comment key %q: use letters, digits, '.', '_', '/' and single '-'", key)
	}
	marker := CommentMarker(key)
	body = cut(marker+"\n"+body, maxCommentBody, "\n\n… (cut to GitHub's 65536 characters; the step summary has all of it)")
	self, err := Viewer(ctx, c, run)
	if err != nil {
		return StickyResult{}, err
	}
	existing, err := findSticky(ctx, c, owner, repo, number, marker, self)
	if err != nil {
		return StickyResult{}, err
	}
	if existing != 0 {
		ic, _, err := c.Issues.EditComment(ctx, owner, repo, existing, &gh.IssueComment{Body: gh.String(body)})
		if err != nil {
			return StickyResult{}, asFallback(err, fmt.Sprintf("update comment %d on #%d", existing, number), "pull-requests: write")
		}
		return StickyResult{ID: ic.GetID(), URL: ic.GetHTMLURL()}, nil
	}
	ic, _, err := c.Issues.CreateComment(ctx, owner, repo, number, &gh.IssueComment{Body: gh.String(body)})
	if err != nil {
		return StickyResult{}, asFallback(err, fmt.Sprintf("comment on #%d", number), "pull-requests: write")
	}
	return StickyResult{ID: ic.GetID(), URL: ic.GetHTMLURL(), Created: true}, nil
}

// findSticky returns the id of the oldest comment on #number that self wrote with marker on its
// first line, 0 when there is none; it reads every page, 100 comments at a time.
func findSticky(ctx context.Context, c *gh.Client, owner, repo string, number int, marker string, self Account) (int64, error) {
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.Issues.ListComments(ctx, owner, repo, number, opts)
		if err != nil {
			return 0, asFallback(err, fmt.Sprintf("list the comments of #%d", number), "pull-requests: read")
		}
		for _, ic := range page {
			first, _, _ := strings.Cut(ic.GetBody(), "\n")
			if strings.TrimSpace(first) == marker && self.Wrote(ic.GetUser()) {
				return ic.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			return 0, nil
		}
		opts.Page = resp.NextPage
	}
}

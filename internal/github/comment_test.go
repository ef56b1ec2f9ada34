package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/github/githubtest"
)

// A re-run of the workflow updates the comment the first run made: one comment, the new body.
func TestStickyComment_ReRunUpdatesTheSameComment(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	c, run := fakeClient(t, f, &sleeps{}, nil)
	first, err := StickyComment(context.Background(), c, run, 7, "pull-request", "3 findings")
	if err != nil {
		t.Fatal(err)
	}
	second, err := StickyComment(context.Background(), c, run, 7, "pull-request", "0 findings")
	if err != nil {
		t.Fatal(err)
	}
	comments := f.Comments(7)
	if len(comments) != 1 || !first.Created || second.Created || second.ID != first.ID {
		t.Fatalf("first %+v, second %+v, comments %+v", first, second, comments)
	}
	if want := CommentMarker("pull-request") + "\n0 findings"; comments[0].Body != want {
		t.Errorf("body %q, want %q", comments[0].Body, want)
	}
	if !strings.Contains(second.URL, fmt.Sprintf("#issuecomment-%d", first.ID)) {
		t.Errorf("url %q", second.URL)
	}
}

// Someone else's comment is never edited, even when it quotes the marker; nor is slipway's
// comment of another key. The comment is found past the first page.
func TestStickyComment_UpdatesOnlyItsOwnCommentOfItsKey(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	marker := CommentMarker("pull-request")
	f.AddComment(7, "mallory", 666, "User", marker+"\nfake report")
	for i := range 120 {
		f.AddComment(7, "octocat", 1, "User", fmt.Sprintf("comment %d", i))
	}
	f.AddComment(7, githubtest.GitHubActionsBot, githubtest.GitHubActionsBotID, "Bot", CommentMarker("other")+"\nother report")
	ours := f.AddComment(7, githubtest.GitHubActionsBot, githubtest.GitHubActionsBotID, "Bot", marker+"\nold report")
	c, run := fakeClient(t, f, &sleeps{}, nil)
	res, err := StickyComment(context.Background(), c, run, 7, "pull-request", "new report")
	if err != nil {
		t.Fatal(err)
	}
	if res.Created || res.ID != ours {
		t.Errorf("result %+v, want comment %d updated", res, ours)
	}
	for _, cm := range f.Comments(7) {
		switch {
		case cm.ID == ours && cm.Body != marker+"\nnew report":
			t.Errorf("ours: %q", cm.Body)
		case cm.Login == "mallory" && cm.Body != marker+"\nfake report":
			t.Errorf("mallory's was edited: %q", cm.Body)
		case strings.HasPrefix(cm.Body, CommentMarker("other")) && cm.Body != CommentMarker("other")+"\nother report":
			t.Errorf("the other key's was edited: %q", cm.Body)
		}
	}
	if n := len(f.Comments(7)); n != 123 {
		t.Errorf("%d comments, want 123 (none added)", n)
	}
}

// A fork's token cannot comment: the fallback, in one line that names the permission.
func TestStickyComment_ForbiddenIsTheFallback(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	f.IssuesForbidden = true
	c, run := fakeClient(t, f, &sleeps{}, nil)
	_, err := StickyComment(context.Background(), c, run, 7, "pull-request", "report")
	var fb *FallbackError
	if !errors.As(err, &fb) || fb.Status != 403 || !strings.Contains(err.Error(), "pull-requests: write") {
		t.Errorf("err %v (%T)", err, err)
	}
}

func TestStickyComment_RefusesAKeyThatCouldEndTheMarker(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"", "a-->b", "x y", "-x"} {
		if _, err := StickyComment(context.Background(), nil, Run{Repository: "acme/web"}, 7, key, "b"); err == nil || !strings.Contains(err.Error(), "comment key") {
			t.Errorf("key %q: %v", key, err)
		}
	}
}

// With a personal access token the comment is that user's: github-actions[bot]'s marked comment
// (another workflow's) is left alone.
func TestStickyComment_APersonalTokensCommentIsItsUsers(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t)
	f.ActAs("deploy-bot", 5150)
	bots := f.AddComment(7, githubtest.GitHubActionsBot, githubtest.GitHubActionsBotID, "Bot", CommentMarker("pull-request")+"\nbot report")
	c, run := fakeClient(t, f, &sleeps{}, nil)
	res, err := StickyComment(context.Background(), c, run, 7, "pull-request", "user report")
	if err != nil {
		t.Fatal(err)
	}
	comments := f.Comments(7)
	if !res.Created || res.ID == bots || len(comments) != 2 || comments[1].Login != "deploy-bot" || comments[0].Body != CommentMarker("pull-request")+"\nbot report" {
		t.Errorf("result %+v, comments %+v", res, comments)
	}
}

// Every request goes to GITHUB_API_URL (here GitHub Enterprise Server's /api/v3), GraphQL beside it.
func TestClient_UsesGitHubEnterpriseServersAPIURL(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t) // reports any request outside /api/v3 and /api/graphql
	c, run := fakeClient(t, f, &sleeps{}, nil)
	if _, err := StickyComment(context.Background(), c, run, 7, "pull-request", "hello"); err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 3 || reqs[0] != "POST /api/graphql" || !strings.HasPrefix(reqs[1], "GET /api/v3/repos/acme/web/issues/7/comments") || reqs[2] != "POST /api/v3/repos/acme/web/issues/7/comments" {
		t.Errorf("requests %q", reqs)
	}
}

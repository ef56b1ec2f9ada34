package github_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/github"
	"github.com/slipway-actions/slipway/internal/github/githubtest"
)

func TestSyncReview_PostsOnceKeepsAndDeletes(t *testing.T) {
	t.Parallel()
	f := &githubtest.Pulls{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	run := github.Run{APIURL: srv.URL + "/api/v3", Repository: "acme/web"}
	c, err := github.NewClient("ghs_x", run)
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- slipway:lint-python -->"
	comments := func() []github.ReviewComment {
		return []github.ReviewComment{
			{Path: "app/main.py", StartLine: 3, Line: 4, Body: github.SuggestionBody("black would reformat", "x = 1\n")},
			{Path: "app/util.py", StartLine: 9, Line: 9, Body: github.SuggestionBody("isort", "import os\n")},
		}
	}
	sync := func(cs []github.ReviewComment) github.SyncResult {
		res, err := github.SyncReview(context.Background(), c, run, 7, "head123", marker, "slipway lint-python", cs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := sync(comments()); res != (github.SyncResult{Posted: 2}) || f.Reviews != 1 {
		t.Fatalf("first run: %+v, %d reviews", res, f.Reviews)
	}
	if f.Comments[0]["start_line"] != float64(3) || f.Comments[1]["start_line"] != nil {
		t.Errorf("comments = %v", f.Comments)
	}
	if res := sync(comments()); res != (github.SyncResult{Kept: 2}) || f.Reviews != 1 {
		t.Fatalf("re-run: %+v, %d reviews; want nothing new", res, f.Reviews)
	}
	if res := sync(comments()[:1]); res != (github.SyncResult{Kept: 1, Deleted: 1}) || len(f.Comments) != 1 {
		t.Fatalf("after a fix: %+v, comments %v", res, f.Comments)
	}
}

func TestSuggestionBody_FenceOutlastsBackticks(t *testing.T) {
	t.Parallel()
	got := github.SuggestionBody("fix", "s = \"```\"\n")
	if !strings.HasPrefix(strings.SplitN(got, "\n", 2)[1], "````suggestion\n") || !strings.HasSuffix(got, "\n````") {
		t.Errorf("body = %q", got)
	}
}

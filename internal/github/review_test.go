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
	f := &githubtest.Pulls{T: t}
	srv := httptest.NewServer(f)
	defer srv.Close()
	run := github.Run{APIURL: srv.URL + "/api/v3", Repository: "acme/web"}
	c, err := github.NewClient(nil, "ghs_x", run)
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

// Only the comments of the account the token acts as are slipway's: a comment by anyone else that
// quotes the marker (a reviewer replying, another App) is neither deleted nor taken for one of ours,
// with GITHUB_TOKEN (github-actions[bot]) and with a personal access token (its user) alike.
func TestSyncReview_LeavesOtherAuthorsCommentsThatQuoteTheMarker(t *testing.T) {
	t.Parallel()
	const marker = "<!-- slipway:lint-python -->"
	want := github.ReviewComment{Path: "app/main.py", StartLine: 4, Line: 4, Body: github.SuggestionBody("black would reformat", "x = 1\n")}
	quoted := strings.TrimRight(want.Body, "\n") + "\n\n" + marker // exactly the body slipway would post
	user := func(login string, id int64, kind string) map[string]any {
		return map[string]any{"login": login, "id": id, "type": kind}
	}
	for name, tc := range map[string]struct {
		login        string // whom the token acts as; "" for GITHUB_TOKEN's github-actions[bot]
		id           int64
		ours, others []map[string]any
	}{
		"GITHUB_TOKEN": {
			ours:   []map[string]any{user(githubtest.GitHubActionsBot, githubtest.GitHubActionsBotID, "Bot")},
			others: []map[string]any{user("alice", 1001, "User"), user("other-app[bot]", 2002, "Bot"), user("deploy-bot", 5, "User")},
		},
		"personal access token": {
			login:  "deploy-bot",
			id:     5,
			ours:   []map[string]any{user("deploy-bot", 5, "User")},
			others: []map[string]any{user("alice", 1001, "User"), user(githubtest.GitHubActionsBot, githubtest.GitHubActionsBotID, "Bot")},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &githubtest.Pulls{Login: tc.login, ID: tc.id, T: t}
			srv := httptest.NewServer(f)
			defer srv.Close()
			for _, u := range append(append([]map[string]any(nil), tc.others...), tc.ours...) {
				f.Add(map[string]any{"path": want.Path, "line": 4, "body": quoted + " (old)", "user": u})
			}
			for _, u := range tc.others {
				f.Add(map[string]any{"path": want.Path, "line": 4, "body": quoted, "user": u})
			}
			run := github.Run{APIURL: srv.URL + "/api/v3", Repository: "acme/web"}
			c, err := github.NewClient(nil, "ghs_x", run)
			if err != nil {
				t.Fatal(err)
			}
			res, err := github.SyncReview(context.Background(), c, run, 7, "head123", marker, "slipway lint-python", []github.ReviewComment{want})
			if err != nil {
				t.Fatal(err)
			}
			// Ours outdated: deleted. Theirs, outdated or identical to what slipway wants: left, and
			// slipway's own suggestion posted beside them.
			if res != (github.SyncResult{Posted: 1, Deleted: len(tc.ours)}) {
				t.Errorf("result %+v, want 1 posted and %d deleted", res, len(tc.ours))
			}
			comments, _ := f.Snapshot()
			left := map[string]int{}
			for _, c := range comments {
				left[c["user"].(map[string]any)["login"].(string)]++
			}
			for _, u := range tc.others {
				if login := u["login"].(string); left[login] != 2 {
					t.Errorf("%s has %d comments left, want both", login, left[login])
				}
			}
		})
	}
}

// Package githubtest fakes the parts of the GitHub API that slipway calls, for tests. GitHub (fake.go)
// serves check runs and issue comments, every exchange checked against GitHub's own OpenAPI
// description (contract.go, testdata/github-openapi.yaml). Pulls serves pull request
// review comments of acme/web#7 (head commit head123) under /api/v3 (GITHUB_API_URL), as GitHub's
// REST reference describes them (https://docs.github.com/en/rest/pulls/comments,
// https://docs.github.com/en/rest/pulls/reviews), and GraphQL's viewer at /api/graphql, where GitHub
// Enterprise Server has it beside /api/v3 (https://docs.github.com/en/graphql/reference/queries#viewer).
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// GitHubActionsBot is the account a workflow's GITHUB_TOKEN acts as: its login and user id.
const (
	GitHubActionsBot   = "github-actions[bot]"
	GitHubActionsBotID = 41898282
)

// Pulls is the part of GitHub's pull request review API that SyncReview uses, with its
// comments kept between calls. The token acts as Login (ID), github-actions[bot] when unset: the
// comments it posts are that account's, and GraphQL's viewer names it.
type Pulls struct {
	Login string
	ID    int64

	mu       sync.Mutex
	next     int
	Comments []map[string]any // as posted, with an id and the user who wrote it
	Reviews  int
}

func (f *Pulls) viewer() (string, int64, string) {
	if f.Login == "" {
		return GitHubActionsBot, GitHubActionsBotID, "Bot"
	}
	if strings.HasSuffix(f.Login, "[bot]") {
		return f.Login, f.ID, "Bot"
	}
	return f.Login, f.ID, "User"
}

// Add puts a review comment on the pull request as someone else wrote it: c holds its path, line,
// body and "user" ({"login", "id", "type"}); it gets an id.
func (f *Pulls) Add(c map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	c["id"] = f.next
	f.Comments = append(f.Comments, c)
}

func (f *Pulls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/graphql":
		var body struct {
			Query string `json:"query"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if !strings.Contains(body.Query, "viewer") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		login, id, _ := f.viewer()
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"viewer": map[string]any{"login": login, "databaseId": id}}})
	case r.Method == http.MethodGet && r.URL.Path == "/api/v3/repos/acme/web/pulls/7/comments":
		page := f.Comments
		if r.URL.Query().Get("page") == "2" {
			page = page[min(1, len(page)):]
		} else if len(page) > 1 {
			page = page[:1] // one per page, to follow the Link header
			w.Header().Set("Link", `<`+"http://"+r.Host+r.URL.Path+`?page=2>; rel="next"`)
		}
		_ = json.NewEncoder(w).Encode(page)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/api/v3/repos/acme/web/pulls/comments/"):
		id := strings.TrimPrefix(r.URL.Path, "/api/v3/repos/acme/web/pulls/comments/")
		for i, c := range f.Comments {
			if fmt.Sprint(c["id"]) == id {
				f.Comments = append(f.Comments[:i], f.Comments[i+1:]...)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && r.URL.Path == "/api/v3/repos/acme/web/pulls/7/reviews":
		var body struct {
			CommitID string           `json:"commit_id"`
			Event    string           `json:"event"`
			Comments []map[string]any `json:"comments"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.CommitID != "head123" || body.Event != "COMMENT" {
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		f.Reviews++
		login, id, kind := f.viewer()
		for _, c := range body.Comments {
			f.next++
			c["id"] = f.next
			c["user"] = map[string]any{"login": login, "id": id, "type": kind}
			f.Comments = append(f.Comments, c)
		}
		_, _ = w.Write([]byte(`{"id": 1}`))
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// Snapshot returns the comments and the number of reviews so far.
func (f *Pulls) Snapshot() ([]map[string]any, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.Comments...), f.Reviews
}

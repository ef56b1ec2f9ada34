// Package githubtest fakes the parts of the GitHub API that slipway calls, for tests. GitHub
// (fake.go) serves check runs, issue comments and deployments; Pulls serves the review comments of acme/web#7
// (head commit head123). Both answer under /api/v3 (GITHUB_API_URL, as GitHub Enterprise Server
// has it) with every REST exchange checked against GitHub's own OpenAPI description (contract.go,
// testdata/github-openapi.yaml), and GraphQL's viewer at /api/graphql beside it
// (https://docs.github.com/en/graphql/reference/queries#viewer).
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
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
//
// Its REST exchanges are checked against GitHub's description (Checker.Handler, the operations
// pulls/list-review-comments, pulls/delete-review-comment and pulls/create-review): a request the
// description refuses is answered 422, and every violation fails T when set and is kept for
// Violations.
type Pulls struct {
	Login string
	ID    int64
	T     TB

	mu       sync.Mutex
	next     int
	Comments []map[string]any // as posted, with an id and the user who wrote it
	Reviews  int

	once       sync.Once
	checker    *Checker
	vmu        sync.Mutex
	violations []string
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

// Violations returns what the description did not allow so far.
func (f *Pulls) Violations() []string {
	f.vmu.Lock()
	defer f.vmu.Unlock()
	return append([]string(nil), f.violations...)
}

func (f *Pulls) report(err error) {
	f.vmu.Lock()
	f.violations = append(f.violations, err.Error())
	f.vmu.Unlock()
	if f.T != nil {
		f.T.Errorf("%v", err)
	}
}

func (f *Pulls) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.once.Do(func() {
		var err error
		if f.checker, err = NewChecker(f.report); err != nil {
			panic(err) // the embedded contract is broken: every test would be wrong
		}
	})
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/graphql":
		f.graphQL(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/v3/"):
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = strings.TrimPrefix(r.URL.Path, "/api/v3"), ""
		f.checker.Handler(http.HandlerFunc(f.rest)).ServeHTTP(w, r2)
	default:
		f.report(fmt.Errorf("%s %s: not under GITHUB_API_URL (…/api/v3)", r.Method, r.URL.Path))
		w.WriteHeader(http.StatusNotFound)
	}
}

func (f *Pulls) graphQL(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Query string `json:"query"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	if !strings.Contains(body.Query, "viewer") {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	login, id, _ := f.viewer()
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"viewer": map[string]any{"login": login, "databaseId": id}}})
}

// rest serves the review operations; r.URL.Path is relative to /api/v3.
func (f *Pulls) rest(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/repos/acme/web/pulls/7/comments":
		page := f.Comments
		if r.URL.Query().Get("page") == "2" {
			page = page[min(1, len(page)):]
		} else if len(page) > 1 {
			page = page[:1] // one per page, to follow the Link header
			w.Header().Set("Link", `<`+"http://"+r.Host+"/api/v3"+r.URL.Path+`?page=2>; rel="next"`)
		}
		out := []any{}
		for _, c := range page {
			out = append(out, reviewCommentJSON(r, c))
		}
		reply(w, http.StatusOK, out)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/repos/acme/web/pulls/comments/"):
		id := strings.TrimPrefix(r.URL.Path, "/repos/acme/web/pulls/comments/")
		for i, c := range f.Comments {
			if fmt.Sprint(c["id"]) == id {
				f.Comments = append(f.Comments[:i], f.Comments[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		reply(w, http.StatusNotFound, basicError("Not Found", "https://docs.github.com/rest/pulls/comments#delete-a-review-comment-for-a-pull-request"))
	case r.Method == http.MethodPost && r.URL.Path == "/repos/acme/web/pulls/7/reviews":
		var body struct {
			CommitID string           `json:"commit_id"`
			Body     string           `json:"body"`
			Event    string           `json:"event"`
			Comments []map[string]any `json:"comments"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		if body.CommitID != "head123" || body.Event != "COMMENT" {
			reply(w, http.StatusUnprocessableEntity, map[string]any{"message": "Unprocessable Entity", "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"})
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
		api := "http://" + r.Host + "/api/v3/repos/acme/web/pulls/7"
		html := "http://" + r.Host + "/acme/web/pull/7#pullrequestreview-" + strconv.Itoa(f.Reviews)
		reply(w, http.StatusOK, map[string]any{
			"id": f.Reviews, "node_id": fmt.Sprintf("PRR_%d", f.Reviews), "user": userJSON(r, login, id, kind),
			"body": body.Body, "state": "COMMENTED", "html_url": html, "pull_request_url": api,
			"_links":    map[string]any{"html": map[string]any{"href": html}, "pull_request": map[string]any{"href": api}},
			"commit_id": body.CommitID, "author_association": "NONE", "submitted_at": "2026-01-01T00:00:00Z",
		})
	default:
		reply(w, http.StatusNotFound, basicError("Not Found", "https://docs.github.com/rest"))
	}
}

// reviewCommentJSON is a kept comment as GitHub lists it (pull-request-review-comment): what was
// posted or added, and the fields GitHub always gives.
func reviewCommentJSON(r *http.Request, c map[string]any) map[string]any {
	id := fmt.Sprint(c["id"])
	api := "http://" + r.Host + "/api/v3/repos/acme/web/pulls"
	html := "http://" + r.Host + "/acme/web/pull/7#discussion_r" + id
	u, _ := c["user"].(map[string]any)
	login, _ := u["login"].(string)
	kind, _ := u["type"].(string)
	userID, _ := strconv.ParseInt(fmt.Sprint(u["id"]), 10, 64)
	out := map[string]any{
		"url": api + "/comments/" + id, "id": c["id"], "node_id": "PRRC_" + id, "pull_request_review_id": 1,
		"diff_hunk": "@@ -1,3 +1,4 @@", "path": c["path"], "commit_id": "head123", "original_commit_id": "head123",
		"user": userJSON(r, login, userID, kind), "body": c["body"],
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
		"html_url": html, "pull_request_url": api + "/7", "author_association": "NONE",
		"_links": map[string]any{"self": map[string]any{"href": api + "/comments/" + id},
			"html": map[string]any{"href": html}, "pull_request": map[string]any{"href": api + "/7"}},
		"start_line": c["start_line"], "start_side": c["start_side"], "side": "RIGHT", "subject_type": "line",
	}
	if line, ok := c["line"]; ok {
		out["line"], out["original_line"] = line, line
	}
	return out
}

// Snapshot returns the comments and the number of reviews so far.
func (f *Pulls) Snapshot() ([]map[string]any, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]any(nil), f.Comments...), f.Reviews
}

package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// GitHub is a fake GitHub Enterprise Server REST API under /api/v3 (GITHUB_API_URL) for the
// repository acme/web, with GraphQL's viewer at /api/graphql beside it.
//
// Contract: GitHub's REST API description, descriptions/api.github.com/api.github.com.yaml of
// github/rest-api-description at commit 0000036e42b5e7121c2b1ac244cb7bba1d2f3914 (MIT);
// testdata/github-openapi.yaml holds the operations the fake serves. Every REST request it is
// asked and every answer it gives is checked against it with kin-openapi (Checker.Handler), and a
// violation fails the test. What the description leaves open follows GitHub's reference pages:
//   - check runs (https://docs.github.com/rest/checks/runs): at most 50 annotations per request,
//     and "each time you update the check run, annotations are appended"; a token without
//     checks: write (a fork's GITHUB_TOKEN) is answered 403 "Resource not accessible by integration";
//   - issue comments (https://docs.github.com/rest/issues/comments): listed in ascending id order,
//     paginated with a Link header, written as the account the token acts as;
//   - deployments (https://docs.github.com/rest/deployments): created with their defaults (task
//     deploy, environment production, auto_merge true), statuses appended;
//   - secondary rate limits (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):
//     403 or 429 with Retry-After, or x-ratelimit-remaining: 0 and x-ratelimit-reset.
//
// GraphQL is not in the REST description; the viewer answers as
// https://docs.github.com/graphql/reference/queries#viewer describes.
type GitHub struct {
	URL        string // GITHUB_API_URL: …/api/v3
	GraphQLURL string // GITHUB_GRAPHQL_URL: …/api/graphql
	Token      string // the token it accepts

	// ChecksForbidden, IssuesForbidden and DeploymentsForbidden answer writes of check runs, issue
	// comments and deployments 403, as GitHub answers a token without checks: write
	// (pull-requests: write, deployments: write).
	ChecksForbidden, IssuesForbidden, DeploymentsForbidden bool

	mu          sync.Mutex
	srv         *httptest.Server
	checker     *Checker
	login       string
	id          int64
	nextID      int64
	checkRuns   []*CheckRun
	comments    []*Comment
	deployments []*Deployment
	throttle    []Throttle
	log         []string
}

// CheckRun is a check run as the fake keeps it.
type CheckRun struct {
	ID                  int64
	Name, HeadSHA       string
	Status, Conclusion  string
	Title, Summary      string
	Annotations         []map[string]any // every annotation sent, in order
	AnnotationsPerWrite []int            // how many each create/update request carried
}

// Comment is an issue comment on pull request #Issue.
type Comment struct {
	ID        int64
	Issue     int
	Body      string
	Login     string
	UserID    int64
	UserType  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Deployment is a GitHub Deployment with its statuses, oldest first.
type Deployment struct {
	ID                     int64
	Ref, Environment, Task string
	Description            string
	AutoMerge              bool
	RequiredContexts       []string
	Statuses               []DeploymentStatus
}

// DeploymentStatus is one status of a Deployment, as it was sent.
type DeploymentStatus struct {
	State, Description, EnvironmentURL, LogURL string
	AutoInactive                               *bool
}

// Throttle is one rate-limited answer the fake gives instead of serving the next request.
type Throttle struct {
	Status     int    // 403 or 429
	RetryAfter string // the Retry-After header, seconds; empty for none
	Reset      int64  // x-ratelimit-reset with x-ratelimit-remaining: 0 when not 0
}

// TB is what the fake needs of a test.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
}

// New starts a fake whose token is "ghs_token" and acts as github-actions[bot]; every contract
// violation fails t.
func New(t TB) *GitHub {
	t.Helper()
	f := &GitHub{Token: "ghs_token", login: GitHubActionsBot, id: GitHubActionsBotID}
	checker, err := NewChecker(func(err error) { t.Errorf("%v", err) })
	if err != nil {
		panic(err) // the embedded contract is broken: every test would be wrong
	}
	f.checker = checker
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.URL = f.srv.URL + "/api/v3"
	f.GraphQLURL = f.srv.URL + "/api/graphql"
	return f
}

// ActAs makes the token act as another account (a personal access token's user).
func (f *GitHub) ActAs(login string, id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.login, f.id = login, id
}

// Throttle queues rate-limited answers for the next requests.
func (f *GitHub) Throttle(t ...Throttle) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle = append(f.throttle, t...)
}

// AddComment puts a comment on pull request #issue as login (id, type User or Bot) wrote it.
func (f *GitHub) AddComment(issue int, login string, id int64, kind, body string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	now := time.Now().UTC()
	f.comments = append(f.comments, &Comment{ID: f.nextID, Issue: issue, Body: body, Login: login, UserID: id, UserType: kind, CreatedAt: now, UpdatedAt: now})
	return f.nextID
}

// CheckRuns returns copies of the check runs created so far.
func (f *GitHub) CheckRuns() []CheckRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []CheckRun
	for _, c := range f.checkRuns {
		cp := *c
		cp.Annotations = append([]map[string]any(nil), c.Annotations...)
		cp.AnnotationsPerWrite = append([]int(nil), c.AnnotationsPerWrite...)
		out = append(out, cp)
	}
	return out
}

// Comments returns copies of the comments on pull request #issue.
func (f *GitHub) Comments(issue int) []Comment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Comment
	for _, c := range f.comments {
		if c.Issue == issue {
			out = append(out, *c)
		}
	}
	return out
}

// Deployments returns copies of the deployments created so far.
func (f *GitHub) Deployments() []Deployment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Deployment
	for _, d := range f.deployments {
		cp := *d
		cp.Statuses = append([]DeploymentStatus(nil), d.Statuses...)
		out = append(out, cp)
	}
	return out
}

// Requests returns "METHOD path?query" of every request the fake received, throttled ones too.
func (f *GitHub) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// Operations returns the ids of the contract's operations the fake was asked, sorted.
func (f *GitHub) Operations() []string { return f.checker.Operations() }

func (f *GitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.log = append(f.log, r.Method+" "+r.URL.RequestURI())
	var th *Throttle
	if len(f.throttle) > 0 {
		th = &f.throttle[0]
		f.throttle = f.throttle[1:]
	}
	f.mu.Unlock()
	if got := r.Header.Get("Authorization"); got != "Bearer "+f.Token && got != "token "+f.Token {
		reply(w, http.StatusUnauthorized, basicError("Bad credentials", "https://docs.github.com/rest"))
		return
	}
	if th != nil {
		f.throttled(w, *th)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/graphql":
		f.viewer(w, r)
	case strings.HasPrefix(r.URL.Path, "/api/v3/"):
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/api/v3")
		r2.URL.RawPath = ""
		f.checker.Handler(http.HandlerFunc(f.rest)).ServeHTTP(w, r2)
	default:
		f.checker.Report(fmt.Errorf("%s %s: not under GITHUB_API_URL (%s)", r.Method, r.URL.Path, f.URL))
		reply(w, http.StatusNotFound, basicError("Not Found", "https://docs.github.com/rest"))
	}
}

// throttled answers as GitHub's secondary rate limit does: "You have exceeded a secondary rate
// limit" with a documentation URL ending in secondary-rate-limits, which is how clients (go-github's
// CheckResponse) tell it from a permission 403.
func (f *GitHub) throttled(w http.ResponseWriter, t Throttle) {
	if t.RetryAfter != "" {
		w.Header().Set("Retry-After", t.RetryAfter)
	}
	if t.Reset != 0 {
		w.Header().Set("X-Ratelimit-Remaining", "0")
		w.Header().Set("X-Ratelimit-Reset", strconv.FormatInt(t.Reset, 10))
	}
	body := basicError("You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
		"https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits")
	f.checkBasicError(body)
	reply(w, t.Status, body)
}

func (f *GitHub) viewer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Query string `json:"query"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !strings.Contains(body.Query, "viewer") {
		reply(w, http.StatusOK, map[string]any{"errors": []map[string]string{{"message": "unsupported query"}}})
		return
	}
	f.mu.Lock()
	login, id := f.login, f.id
	f.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{"data": map[string]any{"viewer": map[string]any{"login": login, "databaseId": id}}})
}

// rest serves the operations of the contract; r.URL.Path is relative to /api/v3, and the request
// already satisfies the description.
func (f *GitHub) rest(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) < 4 || parts[0] != "repos" || parts[1] != "acme" || parts[2] != "web" {
		reply(w, http.StatusNotFound, basicError("Not Found", "https://docs.github.com/rest"))
		return
	}
	switch rest := strings.Join(parts[3:], "/"); {
	case r.Method == http.MethodPost && rest == "check-runs":
		f.createCheckRun(w, r)
	case r.Method == http.MethodPatch && len(parts) == 5 && parts[3] == "check-runs":
		f.updateCheckRun(w, r, parts[4])
	case r.Method == http.MethodGet && len(parts) == 6 && parts[3] == "issues" && parts[5] == "comments":
		f.listComments(w, r, parts[4])
	case r.Method == http.MethodPost && len(parts) == 6 && parts[3] == "issues" && parts[5] == "comments":
		f.createComment(w, r, parts[4])
	case r.Method == http.MethodPatch && len(parts) == 6 && parts[3] == "issues" && parts[4] == "comments":
		f.updateComment(w, r, parts[5])
	case r.Method == http.MethodPost && rest == "deployments":
		f.createDeployment(w, r)
	case r.Method == http.MethodPost && len(parts) == 6 && parts[3] == "deployments" && parts[5] == "statuses":
		f.createDeploymentStatus(w, r, parts[4])
	default:
		reply(w, http.StatusNotFound, basicError("Not Found", "https://docs.github.com/rest"))
	}
}

type checkRunBody struct {
	Name       string `json:"name"`
	HeadSHA    string `json:"head_sha"`
	Status     string `json:"status"`
	Conclusion string `json:"conclusion"`
	Output     *struct {
		Title       *string          `json:"title"`
		Summary     *string          `json:"summary"`
		Annotations []map[string]any `json:"annotations"`
	} `json:"output"`
}

func (f *GitHub) createCheckRun(w http.ResponseWriter, r *http.Request) {
	if f.ChecksForbidden {
		f.forbidden(w, "https://docs.github.com/rest/checks/runs#create-a-check-run")
		return
	}
	var b checkRunBody
	_ = json.NewDecoder(r.Body).Decode(&b)
	f.nextID++
	c := &CheckRun{ID: f.nextID, Name: b.Name, HeadSHA: b.HeadSHA, Status: b.Status}
	if c.Status == "" {
		c.Status = "queued"
	}
	f.apply(c, b)
	f.checkRuns = append(f.checkRuns, c)
	reply(w, http.StatusCreated, f.checkRunJSON(r, c))
}

func (f *GitHub) updateCheckRun(w http.ResponseWriter, r *http.Request, id string) {
	if f.ChecksForbidden {
		f.forbidden(w, "https://docs.github.com/rest/checks/runs#update-a-check-run")
		return
	}
	c := f.checkRun(id)
	if c == nil {
		reply(w, http.StatusNotFound, basicError("Not Found", "https://docs.github.com/rest/checks/runs#update-a-check-run"))
		return
	}
	var b checkRunBody
	_ = json.NewDecoder(r.Body).Decode(&b)
	if b.Name != "" {
		c.Name = b.Name
	}
	if b.Status != "" {
		c.Status = b.Status
	}
	f.apply(c, b)
	reply(w, http.StatusOK, f.checkRunJSON(r, c))
}

// apply records what a create or update says: "Providing conclusion will automatically set the
// status parameter to completed"; annotations are appended.
func (f *GitHub) apply(c *CheckRun, b checkRunBody) {
	if b.Conclusion != "" {
		c.Conclusion, c.Status = b.Conclusion, "completed"
	}
	n := 0
	if b.Output != nil {
		if b.Output.Title != nil {
			c.Title = *b.Output.Title
		}
		if b.Output.Summary != nil {
			c.Summary = *b.Output.Summary
		}
		c.Annotations = append(c.Annotations, b.Output.Annotations...)
		n = len(b.Output.Annotations)
	}
	c.AnnotationsPerWrite = append(c.AnnotationsPerWrite, n)
}

func (f *GitHub) checkRun(id string) *CheckRun {
	for _, c := range f.checkRuns {
		if strconv.FormatInt(c.ID, 10) == id {
			return c
		}
	}
	return nil
}

func (f *GitHub) checkRunJSON(r *http.Request, c *CheckRun) map[string]any {
	base := "http://" + r.Host + "/api/v3/repos/acme/web/check-runs/" + strconv.FormatInt(c.ID, 10)
	var conclusion any
	if c.Conclusion != "" {
		conclusion = c.Conclusion
	}
	var completed any
	if c.Status == "completed" {
		completed = "2026-01-01T00:00:10Z"
	}
	return map[string]any{
		"id": c.ID, "node_id": fmt.Sprintf("CR_%d", c.ID), "head_sha": c.HeadSHA, "name": c.Name,
		"external_id": "", "url": base, "html_url": "http://" + r.Host + "/acme/web/runs/" + strconv.FormatInt(c.ID, 10),
		"details_url": nil, "status": c.Status, "conclusion": conclusion,
		"started_at": "2026-01-01T00:00:00Z", "completed_at": completed,
		"output": map[string]any{"title": nullable(c.Title), "summary": nullable(c.Summary), "text": nil,
			"annotations_count": len(c.Annotations), "annotations_url": base + "/annotations"},
		"check_suite": map[string]any{"id": 1}, "app": githubActionsApp(r), "pull_requests": []any{},
	}
}

func (f *GitHub) listComments(w http.ResponseWriter, r *http.Request, issue string) {
	n, _ := strconv.Atoi(issue)
	var all []*Comment
	for _, c := range f.comments {
		if c.Issue == n {
			all = append(all, c)
		}
	}
	perPage, page := atoiOr(r.URL.Query().Get("per_page"), 30), atoiOr(r.URL.Query().Get("page"), 1)
	perPage = min(max(perPage, 1), 100)
	start := min((max(page, 1)-1)*perPage, len(all))
	end := min(start+perPage, len(all))
	if end < len(all) {
		w.Header().Set("Link", fmt.Sprintf(`<http://%s/api/v3%s?per_page=%d&page=%d>; rel="next"`, r.Host, r.URL.Path, perPage, page+1))
	}
	out := []any{}
	for _, c := range all[start:end] {
		out = append(out, commentJSON(r, c))
	}
	reply(w, http.StatusOK, out)
}

func (f *GitHub) createComment(w http.ResponseWriter, r *http.Request, issue string) {
	if f.IssuesForbidden {
		f.forbidden(w, "https://docs.github.com/rest/issues/comments#create-an-issue-comment")
		return
	}
	var b struct {
		Body string `json:"body"`
	}
	_ = json.NewDecoder(r.Body).Decode(&b)
	n, _ := strconv.Atoi(issue)
	f.nextID++
	now := time.Now().UTC()
	c := &Comment{ID: f.nextID, Issue: n, Body: b.Body, Login: f.login, UserID: f.id, UserType: accountType(f.login), CreatedAt: now, UpdatedAt: now}
	f.comments = append(f.comments, c)
	w.Header().Set("Location", fmt.Sprintf("http://%s/api/v3/repos/acme/web/issues/comments/%d", r.Host, c.ID))
	reply(w, http.StatusCreated, commentJSON(r, c))
}

func (f *GitHub) updateComment(w http.ResponseWriter, r *http.Request, id string) {
	if f.IssuesForbidden {
		f.forbidden(w, "https://docs.github.com/rest/issues/comments#update-an-issue-comment")
		return
	}
	var b struct {
		Body string `json:"body"`
	}
	_ = json.NewDecoder(r.Body).Decode(&b)
	for _, c := range f.comments {
		if strconv.FormatInt(c.ID, 10) == id {
			if c.UserID != f.id { // only its author (or a maintainer, which a workflow token is not) may edit it
				f.forbidden(w, "https://docs.github.com/rest/issues/comments#update-an-issue-comment")
				return
			}
			c.Body, c.UpdatedAt = b.Body, time.Now().UTC()
			reply(w, http.StatusOK, commentJSON(r, c))
			return
		}
	}
	reply(w, http.StatusNotFound, basicError("Not Found", "https://docs.github.com/rest/issues/comments#update-an-issue-comment"))
}

// createDeployment records a deployment (https://docs.github.com/rest/deployments/deployments#create-a-deployment).
// The fake's commits have no statuses and its branches are never behind, so the 409 and 202
// answers GitHub gives for required contexts and auto-merge do not arise.
func (f *GitHub) createDeployment(w http.ResponseWriter, r *http.Request) {
	if f.DeploymentsForbidden {
		f.forbidden(w, "https://docs.github.com/rest/deployments/deployments#create-a-deployment")
		return
	}
	var b struct {
		Ref              string    `json:"ref"`
		Task             *string   `json:"task"`
		Environment      *string   `json:"environment"`
		Description      *string   `json:"description"`
		AutoMerge        *bool     `json:"auto_merge"`
		RequiredContexts *[]string `json:"required_contexts"`
	}
	_ = json.NewDecoder(r.Body).Decode(&b)
	f.nextID++
	d := &Deployment{ID: f.nextID, Ref: b.Ref, Task: "deploy", Environment: "production", AutoMerge: true}
	if b.Task != nil {
		d.Task = *b.Task
	}
	if b.Environment != nil {
		d.Environment = *b.Environment
	}
	if b.Description != nil {
		d.Description = *b.Description
	}
	if b.AutoMerge != nil {
		d.AutoMerge = *b.AutoMerge
	}
	if b.RequiredContexts != nil {
		d.RequiredContexts = append([]string{}, *b.RequiredContexts...)
	}
	f.deployments = append(f.deployments, d)
	api := "http://" + r.Host + "/api/v3/repos/acme/web"
	url := fmt.Sprintf("%s/deployments/%d", api, d.ID)
	reply(w, http.StatusCreated, map[string]any{
		"id": d.ID, "node_id": fmt.Sprintf("DE_%d", d.ID), "url": url, "sha": "head123", "ref": d.Ref, "task": d.Task,
		"payload": map[string]any{}, "original_environment": d.Environment, "environment": d.Environment,
		"description": d.Description, "creator": userJSON(r, f.login, f.id, accountType(f.login)),
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
		"statuses_url": url + "/statuses", "repository_url": api, "transient_environment": false,
		"production_environment": d.Environment == "production", "performed_via_github_app": nil,
	})
}

// createDeploymentStatus adds a status (https://docs.github.com/rest/deployments/statuses#create-a-deployment-status).
func (f *GitHub) createDeploymentStatus(w http.ResponseWriter, r *http.Request, id string) {
	if f.DeploymentsForbidden {
		f.forbidden(w, "https://docs.github.com/rest/deployments/statuses#create-a-deployment-status")
		return
	}
	var d *Deployment
	for _, x := range f.deployments {
		if strconv.FormatInt(x.ID, 10) == id {
			d = x
		}
	}
	if d == nil {
		reply(w, http.StatusNotFound, basicError("Not Found", "https://docs.github.com/rest/deployments/statuses#create-a-deployment-status"))
		return
	}
	var b struct {
		State          string `json:"state"`
		Description    string `json:"description"`
		EnvironmentURL string `json:"environment_url"`
		LogURL         string `json:"log_url"`
		AutoInactive   *bool  `json:"auto_inactive"`
	}
	_ = json.NewDecoder(r.Body).Decode(&b)
	d.Statuses = append(d.Statuses, DeploymentStatus{State: b.State, Description: b.Description, EnvironmentURL: b.EnvironmentURL, LogURL: b.LogURL, AutoInactive: b.AutoInactive})
	f.nextID++
	api := "http://" + r.Host + "/api/v3/repos/acme/web"
	url := fmt.Sprintf("%s/deployments/%d/statuses/%d", api, d.ID, f.nextID)
	w.Header().Set("Location", url)
	reply(w, http.StatusCreated, map[string]any{
		"id": f.nextID, "node_id": fmt.Sprintf("DES_%d", f.nextID), "url": url, "state": b.State,
		"creator": userJSON(r, f.login, f.id, accountType(f.login)), "description": b.Description,
		"environment": d.Environment, "target_url": b.LogURL, "log_url": b.LogURL, "environment_url": b.EnvironmentURL,
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
		"deployment_url": fmt.Sprintf("%s/deployments/%d", api, d.ID), "repository_url": api,
		"performed_via_github_app": nil,
	})
}

// accountType is how REST names the kind of account login is.
func accountType(login string) string {
	if strings.HasSuffix(login, "[bot]") {
		return "Bot"
	}
	return "User"
}

// forbidden answers as GitHub answers an installation token without the permission.
func (f *GitHub) forbidden(w http.ResponseWriter, doc string) {
	body := basicError("Resource not accessible by integration", doc)
	body["status"] = "403"
	f.checkBasicError(body)
	reply(w, http.StatusForbidden, body)
}

// checkBasicError checks an error answer the operations do not list against basic-error.
func (f *GitHub) checkBasicError(body map[string]any) {
	var v any
	data, _ := json.Marshal(body)
	_ = json.Unmarshal(data, &v)
	if err := f.checker.Document().CheckSchema("basic-error", v); err != nil {
		f.checker.Report(fmt.Errorf("error answer is not a basic-error: %w", err))
	}
}

func commentJSON(r *http.Request, c *Comment) map[string]any {
	api := "http://" + r.Host + "/api/v3/repos/acme/web"
	return map[string]any{
		"id": c.ID, "node_id": fmt.Sprintf("IC_%d", c.ID), "url": fmt.Sprintf("%s/issues/comments/%d", api, c.ID),
		"html_url":  fmt.Sprintf("http://%s/acme/web/pull/%d#issuecomment-%d", r.Host, c.Issue, c.ID),
		"issue_url": fmt.Sprintf("%s/issues/%d", api, c.Issue),
		"body":      c.Body, "user": userJSON(r, c.Login, c.UserID, c.UserType),
		"created_at": c.CreatedAt.Format(time.RFC3339), "updated_at": c.UpdatedAt.Format(time.RFC3339),
		"author_association": "NONE",
	}
}

// userJSON is a simple-user as the REST API shows an account.
func userJSON(r *http.Request, login string, id int64, kind string) map[string]any {
	u := "http://" + r.Host + "/api/v3/users/" + login
	return map[string]any{
		"login": login, "id": id, "node_id": fmt.Sprintf("U_%d", id), "type": kind, "site_admin": false,
		"avatar_url": "http://" + r.Host + "/avatars/u/" + strconv.FormatInt(id, 10), "gravatar_id": "",
		"url": u, "html_url": "http://" + r.Host + "/" + login, "followers_url": u + "/followers",
		"following_url": u + "/following{/other_user}", "gists_url": u + "/gists{/gist_id}",
		"starred_url": u + "/starred{/owner}{/repo}", "subscriptions_url": u + "/subscriptions",
		"organizations_url": u + "/orgs", "repos_url": u + "/repos", "events_url": u + "/events{/privacy}",
		"received_events_url": u + "/received_events",
	}
}

// githubActionsApp is the GitHub App a workflow's GITHUB_TOKEN belongs to, as check runs name it.
func githubActionsApp(r *http.Request) map[string]any {
	return map[string]any{
		"id": 15368, "slug": "github-actions", "node_id": "MDM6QXBwMTUzNjg=", "name": "GitHub Actions",
		"owner":       userJSON(r, "github", 9919, "Organization"),
		"description": "Automate your workflow from idea to production", "external_url": "https://help.github.com/en/actions",
		"html_url": "http://" + r.Host + "/apps/github-actions", "created_at": "2018-07-30T09:30:17Z", "updated_at": "2019-12-10T19:04:12Z",
		"permissions": map[string]any{"checks": "write", "issues": "write", "metadata": "read"}, "events": []any{"check_run"},
	}
}

func basicError(message, doc string) map[string]any {
	return map[string]any{"message": message, "documentation_url": doc}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func atoiOr(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Run is where a workflow run is: the repository, commit and run link, from GITHUB_* variables.
type Run struct {
	APIURL     string // GITHUB_API_URL; empty means api.github.com
	GraphQLURL string // GITHUB_GRAPHQL_URL; empty means the one beside APIURL
	Repository string // owner/name
	SHA        string
	LogURL     string // the run's page
}

// RunFromEnv reads a Run from the environment a job step sees.
func RunFromEnv(getenv func(string) string) Run {
	r := Run{APIURL: getenv("GITHUB_API_URL"), GraphQLURL: getenv("GITHUB_GRAPHQL_URL"),
		Repository: getenv("GITHUB_REPOSITORY"), SHA: getenv("GITHUB_SHA")}
	if s, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_RUN_ID"); s != "" && id != "" && r.Repository != "" {
		r.LogURL = strings.TrimRight(s, "/") + "/" + r.Repository + "/actions/runs/" + id
	}
	return r
}

// Deployment is a GitHub Deployment this run created.
type Deployment struct {
	client      *gh.Client
	owner, repo string
	id          int64
	run         Run
	environment string
}

// NewClient is a go-github client for the token, on GITHUB_API_URL when set (GitHub Enterprise),
// over hc (nil: a client of its own with no timeout; internal/factory gives one with a timeout).
func NewClient(hc *http.Client, token string, run Run) (*gh.Client, error) {
	if hc == nil {
		hc = &http.Client{}
	}
	c := gh.NewClient(hc).WithAuthToken(token)
	if run.APIURL != "" && !strings.HasPrefix(run.APIURL, "https://api.github.com") {
		u := strings.TrimRight(run.APIURL, "/") + "/"
		var err error
		if c, err = c.WithEnterpriseURLs(u, u); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// StartDeployment records a deployment of run.SHA to environment, in progress. Commit status
// checks are not required (required_contexts is empty): the deploy is already happening.
func StartDeployment(ctx context.Context, c *gh.Client, run Run, environment, description string) (*Deployment, error) {
	owner, repo, ok := strings.Cut(run.Repository, "/")
	if !ok || run.SHA == "" {
		return nil, errors.New("GITHUB_REPOSITORY and GITHUB_SHA are needed to record a GitHub Deployment")
	}
	d, _, err := c.Repositories.CreateDeployment(ctx, owner, repo, &gh.DeploymentRequest{
		Ref: gh.String(run.SHA), Environment: gh.String(environment), Description: gh.String(description),
		AutoMerge: gh.Bool(false), RequiredContexts: &[]string{},
	})
	if err != nil {
		return nil, fmt.Errorf("create GitHub Deployment in %s: %w — the token needs deployments: write", run.Repository, err)
	}
	dep := &Deployment{client: c, owner: owner, repo: repo, id: d.GetID(), run: run, environment: environment}
	return dep, dep.status(ctx, "in_progress", "", description)
}

// ID is the deployment's id.
func (d *Deployment) ID() int64 { return d.id }

// Progress adds an in_progress status that says how far the deploy is (a rollout's step, say).
func (d *Deployment) Progress(ctx context.Context, description string) error {
	return d.status(ctx, "in_progress", "", description)
}

// Finish sets the final status: success (with the environment URL) or failure.
func (d *Deployment) Finish(ctx context.Context, ok bool, environmentURL, description string) error {
	state := "failure"
	if ok {
		state = "success"
	}
	return d.status(ctx, state, environmentURL, description)
}

func (d *Deployment) status(ctx context.Context, state, envURL, description string) error {
	req := &gh.DeploymentStatusRequest{State: gh.String(state), Description: gh.String(truncate(description, 140)), AutoInactive: gh.Bool(true)}
	if d.run.LogURL != "" {
		req.LogURL = gh.String(d.run.LogURL)
	}
	if envURL != "" {
		req.EnvironmentURL = gh.String(envURL)
	}
	if _, _, err := d.client.Repositories.CreateDeploymentStatus(ctx, d.owner, d.repo, d.id, req); err != nil {
		return fmt.Errorf("set GitHub Deployment %d to %s: %w", d.id, state, err)
	}
	return nil
}

// truncate keeps a description within GitHub's 140 characters.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

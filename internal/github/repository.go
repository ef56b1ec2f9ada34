package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Repository is what an image's labels and its latest tag need to know of the run's repository.
type Repository struct {
	Tags        []string // every tag name, all pages
	Description string
	License     string // SPDX id; empty when GitHub detected none
}

// ReadRepository lists the repository's tags (all pages, 100 at a time) and reads its description
// and licence.
func ReadRepository(ctx context.Context, c *gh.Client, run Run) (Repository, error) {
	owner, repo, ok := strings.Cut(run.Repository, "/")
	if !ok {
		return Repository{}, fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", run.Repository)
	}
	var out Repository
	r, _, err := c.Repositories.Get(ctx, owner, repo)
	if err != nil {
		return out, fmt.Errorf("read %s: %w", run.Repository, err)
	}
	out.Description = r.GetDescription()
	if l := r.GetLicense(); l != nil && l.GetSPDXID() != "NOASSERTION" {
		out.License = l.GetSPDXID()
	}
	opts := &gh.ListOptions{PerPage: 100}
	for {
		tags, resp, err := c.Repositories.ListTags(ctx, owner, repo, opts)
		if err != nil {
			return out, fmt.Errorf("list the tags of %s: %w", run.Repository, err)
		}
		for _, t := range tags {
			out.Tags = append(out.Tags, t.GetName())
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

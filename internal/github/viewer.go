package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v62/github"
)

// Account is a GitHub account: a user, or the bot of a GitHub App (github-actions[bot] for a
// workflow's GITHUB_TOKEN).
type Account struct {
	Login string
	ID    int64 // the REST API's user id (GraphQL's databaseId); 0 when GitHub did not say
}

// Viewer returns the account the client's token acts as. It asks GraphQL's viewer, which answers
// for every kind of token: a personal access token's user, and the bot of an installation token
// (GITHUB_TOKEN: github-actions[bot]; a GitHub App's: <slug>[bot]). REST's GET /user refuses
// installation tokens ("Resource not accessible by integration"), and GET /app wants the App's JWT.
// https://docs.github.com/en/graphql/reference/queries#viewer
func Viewer(ctx context.Context, c *gh.Client, run Run) (Account, error) {
	req, err := c.NewRequest(http.MethodPost, graphQLURL(c, run), map[string]string{"query": "query { viewer { login databaseId } }"})
	if err != nil {
		return Account{}, err
	}
	var out struct {
		Data struct {
			Viewer struct {
				Login      string `json:"login"`
				DatabaseID int64  `json:"databaseId"`
			} `json:"viewer"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if _, err := c.Do(ctx, req, &out); err != nil {
		return Account{}, fmt.Errorf("find which account the token belongs to (GraphQL viewer): %w", err)
	}
	if len(out.Errors) > 0 {
		return Account{}, fmt.Errorf("find which account the token belongs to (GraphQL viewer): %s", out.Errors[0].Message)
	}
	if out.Data.Viewer.Login == "" {
		return Account{}, errors.New("find which account the token belongs to: GraphQL's viewer has no login")
	}
	return Account{Login: out.Data.Viewer.Login, ID: out.Data.Viewer.DatabaseID}, nil
}

// graphQLURL is GITHUB_GRAPHQL_URL, else the endpoint beside the client's REST API: /api/graphql on
// GitHub Enterprise Server (REST at /api/v3), /graphql on api.github.com.
func graphQLURL(c *gh.Client, run Run) string {
	if run.GraphQLURL != "" {
		return run.GraphQLURL
	}
	base := c.BaseURL.String()
	if strings.HasSuffix(base, "/api/v3/") {
		return strings.TrimSuffix(base, "v3/") + "graphql"
	}
	return base + "graphql"
}

// Wrote reports whether a user (as a REST answer names an author) is this account: by id when both
// are known, else by login, where GraphQL may name a bot without REST's "[bot]" suffix.
func (a Account) Wrote(u *gh.User) bool {
	if u == nil {
		return false
	}
	if a.ID != 0 && u.GetID() != 0 {
		return a.ID == u.GetID()
	}
	login := u.GetLogin()
	if u.GetType() == "Bot" {
		return strings.EqualFold(strings.TrimSuffix(login, "[bot]"), strings.TrimSuffix(a.Login, "[bot]"))
	}
	return login != "" && strings.EqualFold(login, a.Login)
}

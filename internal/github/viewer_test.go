package github

import (
	"testing"

	gh "github.com/google/go-github/v62/github"
)

func TestGraphQLURL_BesideTheRESTAPIUnlessTheRunnerSaysWhere(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		run  Run
		want string
	}{
		{Run{}, "https://api.github.com/graphql"},
		{Run{APIURL: "https://api.github.com"}, "https://api.github.com/graphql"},
		{Run{APIURL: "https://ghe.example/api/v3"}, "https://ghe.example/api/graphql"},
		{Run{APIURL: "https://ghe.example/api/v3", GraphQLURL: "https://ghe.example/graphql-proxy"}, "https://ghe.example/graphql-proxy"},
	} {
		c, err := NewClient(nil, "t", tc.run)
		if err != nil {
			t.Fatal(err)
		}
		if got := graphQLURL(c, tc.run); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.run, got, tc.want)
		}
	}
}

// GraphQL names a bot with or without REST's "[bot]"; ids, when both are known, decide alone.
func TestAccount_WroteMatchesByIDElseByLogin(t *testing.T) {
	t.Parallel()
	user := func(login string, id int64, kind string) *gh.User {
		return &gh.User{Login: gh.String(login), ID: gh.Int64(id), Type: gh.String(kind)}
	}
	for _, tc := range []struct {
		a    Account
		u    *gh.User
		want bool
	}{
		{Account{"github-actions[bot]", 41898282}, user("github-actions[bot]", 41898282, "Bot"), true},
		{Account{"github-actions[bot]", 41898282}, user("github-actions[bot]", 7, "Bot"), false}, // a renamed look-alike
		{Account{"github-actions", 0}, user("github-actions[bot]", 41898282, "Bot"), true},
		{Account{"github-actions", 0}, user("github-actions", 9, "User"), true},
		{Account{"github-actions[bot]", 0}, user("github-actions", 9, "User"), false},
		{Account{"Deploy-Bot", 0}, user("deploy-bot", 5, "User"), true},
		{Account{"deploy-bot", 5}, nil, false},
	} {
		if got := tc.a.Wrote(tc.u); got != tc.want {
			t.Errorf("%+v wrote %v: %v, want %v", tc.a, tc.u, got, tc.want)
		}
	}
}

package lintpython

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v62/github"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/github"
	"github.com/slipway-actions/slipway/internal/lint"
)

// marker tags the review comments this action owns, so a re-run updates them instead of adding more.
const marker = "<!-- slipway:lint-python:suggest-fixes -->"

// reviewHint is advice for a review GitHub refused: a 403 on a fork's pull request is its read-only
// token. Any other failure (another status, a network error) has no such hint.
func reviewHint(err error, t trust) string {
	var er *gh.ErrorResponse
	if !t.Fork || t.Privileged || !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusForbidden {
		return ""
	}
	return " (a pull request from a fork gets a read-only token: post suggestions on forks' pull requests from a " +
		"pull_request_target workflow, where lint-python runs none of their code)"
}

// suggestFixes posts the formatters' fixes as one pull request review of ```suggestion comments, on
// the lines the pull request changed. It never fails the step: a token that may not write (a fork's)
// is a warning saying so.
func suggestFixes(ctx context.Context, k *actionkit.Kit, cfg config, rep *lint.Report, changed lint.Changes) {
	ev := k.Getenv("GITHUB_EVENT_NAME")
	if ev != "pull_request" && ev != "pull_request_target" {
		k.Infof("suggest-fixes: not a pull request (%s); nothing to post", ev)
		return
	}
	clients := factory.New(k.Getenv, k.Debugf)
	event, err := clients.Event()
	if err != nil {
		k.Warningf("suggest-fixes: %v", err)
		return
	}
	number, sha, ok := event.PullRequest()
	if !ok || number == 0 || sha == "" {
		k.Warningf("suggest-fixes: the event has no pull_request number and head sha")
		return
	}
	if changed == nil {
		base := cfg.BaseRef
		if base == "" {
			base = lint.PullRequestBase(ctx, cfg.Dir, k.Getenv("GITHUB_BASE_REF"))
		}
		if changed, err = lint.ChangedLines(ctx, cfg.Dir, cfg.Workspace, base); err != nil {
			k.Warningf("suggest-fixes: %v", err)
			return
		}
	}
	suggestions, left := lint.Suggestions(rep.Findings, changed)
	var comments []github.ReviewComment
	for _, s := range suggestions {
		intro := fmt.Sprintf("**%s** would reformat %s:", s.Tool, lint.LineSpan(s.StartLine, s.EndLine))
		comments = append(comments, github.ReviewComment{Path: s.File, StartLine: s.StartLine, Line: s.EndLine, Body: github.SuggestionBody(intro, s.Text)})
	}
	c, run, err := clients.GitHub(cfg.GitHubToken)
	if err != nil {
		k.Warningf("suggest-fixes: %v", err)
		return
	}
	res, err := github.SyncReview(ctx, c, run, number, sha, marker,
		fmt.Sprintf("slipway lint-python: %d formatter fixes as suggestions.", len(comments)), comments)
	if err != nil {
		k.Warningf("suggest-fixes: %v%s", err, reviewHint(err, cfg.Trust))
		return
	}
	k.Infof("suggest-fixes: %d posted in one review, %d already there, %d outdated removed; %d fixes outside the pull request's lines not posted",
		res.Posted, res.Kept, res.Deleted, left)
}

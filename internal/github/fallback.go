package github

import (
	"errors"
	"fmt"
	"net/http"

	gh "github.com/google/go-github/v62/github"
)

// FallbackError says GitHub refused a write the token may not make (403) or cannot see (404): a
// fork pull request's GITHUB_TOKEN, or a workflow whose permissions leave out checks: write or
// pull-requests: write. The caller reports the same results another way (the step summary and
// workflow-command annotations) and says once, with Error's one line, why.
type FallbackError struct {
	What       string // what was refused: "create the check run \"lint\""
	Status     int    // 403 or 404
	Message    string // GitHub's message
	Permission string // the permission the workflow must grant: "checks: write"
}

func (e *FallbackError) Error() string {
	msg := ""
	if e.Message != "" {
		msg = " (" + e.Message + ")"
	}
	return fmt.Sprintf("GitHub refused to %s: %d%s — the token needs %s (a fork's pull request never has it); reporting in the step summary instead",
		e.What, e.Status, msg, e.Permission)
}

// asFallback turns a 403 or 404 answer (not a rate limit: that has Retry-After) into a *FallbackError; other errors (a rate limit waited
// out in vain, a 5xx, a timeout) are wrapped with what was asked.
func asFallback(err error, what, permission string) error {
	var resp *gh.ErrorResponse
	if errors.As(err, &resp) && resp.Response != nil && resp.Response.Header.Get("Retry-After") == "" {
		if s := resp.Response.StatusCode; s == http.StatusForbidden || s == http.StatusNotFound {
			return &FallbackError{What: what, Status: s, Message: resp.Message, Permission: permission}
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

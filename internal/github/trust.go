package github

import gh "github.com/google/go-github/v62/github"

// Untrusted says whether the run works on what a pull request controls while the job may hold more
// than that pull request should: on pull_request_target (the base repository's token, write access,
// and secrets, with the pull request's files checked out by the workflow) and on a pull request
// from a fork (whose author is not a collaborator). why says which, for the log.
func (e *Event) Untrusted() (untrusted bool, why string) {
	if e.Name == "pull_request_target" {
		return true, "the run is on pull_request_target"
	}
	pr, ok := e.Payload.(*gh.PullRequestEvent)
	if !ok || pr.GetPullRequest() == nil {
		return false, ""
	}
	head, base := pr.GetPullRequest().GetHead().GetRepo(), pr.GetPullRequest().GetBase().GetRepo()
	if head.GetFullName() != base.GetFullName() || head.GetFork() {
		return true, "the pull request comes from the fork " + head.GetFullName()
	}
	return false, ""
}

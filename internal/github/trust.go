package github

import gh "github.com/google/go-github/v62/github"

// trustedEvents are the events whose run works on what the repository's own collaborators pushed or
// started: their code is the repository's. A pull request is among them only from the repository
// itself.
var trustedEvents = map[string]bool{"push": true, "workflow_dispatch": true, "schedule": true, "release": true,
	"create": true, "merge_group": true, "repository_dispatch": true, "pull_request": true}

// Untrusted says whether the run may work on what a pull request's author controls while the job
// holds more than that author should: every event but those of trustedEvents (pull_request_target,
// which carries the base repository's token and secrets; workflow_run, issue_comment and reviews,
// which may be a fork's), and a pull request from a fork. It fails closed: an event it cannot read
// is untrusted. A local run (no event) is trusted. why says which, for the log.
func (e *Event) Untrusted() (untrusted bool, why string) {
	switch {
	case e.Name == "":
		return false, ""
	case e.Name == "pull_request_target":
		return true, "the run is on pull_request_target"
	case !trustedEvents[e.Name]:
		return true, "the run is on " + e.Name + ", which may carry a fork's pull request"
	case e.Name != "pull_request":
		return false, ""
	}
	pr, ok := e.Payload.(*gh.PullRequestEvent)
	if !ok || pr.GetPullRequest() == nil {
		return true, "the pull request event could not be read"
	}
	head, base := pr.GetPullRequest().GetHead().GetRepo(), pr.GetPullRequest().GetBase().GetRepo()
	if head.GetFullName() != base.GetFullName() || head.GetFork() {
		return true, "the pull request comes from the fork " + head.GetFullName()
	}
	return false, ""
}

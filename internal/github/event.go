package github

import (
	"fmt"
	"os"

	gh "github.com/google/go-github/v62/github"
)

// Event is the webhook payload that triggered the run, decoded into go-github's type for its name
// (*gh.PullRequestEvent, *gh.PushEvent, ...). Payload is nil when the run has no event file (a local
// run) or the event is of a kind go-github does not know.
type Event struct {
	Name    string
	Payload any
}

// ReadEvent reads the event file the runner wrote (GITHUB_EVENT_PATH) as the event name says.
func ReadEvent(name, path string) (*Event, error) {
	ev := &Event{Name: name}
	if path == "" || name == "" {
		return ev, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ev, fmt.Errorf("read the event of this run (GITHUB_EVENT_PATH): %w", err)
	}
	kind := webhookType(name)
	if gh.EventForType(kind) == nil {
		return ev, nil // an event go-github has no type for: nothing slipway reads from it
	}
	if ev.Payload, err = gh.ParseWebHook(kind, data); err != nil {
		return ev, fmt.Errorf("decode the %s event of this run: %w", name, err)
	}
	return ev, nil
}

// webhookType is the X-GitHub-Event name of a workflow event: pull_request_target carries the payload
// of pull_request.
func webhookType(name string) string {
	if name == "pull_request_target" {
		return "pull_request"
	}
	return name
}

// PullRequest is the pull request of a pull_request or pull_request_target event: its number and the
// SHA of its head. ok is false for any other event.
func (e *Event) PullRequest() (number int, headSHA string, ok bool) {
	pr, isPR := e.Payload.(*gh.PullRequestEvent)
	if !isPR || pr.GetPullRequest() == nil {
		return 0, "", false
	}
	return pr.GetPullRequest().GetNumber(), pr.GetPullRequest().GetHead().GetSHA(), true
}

// DefaultBranch is the repository's default branch as the event tells it; empty when it does not.
func (e *Event) DefaultBranch() string {
	switch p := e.Payload.(type) {
	case *gh.PushEvent:
		return p.GetRepo().GetDefaultBranch()
	case *gh.PullRequestEvent:
		return p.GetRepo().GetDefaultBranch()
	case *gh.CreateEvent:
		return p.GetRepo().GetDefaultBranch()
	case *gh.ReleaseEvent:
		return p.GetRepo().GetDefaultBranch()
	case *gh.WorkflowDispatchEvent:
		return p.GetRepo().GetDefaultBranch()
	}
	return ""
}

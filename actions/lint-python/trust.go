package lintpython

import (
	"strings"

	gh "github.com/google/go-github/v62/github"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/github"
)

// trust is what the run may let the repository's code do. In untrusted mode lint-python runs none
// of it: nothing is installed, and the linters get their config with the plugins, hooks and file
// outputs stripped (lint.Sanitise).
type trust struct {
	Untrusted bool
	// Why says, for the log, what made the run untrusted (or trusted despite the event).
	Why string
	// Fork: the event is a pull request (or a run of one) whose head is another repository, or
	// whose head the event does not tell.
	Fork bool
	// Privileged: the job's token can write and its secrets are there while the code may be a
	// fork's (pull_request_target, workflow_run): install is refused there, not skipped.
	Privileged bool
}

// readTrust decides untrusted mode from the event and trust-repository-config (auto, true, false).
// auto is untrusted where github.Event.Untrusted says (pull_request_target; a pull request from a
// fork), and besides, for lint-python: a pull request event whose payload cannot be read (it counts
// as a fork's), a review event of a fork's pull request, and a workflow_run of one (that job's
// token can write). true trusts the repository's config, refused where a fork's code would run with
// a token that can write; false is always untrusted.
func readTrust(k *actionkit.Kit, in *actionkit.Inputs) trust {
	mode := in.Enum("trust-repository-config", "auto", "true", "false")
	name := k.Getenv("GITHUB_EVENT_NAME")
	t := trust{Privileged: name == "pull_request_target" || name == "workflow_run"}
	ev, err := factory.New(k.Getenv, k.Debugf).Event()
	var about string
	t.Fork, about = forkOf(name, ev, err)
	if ev != nil && err == nil {
		t.Untrusted, t.Why = ev.Untrusted()
	}
	if !t.Untrusted && t.Fork {
		t.Untrusted, t.Why = true, name+" of a pull request from a fork ("+about+")"
	}
	switch mode {
	case "false":
		t.Untrusted, t.Why = true, "trust-repository-config: false"
	case "true":
		if t.Privileged && t.Fork {
			in.Invalid("trust-repository-config", "true is refused on %s for %s: the linters would run the pull request's plugins and hooks "+
				"as root in the action's container, where the job's token (which can write) and secrets can be read; lint it in a "+
				"pull_request workflow (a fork's token is read-only there) to run its plugins", name, about)
			return t
		}
		if t.Untrusted {
			t.Untrusted, t.Why = false, "trust-repository-config: true"
		}
	}
	return t
}

// forkOf says whether the event's code comes from a fork, and which (for the log). For a pull
// request's event it is github.Event.Untrusted's rule (another repository, or a fork); a review
// event or a workflow_run of a pull request compares the same names. A pull request's event that
// cannot be read counts as a fork's.
func forkOf(name string, ev *github.Event, err error) (bool, string) {
	switch name {
	case "pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment", "workflow_run":
	default:
		return false, ""
	}
	if err != nil || ev == nil || ev.Payload == nil {
		if name == "workflow_run" {
			return false, ""
		}
		return true, "the event could not be read, so it counts as a fork's"
	}
	var pr *gh.PullRequest
	switch p := ev.Payload.(type) {
	case *gh.PullRequestEvent:
		pr = p.GetPullRequest()
	case *gh.PullRequestReviewEvent:
		pr = p.GetPullRequest()
	case *gh.PullRequestReviewCommentEvent:
		pr = p.GetPullRequest()
	case *gh.WorkflowRunEvent:
		run := p.GetWorkflowRun()
		if !strings.HasPrefix(run.GetEvent(), "pull_request") {
			return false, "" // a run of a push, a schedule: not a pull request's code
		}
		head := run.GetHeadRepository()
		return head.GetFullName() != p.GetRepo().GetFullName() || head.GetFork(), head.GetFullName()
	default:
		return true, "the event is not a pull request's as expected, so it counts as a fork's"
	}
	fork, _ := (&github.Event{Name: "pull_request", Payload: &gh.PullRequestEvent{PullRequest: pr}}).Untrusted()
	return fork, pr.GetHead().GetRepo().GetFullName()
}

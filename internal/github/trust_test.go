package github

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEvent_UntrustedOnPullRequestTargetAndForks(t *testing.T) {
	t.Parallel()
	pr := func(head string, fork bool) string {
		f := "false"
		if fork {
			f = "true"
		}
		return `{"action":"opened","number":7,"pull_request":{"number":7,"head":{"sha":"abc","repo":{"full_name":"` + head +
			`","fork":` + f + `}},"base":{"repo":{"full_name":"acme/web"}}}}`
	}
	for _, c := range []struct {
		name, event, payload string
		want                 bool
	}{
		{"same repository", "pull_request", pr("acme/web", false), false},
		{"fork", "pull_request", pr("mallory/web", true), true},
		{"other repository, not marked fork", "pull_request", pr("mallory/web", false), true},
		{"pull_request_target", "pull_request_target", pr("acme/web", false), true},
		{"push", "push", `{"ref":"refs/heads/main"}`, false},
		{"workflow_run", "workflow_run", `{"action":"completed"}`, true},
		{"issue_comment", "issue_comment", `{"action":"created"}`, true},
		{"a review", "pull_request_review", `{"action":"submitted"}`, true},
		{"an event of no known kind", "some_future_event", `{}`, true},
		{"a pull request that cannot be read", "pull_request", `{"action":"opened"}`, true},
	} {
		path := filepath.Join(t.TempDir(), "event.json")
		if err := os.WriteFile(path, []byte(c.payload), 0o644); err != nil {
			t.Fatal(err)
		}
		ev, err := ReadEvent(c.event, path)
		if err != nil {
			t.Fatal(err)
		}
		if got, why := ev.Untrusted(); got != c.want || got != (why != "") {
			t.Errorf("%s: untrusted %v (%q), want %v", c.name, got, why, c.want)
		}
	}
	if got, _ := (&Event{}).Untrusted(); got {
		t.Error("a local run (no event) is untrusted")
	}
}

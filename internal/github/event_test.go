package github

import (
	"os"
	"path/filepath"
	"testing"
)

func writeEvent(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadEvent_TypedPayloads(t *testing.T) {
	t.Parallel()
	pr := writeEvent(t, `{"action":"synchronize","number":7,"pull_request":{"number":7,"head":{"sha":"abc123"}},"repository":{"default_branch":"trunk"}}`)
	for _, name := range []string{"pull_request", "pull_request_target"} {
		ev, err := ReadEvent(name, pr)
		if err != nil {
			t.Fatal(err)
		}
		if n, sha, ok := ev.PullRequest(); !ok || n != 7 || sha != "abc123" {
			t.Errorf("%s: PullRequest() = %d, %q, %v", name, n, sha, ok)
		}
		if b := ev.DefaultBranch(); b != "trunk" {
			t.Errorf("%s: DefaultBranch() = %q", name, b)
		}
	}
	push := writeEvent(t, `{"ref":"refs/tags/v1.2.0","repository":{"default_branch":"main"}}`)
	ev, err := ReadEvent("push", push)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := ev.PullRequest(); ok {
		t.Error("a push event is not a pull request")
	}
	if b := ev.DefaultBranch(); b != "main" {
		t.Errorf("push: DefaultBranch() = %q", b)
	}
}

func TestReadEvent_LocalRunsAndUnknownEvents(t *testing.T) {
	t.Parallel()
	if ev, err := ReadEvent("", ""); err != nil || ev.Payload != nil {
		t.Errorf("no event: %+v, %v", ev, err)
	}
	if ev, err := ReadEvent("merge_group_of_the_future", writeEvent(t, `{}`)); err != nil || ev.Payload != nil {
		t.Errorf("unknown event: %+v, %v", ev, err)
	}
	if _, err := ReadEvent("push", writeEvent(t, `{not json`)); err == nil {
		t.Error("a broken event file: no error")
	}
	if _, err := ReadEvent("push", filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing event file: no error")
	}
}

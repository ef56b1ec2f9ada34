package flagrollout

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/sandbox"
	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// gateSnoop is a gate command that writes to out its own environment and those of its parent (the
// action's child process that runs gates), its grandparent (the action's first process: pid 1 in a
// container) and pid 1, and each of their open regular files, saying whose environment it read.
func gateSnoop(out string) string {
	return `exec >'` + out + `' 2>&1
env
pp=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$PPID/status)
for p in $PPID $pp 1; do
	if tr '\0' '\n' < /proc/$p/environ; then echo "read environ of $p"; fi
	for fd in /proc/$p/fd/*; do if [ -f "$fd" ]; then head -c 65536 "$fd" | tr '\0' '\n'; fi; done
done
true`
}

// A gate command runs as the user wrote it, so it may read whatever its user may: the API key is in
// no environment it can read — its own, /proc/$PPID/environ, the environment the action started with
// (/proc/<pid>/environ shows it whatever the process unsets later) — nor in an open file of theirs.
// As root (in the action's container) it runs in the sandbox and can read none of theirs at all.
// The action is started as the runner starts it, with the key in INPUT_API-KEY, and still uses it.
func TestFlagRollout_AGateCannotReadTheAPIKey(t *testing.T) {
	t.Parallel()
	f, r := fakeFlagsmith(t)
	seen := filepath.Join(sandboxtest.WritableDir(t), "seen")
	r.Input("percentage", "10").Input("gate-command", gateSnoop(seen))
	proc := startAsAction(t, r)
	code, ended := proc.Wait(60 * time.Second)
	if !ended || code != 0 {
		t.Fatalf("exit %d (ended: %v), want 0\n%s", code, ended, proc.Log())
	}
	if st := f.State("prodKey", 103); len(st.Overrides) != 1 {
		t.Errorf("Flagsmith holds %+v: the action did not use the key\n%s", st, proc.Log())
	}
	data, err := os.ReadFile(seen)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if strings.Contains(text, f.Key) || strings.Contains(text, "INPUT_") {
		t.Errorf("the gate found the inputs:\n%s", text)
	}
	switch {
	case sandbox.Active():
		// As root (in the action's container) it runs in the sandbox: it reads no environment of
		// the action's processes at all, nor their files.
		if strings.Contains(text, "read environ of ") {
			t.Errorf("the gate, in the sandbox, read the environment of one of the action's processes:\n%s", text)
		}
	case strings.Count(text, "read environ of ") < 2 || strings.Count(text, "SLIPWAY_TEST_AS_ACTION=1") < 2:
		// As the action's own user it did read its parent's environment and the action's first
		// process's (the test binary started with SLIPWAY_TEST_AS_ACTION=1).
		t.Errorf("the gate read too little:\n%s", text)
	}
}

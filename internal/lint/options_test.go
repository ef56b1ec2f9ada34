package lint

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// TestRun_JobsBoundsHowManyLintersRunAtOnce proves the `jobs` input: with jobs 2 and three linters,
// two run and the third starts only after one of them has ended. Each stand-in linter says it started
// on a FIFO the test reads, then blocks until the test lets it go. While two are held, the test gives
// a third 2 s to start wrongly: a correct run always passes that wait, and the run with jobs ignored
// starts all three at once (its third start arrived after 0.1 s when tried).
func TestRun_JobsBoundsHowManyLintersRunAtOnce(t *testing.T) {
	dir := sandboxtest.WritableDir(t)
	started := filepath.Join(dir, "started")
	mkfifo(t, started)
	tools := []string{"flake8", "black", "isort"}
	for _, name := range tools {
		gate := filepath.Join(dir, "go-"+name)
		mkfifo(t, gate)
		fakeTool(t, name, `case "$*" in *--version*) echo "`+name+` 1.0"; exit 0;; esac
echo `+name+` > `+started+`
cat `+gate+` > /dev/null
exit 0`)
	}
	// Opened read-write so that no writer blocks on an absent reader, nor the reader on an absent writer.
	fifo, err := os.OpenFile(started, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fifo.Close()
	starts := make(chan string, len(tools))
	go func() {
		for lines := bufio.NewScanner(fifo); lines.Scan(); {
			starts <- lines.Text()
		}
	}()
	release := func(name string) {
		t.Helper()
		g, err := os.OpenFile(filepath.Join(dir, "go-"+name), os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		g.Close()
	}

	type result struct {
		rep *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: tools, Explicit: true, Jobs: 2})
		done <- result{rep, err}
	}()

	first, second := <-starts, <-starts
	select {
	case third := <-starts:
		t.Errorf("%s started while %s and %s ran: jobs 2 ran three linters at once", third, first, second)
	case res := <-done:
		t.Fatalf("the run ended with two linters held: %+v", res)
	case <-time.After(2 * time.Second):
		release(first)
		third := <-starts
		release(second)
		release(third)
	}
	if t.Failed() {
		for _, name := range tools {
			release(name)
		}
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.rep.Tools) != 3 {
		t.Errorf("%d linters reported, want 3", len(res.rep.Tools))
	}
}

// mkfifo makes a FIFO every user may open: the linters run as the sandbox's user.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil { // past the umask
		t.Fatal(err)
	}
}

// TestRun_ExcludeDropsFindingsOfExcludedPaths proves the `exclude` input end to end: a linter's findings
// in excluded paths are not reported, and are counted as filtered.
func TestRun_ExcludeDropsFindingsOfExcludedPaths(t *testing.T) {
	dir := sandboxtest.Dir(t)
	fakeTool(t, "ruff", `case "$*" in *--version*) echo "ruff 0.6.0"; exit 0;; esac
cat <<'JSON'
[{"code":"F401","message":"unused","filename":"`+dir+`/app/migrations/0001.py","location":{"row":1,"column":1},"end_location":{"row":1,"column":2},"fix":null,"noqa_row":1},
 {"code":"F401","message":"unused","filename":"`+dir+`/app/models.py","location":{"row":2,"column":1},"end_location":{"row":2,"column":2},"fix":null,"noqa_row":2}]
JSON
exit 1`)
	rep, err := Run(context.Background(), Options{Workspace: dir, Dir: dir, Tools: []string{"ruff"}, Explicit: true, Exclude: []string{"migrations"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(reportKeys(rep.Findings, false), " "); got != "app/models.py:2:F401" {
		t.Errorf("findings %q, want only app/models.py:2:F401", got)
	}
	if rep.Filtered != 1 {
		t.Errorf("filtered %d, want 1", rep.Filtered)
	}
}

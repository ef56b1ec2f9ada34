package rune2e

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// resources counts what the engine holds of a project, by Compose's project label.
type resources struct{ containers, networks, volumes int }

func projectResources(t *testing.T, cli client.APIClient, project string) resources {
	t.Helper()
	ctx := context.Background()
	f := filters.NewArgs(filters.Arg("label", "com.docker.compose.project="+project))
	cs, err1 := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	ns, err2 := cli.NetworkList(ctx, network.ListOptions{Filters: f})
	vs, err3 := cli.VolumeList(ctx, volume.ListOptions{Filters: f})
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return resources{len(cs), len(ns), len(vs.Volumes)}
}

// A test service that never ends is stopped when timeout passes: the tests did not finish in the
// time given, a failure of the checked thing (exit 1, not a cancel's 3), with what the test service
// printed, and the project's containers, network and volume, there while it ran, are all removed.
func TestRunE2E_TimeoutStopsATestThatNeverEndsAndTearsDown(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	img := composetest.PlatformImage(t, cli)
	r, ws := platformWorkspace(t)
	writeCompose(t, ws, `services:
  db:
    image: `+img+`
    command: [serve]
    volumes: [data:/data]
  e2e:
    image: `+img+`
    command: [sleep]
    depends_on: [db]
volumes:
  data:
`)
	const timeout = 20 * time.Second
	r.Input("timeout", timeout.String()).Input("wait-timeout", "15s")
	name := r.Env["INPUT_PROJECT-NAME"]
	type outcome struct {
		res  actiontest.Result
		took time.Duration
	}
	done := make(chan outcome, 1)
	start := time.Now()
	go func() {
		res := r.Run(t, context.Background(), Main)
		done <- outcome{res, time.Since(start)}
	}()
	composetest.WaitPrinted(t, cli, name, "e2e", "sleeping", 2*time.Minute)
	if got, want := projectResources(t, cli, name), (resources{2, 1, 1}); got != want {
		t.Errorf("while the test service ran the project had %+v, want %+v", got, want)
	}
	var o outcome
	select {
	case o = <-done:
	case <-time.After(timeout + 2*time.Minute):
		t.Fatal("run-e2e did not end after its timeout")
	}
	res := o.res
	if res.Code != 1 || res.Outputs["result"] != "failed" || !strings.Contains(res.Stdout, "test service e2e did not finish: timeout (20s) passed") {
		t.Fatalf("exit %d, outputs %v; want exit 1 saying the timeout passed; log:\n%s", res.Code, res.Outputs, res.Stdout)
	}
	if o.took < timeout {
		t.Errorf("run-e2e ended after %s, before its timeout (%s)", o.took, timeout)
	}
	if got := projectResources(t, cli, name); got != (resources{}) {
		t.Errorf("after the timeout the project has %+v left", got)
	}
	if strings.Contains(res.Stdout, "cancelled") {
		t.Errorf("a timeout was reported as a cancel:\n%s", res.Stdout)
	}
	if log, err := os.ReadFile(filepath.Join(ws, "e2e-artifacts", "e2e.log")); err != nil || !strings.Contains(string(log), "sleeping") {
		t.Errorf("the test service's log was not kept (%v): %q", err, log)
	}
	if !strings.Contains(res.Summary, "failed: test service e2e did not finish: timeout (20s) passed") {
		t.Errorf("summary:\n%s", res.Summary)
	}
}

// test-command replaces the test service's command (one argument per line): the verdict is the
// replacement's exit code and the output is the replacement's, not the Compose file's e2e run,
// which would pass.
func TestRunE2E_TestCommandReplacesTheTestServicesCommand(t *testing.T) {
	t.Parallel()
	r, _ := platformWorkspace(t)
	r.Input("test-command", "lines\n-n\n3\n-exit\n7")
	res := r.Run(t, context.Background(), Main)
	if res.Code != 1 || !strings.Contains(res.Stdout, "test service e2e exited 7") || !strings.Contains(res.Stdout, "line 3 of 3") {
		t.Fatalf("exit %d; want 1, the test service having exited 7 after printing line 3 of 3; log:\n%s", res.Code, res.Stdout)
	}
	if strings.Contains(res.Stdout, "e2e: ok") {
		t.Errorf("the Compose file's command ran:\n%s", res.Stdout)
	}
	// The same file without test-command passes: the 7 is the replacement's.
	delete(r.Env, "INPUT_TEST-COMMAND")
	if res := r.Run(t, context.Background(), Main); res.Code != 0 {
		t.Errorf("without test-command: exit %d; log:\n%s", res.Code, res.Stdout)
	}
}

// On failure only the last logs-tail lines of each service's log are kept: in the log, in the
// summary and in artifacts-dir/<service>.log, for the test service and for a dependency that never
// got ready.
func TestRunE2E_LogsTailKeepsTheLastLinesOfEachService(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, service, old, new string
		lines                   int
	}{
		{name: "the test service", service: "e2e", old: `[e2e, -url, "http://api:8080/health", -reports, /reports]`, new: `[lines, -n, "30", -exit, "1"]`, lines: 30},
		{name: "a dependency that never got ready", service: "migrate", old: `[migrate, -exit, "0"]`, new: `[lines, -n, "40", -exit, "3"]`, lines: 40},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, ws := platformWorkspace(t, c.old, c.new)
			r.Input("logs-tail", "5")
			res := r.Run(t, context.Background(), Main)
			if res.Code != 1 || !strings.Contains(res.Stdout, "log of "+c.service+" (last 5 lines)") {
				t.Fatalf("exit %d; log:\n%s", res.Code, res.Stdout)
			}
			var want strings.Builder
			for i := c.lines - 4; i <= c.lines; i++ {
				want.WriteString("line " + strconv.Itoa(i) + " of " + strconv.Itoa(c.lines) + "\n")
			}
			kept, err := os.ReadFile(filepath.Join(ws, "e2e-artifacts", c.service+".log"))
			if err != nil || string(kept) != want.String() {
				t.Errorf("artifact %s.log = %q (%v), want the last 5 lines:\n%s", c.service, kept, err, want.String())
			}
			for where, text := range map[string]string{"log": res.Stdout, "summary": res.Summary} {
				if !strings.Contains(text, want.String()) {
					t.Errorf("the %s lacks the last 5 lines of %s:\n%s", where, c.service, text)
				}
				if first := "line " + strconv.Itoa(c.lines-5) + " of "; strings.Contains(text, first) {
					t.Errorf("the %s holds %q, before the last 5 lines:\n%s", where, first, text)
				}
			}
		})
	}
}

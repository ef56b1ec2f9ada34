package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

var (
	imageOnce sync.Once
	imageTag  string
)

// platformImage builds the test platform's FROM scratch image once for all tests.
func platformImage(t *testing.T, cli *client.Client) string {
	t.Helper()
	imageOnce.Do(func() {
		dir := t.TempDir()
		bin := dockertest.GoBinary(t, dir, "./testdata/platform", "platform")
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		tag := "slipway-test/platform:" + fmt.Sprint(time.Now().UnixNano())
		// Not BuildImage's cleanup: the image outlives the first test that builds it.
		dockertest.BuildImage(&keep{t}, cli, tag, map[string]dockertest.File{
			"Dockerfile": {Data: []byte("FROM scratch\nCOPY platform /platform\nCOPY tmp /tmp\nENTRYPOINT [\"/platform\"]\n")},
			"platform":   {Data: data, Mode: 0o755},
			"tmp/.keep":  {Data: nil},
		})
		imageTag = tag
	})
	if imageTag == "" {
		t.Fatal("the platform image was not built")
	}
	return imageTag
}

// keep is a testing.TB whose cleanups are dropped, for the shared image.
type keep struct{ testing.TB }

func (keep) Cleanup(func()) {}

func project(t *testing.T, compose string) (*Runner, Spec) {
	t.Helper()
	cli := dockertest.Client(t)
	img := platformImage(t, cli)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yml"), []byte(strings.ReplaceAll(compose, "IMAGE", img)), 0o644); err != nil {
		t.Fatal(err)
	}
	name := strings.ToLower(dockertest.UniqueName(t, "e2e"))
	t.Cleanup(func() { _ = Down(context.Background(), cli, name) })
	r := &Runner{Docker: cli, Infof: t.Logf}
	return r, Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: name, TestService: "e2e"}
}

const healthy = `
    healthcheck: {test: ["CMD", "/platform", "check"], interval: 200ms, retries: 100}`

const greenPlatform = `services:
  db:
    image: IMAGE
    command: [serve, -delay, 500ms]` + healthy + `
  migrate:
    image: IMAGE
    command: [migrate, -exit, "0"]
    depends_on: {db: {condition: service_healthy}}
  api:
    image: IMAGE
    command: [serve, -delay, 1s]` + healthy + `
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  e2e:
    image: IMAGE
    command: [e2e, -url, "http://api:8080/health", -reports, /reports]
    depends_on: {api: {condition: service_healthy}}
`

func run(t *testing.T, r *Runner, s Spec, o Options) (*Result, error) {
	t.Helper()
	p, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	o.TestService = s.TestService
	res, err := r.Run(context.Background(), p, o)
	if n, lerr := Leftovers(context.Background(), r.Docker, s.ProjectName); lerr != nil || n != 0 {
		t.Errorf("%d containers, networks and volumes of the project are left (%v)", n, lerr)
	}
	return res, err
}

func TestRun_GreenPlatformWithMigration(t *testing.T) {
	t.Parallel()
	r, s := project(t, greenPlatform)
	dir := t.TempDir()
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute, Reports: "/reports/*.xml", ReportsDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || len(res.Reports) != 1 || filepath.Base(res.Reports[0]) != "junit.xml" {
		t.Errorf("result = %+v", res)
	}
	var conds []string
	for _, rd := range res.Ready {
		conds = append(conds, rd.Service+":"+rd.Condition)
		if rd.Latency > 2*time.Second {
			t.Errorf("%s was ready %s before its dependent started", rd.Service, rd.Latency)
		}
	}
	if !strings.Contains(strings.Join(conds, " "), "migrate:service_completed_successfully") {
		t.Errorf("readiness = %v", conds)
	}
}

func TestRun_FailingTestsKeepTheirLogsAndReports(t *testing.T) {
	t.Parallel()
	r, s := project(t, strings.Replace(greenPlatform, `-reports, /reports]`, `-reports, /reports, -fail]`, 1))
	arts := t.TempDir()
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute, Reports: "/reports/*.xml", ReportsDir: t.TempDir(), ArtifactsDir: arts})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 1 || len(res.Reports) != 1 || !strings.Contains(res.Logs["e2e"], "e2e: ok") {
		t.Errorf("result = %+v", res)
	}
	if b, err := os.ReadFile(filepath.Join(arts, "e2e.log")); err != nil || !strings.Contains(string(b), "::set-output") {
		t.Errorf("artifact e2e.log: %q, %v", b, err)
	}
}

func TestRun_ServiceNeverHealthyTimesOutWithItsLogs(t *testing.T) {
	t.Parallel()
	r, s := project(t, strings.Replace(greenPlatform, "[serve, -delay, 1s]", "[serve, -delay, 1h]", 1))
	res, err := run(t, r, s, Options{WaitTimeout: 3 * time.Second, ArtifactsDir: t.TempDir()})
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Service != "api" || !strings.Contains(nr.Why, "not after 3s (running)") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(res.Logs["api"], "healthy in 1h0m0s") {
		t.Errorf("logs = %v", res.Logs)
	}
}

func TestRun_FailedMigrationStopsThePlatform(t *testing.T) {
	t.Parallel()
	r, s := project(t, strings.Replace(greenPlatform, `[migrate, -exit, "0"]`, `[migrate, -exit, "3"]`, 1))
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute})
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Service != "migrate" || nr.Why != "exited 3" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(res.Logs["migrate"], "migrating") {
		t.Errorf("logs = %v", res.Logs)
	}
}

// A cancel (GitHub sends SIGTERM when a run is cancelled) mid-run still removes everything.
func TestRun_CancelMidRunLeavesNothing(t *testing.T) {
	t.Parallel()
	r, s := project(t, strings.Replace(greenPlatform, `[e2e, -url, "http://api:8080/health", -reports, /reports]`, `[sleep]`, 1))
	p, err := Load(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.Run(ctx, p, Options{TestService: "e2e", WaitTimeout: time.Minute})
		done <- err
	}()
	// Cancel once the test service runs.
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if n, _ := Leftovers(context.Background(), r.Docker, s.ProjectName); n >= 5 { // 4 containers + 1 network
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after the cancel")
	}
	if n, err := Leftovers(context.Background(), r.Docker, s.ProjectName); err != nil || n != 0 {
		t.Errorf("%d leftovers (%v)", n, err)
	}
}

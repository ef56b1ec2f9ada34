package runnertest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// probeImage is a FROM scratch image of testdata/probe, which reports what it was given.
func probeImage(t *testing.T) string {
	t.Helper()
	cli := dockertest.Client(t)
	bin := dockertest.GoBinary(t, t.TempDir(), "./testdata/probe", "probe")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	tag := dockertest.UniqueName(t, "slipway-probe") + ":test"
	dockertest.BuildImage(t, cli, tag, map[string]dockertest.File{
		"Dockerfile": {Data: []byte("FROM scratch\nCOPY probe /probe\n")},
		"probe":      {Data: data, Mode: 0o755},
	})
	return tag
}

type probeReport struct {
	Cwd              string            `json:"cwd"`
	UID              int               `json:"uid"`
	Env              map[string]string `json:"env"`
	Mounts           []string          `json:"mounts"`
	Owner            *int              `json:"owner"`
	RunnerTempExists bool              `json:"runnerTempExists"`
	Event            map[string]any    `json:"event"`
}

func TestUses_GivesTheContainerWhatTheRunnerGives(t *testing.T) {
	t.Parallel()
	img := probeImage(t)
	j := NewJob(t)
	j.WriteFile("checked-out.txt", "as actions/checkout leaves it")
	j.Env["JOB_DIR"] = filepath.Join(j.Workspace, "sub")
	j.Env["OUTSIDE"] = filepath.Join(j.Temp, "elsewhere")
	res := j.Uses(Step{Action: "testdata/probe", Image: img, With: map[string]string{"exit-code": "0"}})
	if res.ExitCode != 0 {
		t.Fatalf("%v", res)
	}
	var rep probeReport
	if err := json.Unmarshal([]byte(res.Outputs["report"]), &rep); err != nil {
		t.Fatalf("report output: %v\n%v", err, res)
	}
	if rep.Cwd != "/github/workspace" || rep.UID != 0 {
		t.Errorf("cwd %q uid %d, want /github/workspace as root", rep.Cwd, rep.UID)
	}
	if rep.Owner == nil || *rep.Owner != RunnerUID {
		t.Errorf("the workspace's files belong to %v, want uid %d", rep.Owner, RunnerUID)
	}
	slices.Sort(rep.Mounts)
	if want := []string{"/github/file_commands", "/github/home", "/github/workflow", "/github/workspace", "/var/run/docker.sock"}; !slices.Equal(rep.Mounts, want) {
		t.Errorf("mounts %v, want %v", rep.Mounts, want)
	}
	env := rep.Env
	for k, want := range map[string]string{
		"HOME": "/github/home", "GITHUB_WORKSPACE": "/github/workspace", "GITHUB_EVENT_PATH": "/github/workflow/event.json",
		"GITHUB_ACTIONS": "true", "CI": "true", "INPUT_GREETING": "hello", "INPUT_NO-DEFAULT": "", "INPUT_EXIT-CODE": "0",
		"JOB_DIR": "/github/workspace/sub",                                   // translated: under a mount
		"OUTSIDE": filepath.Join(j.Temp, "elsewhere"), "RUNNER_TEMP": j.Temp, // not under one: host paths
		"GITHUB_REPOSITORY": "acme/app", "RUNNER_OS": "Linux",
	} {
		if got, ok := env[k]; !ok || got != want {
			t.Errorf("%s = %q (set %v), want %q", k, got, ok, want)
		}
	}
	for _, k := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"} {
		if !strings.HasPrefix(env[k], "/github/file_commands/") {
			t.Errorf("%s = %q, want a file under /github/file_commands", k, env[k])
		}
	}
	if rep.RunnerTempExists {
		t.Errorf("RUNNER_TEMP %s exists in the container; the runner does not mount it", j.Temp)
	}
	if rep.Event["ref"] != "refs/heads/main" {
		t.Errorf("event %v", rep.Event)
	}
	if cmds := actiontest.CommandNames(res.Log); !slices.Contains(cmds, "notice") {
		t.Errorf("log commands %v:\n%s", cmds, res.Log)
	}

	// The next step, on the host: a relative output is found in the workspace; the container's
	// absolute path and RUNNER_TEMP's file are not there.
	if got := string(j.ReadOutputFile(res, "relative")); got != "written in the container" {
		t.Errorf("relative output's file holds %q", got)
	}
	if _, err := os.Stat(j.HostPath(res.Outputs["absolute"])); err == nil {
		t.Errorf("the container path %s exists on the host", res.Outputs["absolute"])
	}
	if _, err := os.Stat(j.HostPath(res.Outputs["temp"])); err == nil {
		t.Errorf("the file written to RUNNER_TEMP in the container reached the host: %s", res.Outputs["temp"])
	}
}

func TestUses_ExitCodeAndStepsInOrder(t *testing.T) {
	t.Parallel()
	img := probeImage(t)
	j := NewJob(t)
	host := j.Run(`id -u; echo "FROM_HOST=$RUNNER_TEMP/x" >> "$GITHUB_ENV"; echo "dir=$PWD" >> "$GITHUB_OUTPUT"`, nil)
	if host.ExitCode != 0 || strings.TrimSpace(strings.Split(host.Log, "\n")[0]) != "1001" {
		t.Fatalf("host step: %v", host)
	}
	if host.Outputs["dir"] != j.Workspace || j.Env["FROM_HOST"] != filepath.Join(j.Temp, "x") {
		t.Errorf("host step outputs %v, job env %v", host.Outputs, j.Env)
	}
	res := j.Uses(Step{Action: "testdata/probe", Image: img, With: map[string]string{"exit-code": "3"}})
	if res.ExitCode != 3 {
		t.Errorf("exit %d, want 3", res.ExitCode)
	}
	var rep probeReport
	if err := json.Unmarshal([]byte(res.Outputs["report"]), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Env["FROM_HOST"] != filepath.Join(j.Temp, "x") {
		t.Errorf("GITHUB_ENV of the host step gave the container FROM_HOST=%q", rep.Env["FROM_HOST"])
	}
	if fail := j.Run("exit 4", nil); fail.ExitCode != 4 {
		t.Errorf("host step exit %d, want 4", fail.ExitCode)
	}
}

// With SLIPWAY_TEST_IMAGE set, Image builds nothing: the tests run the image it names (the release's
// build), by ID, and Main leaves it in the engine. Not parallel: it sets the variable; no other test
// of this package calls Image, so the probe it resolves to is seen by this test alone.
func TestImage_RunsTheImageSlipwayTestImageNames(t *testing.T) {
	cli := dockertest.Client(t)
	img := probeImage(t)
	want, err := cli.ImageInspect(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(ImageEnv, img)
	// Image resolves once per test binary: forget an earlier resolution (go test -count=N runs this
	// test N times in one binary, each with an image of its own).
	forget := func() {
		shipped.once, shipped.ref, shipped.built, shipped.how, shipped.err = sync.Once{}, "", false, "", nil
	}
	forget()
	t.Cleanup(forget)
	got := Image(t)
	if got != want.ID || shipped.built {
		t.Fatalf("Image() = %s (built here: %v), want the ID of %s, %s, not built", got, shipped.built, img, want.ID)
	}
	res := NewJob(t).Uses(Step{Action: "testdata/probe", Image: got, With: map[string]string{"exit-code": "0"}})
	if res.ExitCode != 0 || res.Outputs["report"] == "" {
		t.Errorf("the probe in the named image: %v", res)
	}
}

func TestShippedImage_BuildsOnlyWhenNoImageIsNamed(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	img := probeImage(t)
	ctx := context.Background()
	neverBuild := func(context.Context, *client.Client) (string, error) {
		t.Error("built an image though SLIPWAY_TEST_IMAGE names one")
		return "", errors.New("not to be built")
	}
	ref, built, how, err := shippedImage(ctx, cli, img, neverBuild)
	if err != nil || built || !strings.HasPrefix(ref, "sha256:") || !strings.Contains(how, ImageEnv+"="+img) {
		t.Errorf("named image: %q built=%v (%s), %v", ref, built, how, err)
	}
	missing := "slipway-test/no-such-image:" + dockertest.UniqueName(t, "x")
	if _, built, _, err := shippedImage(ctx, cli, missing, neverBuild); err == nil || built ||
		!strings.Contains(err.Error(), ImageEnv+"="+missing+": the engine has no such image") || !strings.Contains(err.Error(), "make image IMAGE="+missing) {
		t.Errorf("an image the engine lacks: built=%v, %v; want an error naming %s and how to build it", built, err, ImageEnv)
	}
	builds := 0
	ref, built, _, err = shippedImage(ctx, cli, "", func(context.Context, *client.Client) (string, error) {
		builds++
		return "slipway-test/slipway:built", nil
	})
	if err != nil || !built || ref != "slipway-test/slipway:built" || builds != 1 {
		t.Errorf("no image named: %q built=%v after %d builds, %v; want one build, owned", ref, built, builds, err)
	}
}

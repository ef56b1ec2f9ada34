package runnertest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"gopkg.in/yaml.v3"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// Step is one "uses:" step of a container action.
type Step struct {
	Action  string            // directory holding the action.yml (entrypoint and inputs come from it)
	Image   string            // the image to run in place of action.yml's docker:// image (Image's build)
	With    map[string]string // the step's with:
	Env     map[string]string // the step's env:
	Network string            // "" for the engine's default bridge, as the runner; "host" to reach fakes on loopback
	Timeout time.Duration     // how long the step may take; 0 means 10 minutes

	// CancelWhen, polled with the step's container ID while the step runs, cancels the step once it
	// returns true, as the runner cancels a container action: its docker run passes on SIGINT, then
	// SIGTERM actionkit.CancelSIGTERMAfter later, then SIGKILL actionkit.CancelSIGKILLAfter after that.
	CancelWhen func(containerID string) bool
}

// actionYML is what the runner reads of a container action's action.yml.
type actionYML struct {
	Inputs map[string]struct {
		Default *string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using      string   `yaml:"using"`
		Image      string   `yaml:"image"`
		Entrypoint string   `yaml:"entrypoint"`
		Args       []string `yaml:"args"`
		Env        any      `yaml:"env"`
	} `yaml:"runs"`
}

// mount is one of the runner's bind mounts; host paths under it are translated in the environment.
type mount struct{ host, container string }

// mounts are ContainerActionHandler's, in its order.
func (j *Job) mounts() []mount {
	return []mount{
		{"/var/run/docker.sock", "/var/run/docker.sock"},
		{j.homeDir(), "/github/home"},
		{j.workflowDir(), "/github/workflow"},
		{j.fileCommandsDir(), "/github/file_commands"},
		{j.Workspace, "/github/workspace"},
	}
}

// toContainer is ContainerInfo.TranslateToContainerPath: a value equal to a mounted host directory,
// or under one, becomes the container's path; anything else stays as it is.
func (j *Job) toContainer(v string) string {
	for _, m := range j.mounts()[1:] { // the socket is mounted but not a translation
		if v == m.host {
			return m.container
		}
		if strings.HasPrefix(v, m.host+"/") {
			return m.container + strings.TrimPrefix(v, m.host)
		}
	}
	return v
}

// Uses runs a container action as the runner does (see the package doc) and waits for it; the
// container is removed before Uses returns.
func (j *Job) Uses(s Step) *Result {
	j.t.Helper()
	a := j.readAction(s)
	files := j.newFileCommands()
	j.writeEvent()
	res := j.runContainer(s, a.Runs.Entrypoint, a.Runs.Args, j.environment(s, a, files))
	j.finish(res, files)
	return res
}

// readAction reads the step's action.yml, and fails the test on what runnertest cannot run as the
// runner would: not a container action on a docker:// image, no entrypoint, runs.env or an
// expression in runs.args, or a with: that names no input.
func (j *Job) readAction(s Step) actionYML {
	j.t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Action, "action.yml"))
	if err != nil {
		j.t.Fatal(err)
	}
	var a actionYML
	if err := yaml.Unmarshal(data, &a); err != nil {
		j.t.Fatalf("%s/action.yml: %v", s.Action, err)
	}
	switch {
	case a.Runs.Using != "docker" || !strings.HasPrefix(a.Runs.Image, "docker://"):
		j.t.Fatalf("%s is not a container action on a docker:// image (runs.using %q, image %q)", s.Action, a.Runs.Using, a.Runs.Image)
	case a.Runs.Entrypoint == "":
		j.t.Fatalf("%s/action.yml has no runs.entrypoint", s.Action)
	case a.Runs.Env != nil || slices.ContainsFunc(a.Runs.Args, func(arg string) bool { return strings.Contains(arg, "${{") }):
		// The runner evaluates expressions in args and env; literal args it passes as they are.
		j.t.Fatalf("%s/action.yml has runs.env or an expression in runs.args, which runnertest does not evaluate", s.Action)
	}
	for k := range s.With {
		if _, ok := a.Inputs[k]; !ok {
			j.t.Fatalf("%s has no input %q", s.Action, k) // the runner only warns; a test means a real input
		}
	}
	return a
}

// environment is the container's environment, sorted, as the runner sets it: every declared input,
// the job's and the step's env, HOME, the job's context and file commands, the Actions runtime, with
// host paths translated to the container's.
func (j *Job) environment(s Step, a actionYML, files map[string]string) []string {
	env := map[string]string{}
	// ActionRunner fills every declared input: with: or its default (empty without one).
	for name, in := range a.Inputs {
		v, given := s.With[name]
		if !given && in.Default != nil {
			v = *in.Default
		}
		env["INPUT_"+strings.ToUpper(strings.ReplaceAll(name, " ", "_"))] = v
	}
	for _, m := range []map[string]string{j.Env, s.Env} {
		maps.Copy(env, m)
	}
	env["HOME"] = j.homeDir()
	for _, m := range []map[string]string{j.Context, files} {
		maps.Copy(env, m)
	}
	env["ACTIONS_RUNTIME_URL"] = "https://pipelines.actions.githubusercontent.com/fake/"
	env["ACTIONS_RUNTIME_TOKEN"] = "fake-runtime-token"
	var list []string
	for k, v := range env {
		list = append(list, k+"="+j.toContainer(v))
	}
	list = append(list, "GITHUB_ACTIONS=true")
	if _, ok := env["CI"]; !ok {
		list = append(list, "CI=true")
	}
	sort.Strings(list)
	return list
}

// runContainer runs the step's image with the runner's mounts and working directory, waits for it
// (at most the step's timeout) and returns its exit code and log; the container is removed.
func (j *Job) runContainer(s Step, entrypoint string, args, env []string) *Result {
	j.t.Helper()
	var binds []string
	for _, m := range j.mounts() {
		binds = append(binds, m.host+":"+m.container)
	}
	timeout := cmp.Or(s.Timeout, 10*time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	name := dockertest.UniqueName(j.t, "slipway-runner")
	created, err := j.cli.ContainerCreate(ctx, &container.Config{
		Image: s.Image, Entrypoint: []string{entrypoint}, Cmd: args, WorkingDir: "/github/workspace", Env: env,
		Labels: map[string]string{dockertest.Label: "1", "dev.slipway.runnertest.action": filepath.Base(s.Action)},
	}, &container.HostConfig{Binds: binds, NetworkMode: container.NetworkMode(s.Network)}, nil, nil, name)
	if err != nil {
		j.t.Fatalf("create the container of %s: %v", s.Action, err)
	}
	defer func() {
		_ = j.cli.ContainerRemove(context.Background(), created.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	}()
	waitC, errC := j.cli.ContainerWait(ctx, created.ID, container.WaitConditionNextExit)
	if err := j.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		j.t.Fatalf("start %s: %v", s.Action, err)
	}
	res := &Result{ContainerID: created.ID}
	exited := make(chan struct{})
	cancelled := j.cancelWhen(s, created.ID, exited)
	select {
	case w := <-waitC:
		close(exited)
		if w.Error != nil {
			j.t.Fatalf("wait for %s: %s", s.Action, w.Error.Message)
		}
		res.ExitCode = int(w.StatusCode)
	case err := <-errC:
		close(exited)
		j.t.Fatalf("wait for %s: %v (timeout %s)", s.Action, err, timeout)
	}
	if at := <-cancelled; !at.IsZero() {
		res.Cancelled, res.EndedAfterCancel = true, time.Since(at)
	}
	res.Log = j.containerLog(s, created.ID)
	return res
}

// cancelWhen polls s.CancelWhen until it says to cancel or the container exits, then signals the
// container as the runner's docker run does. It sends on the channel when the first signal went (the
// zero time if none did) once the container has exited.
func (j *Job) cancelWhen(s Step, id string, exited <-chan struct{}) <-chan time.Time {
	out := make(chan time.Time, 1)
	if s.CancelWhen == nil {
		out <- time.Time{}
		return out
	}
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for !s.CancelWhen(id) {
			select {
			case <-exited:
				out <- time.Time{}
				return
			case <-tick.C:
			}
		}
		at := time.Now()
		for _, sig := range []struct {
			name  string
			after time.Duration
		}{{"SIGINT", 0}, {"SIGTERM", actionkit.CancelSIGTERMAfter}, {"SIGKILL", actionkit.CancelSIGKILLAfter}} {
			select {
			case <-exited:
				out <- at
				return
			case <-time.After(sig.after):
				_ = j.cli.ContainerKill(context.Background(), id, sig.name)
			}
		}
		<-exited
		out <- at
	}()
	return out
}

// containerLog is what the container printed, stdout and stderr together.
func (j *Job) containerLog(s Step, id string) string {
	j.t.Helper()
	logs, err := j.cli.ContainerLogs(context.Background(), id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		j.t.Fatalf("logs of %s: %v", s.Action, err)
	}
	defer logs.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, logs); err != nil {
		j.t.Fatalf("logs of %s: %v", s.Action, err)
	}
	return out.String()
}

// String describes a result for a test's failure message.
func (r *Result) String() string {
	return fmt.Sprintf("exit %d, outputs %v\nlog:\n%s", r.ExitCode, r.Outputs, r.Log)
}

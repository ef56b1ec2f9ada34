package runnertest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// RunnerUID is the runner's user on GitHub-hosted runners: it owns the workspace and runs "run:" steps.
const RunnerUID = 1001

// Job is one job on a GitHub-hosted runner, laid out on the host as actions/runner lays it out:
//
//	<root>/home/runner                  the runner user's HOME (docker/login-action writes ~/.docker here)
//	<root>/work/_temp                   RUNNER_TEMP: never mounted into a container action
//	<root>/work/_temp/_github_home      HOME of container actions (/github/home)
//	<root>/work/_temp/_github_workflow  the event payload (/github/workflow/event.json)
//	<root>/work/_temp/_runner_file_commands  GITHUB_OUTPUT, GITHUB_ENV … (/github/file_commands)
//	<root>/work/app/app                 GITHUB_WORKSPACE (/github/workspace)
//
// all owned by the runner's user. Steps run one after another, as in a job.
type Job struct {
	Home      string            // the runner user's HOME on the host
	Temp      string            // RUNNER_TEMP
	Workspace string            // GITHUB_WORKSPACE on the host
	Env       map[string]string // the job's env:, and what earlier steps appended to GITHUB_ENV
	Context   map[string]string // GITHUB_* and RUNNER_* variables of the github and runner contexts
	Event     any               // the event payload, written to GITHUB_EVENT_PATH before each step

	t      testing.TB
	cli    *client.Client
	root   string
	asRoot bool // files are given to the runner's user and run: steps switch to it
	steps  int
}

// NewJob lays out a job's directories, owned by RunnerUID, with a push event on main. It runs as
// root (which gives the files to the runner's user) or as RunnerUID itself (a GitHub-hosted runner);
// as anyone else the test skips, or fails under SLIPWAY_REQUIRE_DOCKER=1.
func NewJob(t testing.TB) *Job {
	t.Helper()
	asRoot := os.Geteuid() == 0
	if !asRoot && os.Geteuid() != RunnerUID {
		dockertest.Require(t, "root or uid 1001 (to lay out a workspace owned by the runner's user)", errors.New("neither"))
	}
	cli := dockertest.Client(t)
	root, err := os.MkdirTemp("", "slipway-runner-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil { // MkdirTemp makes 0700; the runner's user must get in
		t.Fatal(err)
	}
	work := filepath.Join(root, "work")
	j := &Job{
		Home:      filepath.Join(root, "home", "runner"),
		Temp:      filepath.Join(work, "_temp"),
		Workspace: filepath.Join(work, "app", "app"),
		Env:       map[string]string{},
		Event:     map[string]any{"ref": "refs/heads/main", "repository": map[string]any{"full_name": "acme/app", "default_branch": "main"}},
		t:         t, cli: cli, root: root, asRoot: asRoot,
	}
	for _, d := range []string{j.Home, j.Workspace, j.homeDir(), j.workflowDir(), j.fileCommandsDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	j.Context = map[string]string{
		"GITHUB_ACTOR": "octocat", "GITHUB_TRIGGERING_ACTOR": "octocat",
		"GITHUB_API_URL": "https://api.github.com", "GITHUB_GRAPHQL_URL": "https://api.github.com/graphql",
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/app", "GITHUB_REPOSITORY_OWNER": "acme",
		"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main", "GITHUB_REF_TYPE": "branch",
		"GITHUB_SHA": strings.Repeat("0", 40), "GITHUB_BASE_REF": "", "GITHUB_HEAD_REF": "",
		"GITHUB_RUN_ID": "4242", "GITHUB_RUN_NUMBER": "7", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_RETENTION_DAYS": "90",
		"GITHUB_JOB": "test", "GITHUB_WORKFLOW": "ci", "GITHUB_WORKFLOW_REF": "acme/app/.github/workflows/ci.yml@refs/heads/main",
		"GITHUB_WORKSPACE":  j.Workspace,
		"GITHUB_EVENT_PATH": filepath.Join(j.workflowDir(), "event.json"),
		"RUNNER_OS":         "Linux", "RUNNER_ARCH": "X64", "RUNNER_NAME": "GitHub Actions 2", "RUNNER_ENVIRONMENT": "github-hosted",
		"RUNNER_TEMP": j.Temp, "RUNNER_TOOL_CACHE": "/opt/hostedtoolcache", "RUNNER_WORKSPACE": filepath.Dir(j.Workspace),
	}
	j.chown(root)
	return j
}

func (j *Job) homeDir() string         { return filepath.Join(j.Temp, "_github_home") }
func (j *Job) workflowDir() string     { return filepath.Join(j.Temp, "_github_workflow") }
func (j *Job) fileCommandsDir() string { return filepath.Join(j.Temp, "_runner_file_commands") }

// chown gives a tree to the runner's user, as files the runner and actions/checkout make are.
func (j *Job) chown(dir string) {
	j.t.Helper()
	if !j.asRoot {
		return // the runner's user made them
	}
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, RunnerUID, RunnerUID)
	})
	if err != nil {
		j.t.Fatal(err)
	}
}

// WriteFile writes a workspace file as the runner's user would (actions/checkout, or a run: step).
func (j *Job) WriteFile(rel, content string) {
	j.t.Helper()
	p := filepath.Join(j.Workspace, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		j.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		j.t.Fatal(err)
	}
	j.chown(j.Workspace)
}

// CopyDir copies a directory of the test's into the workspace at rel, owned by the runner's user.
func (j *Job) CopyDir(src, rel string) {
	j.t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		r, _ := filepath.Rel(src, p)
		return copyFile(p, filepath.Join(j.Workspace, rel, r))
	})
	if err != nil {
		j.t.Fatal(err)
	}
	j.chown(j.Workspace)
}

// newFileCommands makes the step's file-command files as FileCommandManager does:
// _runner_file_commands/<prefix><guid>, empty, owned by the runner's user.
func (j *Job) newFileCommands() map[string]string {
	j.t.Helper()
	j.steps++
	files := map[string]string{}
	for name, prefix := range map[string]string{
		"GITHUB_OUTPUT": "set_output_", "GITHUB_ENV": "set_env_", "GITHUB_PATH": "add_path_",
		"GITHUB_STATE": "save_state_", "GITHUB_STEP_SUMMARY": "step_summary_",
	} {
		p := filepath.Join(j.fileCommandsDir(), fmt.Sprintf("%s%08d-0000-4000-8000-%012d", prefix, j.steps, j.steps))
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			j.t.Fatal(err)
		}
		j.chown(p)
		files[name] = p
	}
	return files
}

// writeEvent writes the event payload where GITHUB_EVENT_PATH points.
func (j *Job) writeEvent() {
	j.t.Helper()
	data, err := json.Marshal(j.Event)
	if err != nil {
		j.t.Fatal(err)
	}
	p := j.Context["GITHUB_EVENT_PATH"]
	if err := os.WriteFile(p, data, 0o644); err != nil {
		j.t.Fatal(err)
	}
	j.chown(p)
}

// Result is what one step left: its exit code, its log, and the file commands as the runner reads them.
type Result struct {
	ExitCode int
	Log      string            // stdout and stderr, where the runner reads workflow commands
	Outputs  map[string]string // GITHUB_OUTPUT, values stored as written
	Summary  string            // GITHUB_STEP_SUMMARY

	ContainerID      string        // the step's container (removed by now): what it may have labelled
	Cancelled        bool          // Step.CancelWhen cancelled it
	EndedAfterCancel time.Duration // from the cancel's first signal to the container's exit
}

// finish reads the step's file commands: outputs into the result, GITHUB_ENV into the job's env for
// the steps after it.
func (j *Job) finish(res *Result, files map[string]string) {
	j.t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(files[name])
		if err != nil {
			j.t.Fatalf("%s: %v", name, err)
		}
		return string(b)
	}
	var err error
	if res.Outputs, err = actiontest.ParseFileCommands(read("GITHUB_OUTPUT")); err != nil {
		j.t.Fatalf("GITHUB_OUTPUT as the runner reads it: %v\nlog:\n%s", err, res.Log)
	}
	env, err := actiontest.ParseFileCommands(read("GITHUB_ENV"))
	if err != nil {
		j.t.Fatalf("GITHUB_ENV as the runner reads it: %v", err)
	}
	for k, v := range env {
		j.Env[k] = v
	}
	res.Summary = read("GITHUB_STEP_SUMMARY")
}

// Run runs a "run:" step on the host as the runner does with its default shell (bash --noprofile
// --norc -eo pipefail): as the runner's user, in the workspace, with the job's env, the contexts'
// variables and the step's env. Its GITHUB_ENV reaches the later steps.
func (j *Job) Run(script string, env map[string]string) *Result {
	j.t.Helper()
	files := j.newFileCommands()
	j.writeEvent()
	vars := map[string]string{"PATH": os.Getenv("PATH"), "HOME": j.Home, "USER": "runner", "CI": "true", "GITHUB_ACTIONS": "true"}
	for _, m := range []map[string]string{j.Context, files, j.Env, env} {
		for k, v := range m {
			vars[k] = v
		}
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = j.Workspace
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if j.asRoot {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: j.runnerCredential()}
	}
	out, err := cmd.CombinedOutput()
	res := &Result{Log: string(out)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	case err != nil:
		j.t.Fatalf("run step: %v", err)
	}
	j.finish(res, files)
	return res
}

// runnerCredential is the runner's user, in the docker group as on GitHub-hosted runners.
func (j *Job) runnerCredential() *syscall.Credential {
	c := &syscall.Credential{Uid: RunnerUID, Gid: RunnerUID}
	if g, err := user.LookupGroup("docker"); err == nil {
		if gid, err := strconv.Atoi(g.Gid); err == nil {
			c.Groups = []uint32{uint32(gid)}
		}
	}
	return c
}

// HostPath is where the next step of the job, on the host in the workspace, finds a path an action
// gave as an output: a relative path under the workspace; an absolute one as it is, since the runner
// stores outputs as written (a container path such as /github/workspace/x is not there).
func (j *Job) HostPath(output string) string {
	if filepath.IsAbs(output) {
		return output
	}
	return filepath.Join(j.Workspace, output)
}

// ReadOutputFile reads the file that an output names, as the next step of the job would, and fails
// the test saying where it looked when the file is not there.
func (j *Job) ReadOutputFile(res *Result, output string) []byte {
	j.t.Helper()
	v, ok := res.Outputs[output]
	if !ok || v == "" {
		j.t.Fatalf("output %q is not set; outputs: %v", output, res.Outputs)
	}
	b, err := os.ReadFile(j.HostPath(v))
	if err != nil {
		j.t.Fatalf("output %q is %q: the next step of the job looks for %s on the host: %v", output, v, j.HostPath(v), err)
	}
	return b
}

package actionkit_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
)

// crashProgram builds testdata/crash, an action that fails in the way CRASH_MODE names.
func crashProgram(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "crash")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/crash").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runCrash runs the program as the runner runs an action and returns its exit code, its log (stdout
// and stderr) and its step summary.
func runCrash(t *testing.T, bin, mode string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	summary, output := filepath.Join(dir, "summary"), filepath.Join(dir, "output")
	for _, f := range []string{summary, output} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{"CRASH_MODE=" + mode, "GITHUB_ACTIONS=true", "GITHUB_STEP_SUMMARY=" + summary,
		"GITHUB_OUTPUT=" + output, "INPUT_TOKEN=s3cr3t-value", "PATH=" + os.Getenv("PATH")}
	out, _ := cmd.CombinedOutput()
	s, _ := os.ReadFile(summary)
	return cmd.ProcessState.ExitCode(), string(out), string(s)
}

// commands are the workflow commands a runner would act on: lines outside ::stop-commands:: blocks.
func commands(log string) []string {
	var cmds []string
	stop := ""
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case stop != "" && line == "::"+stop+"::":
			stop = ""
		case stop != "":
		case strings.HasPrefix(line, "::stop-commands::"):
			stop = strings.TrimPrefix(line, "::stop-commands::")
		case strings.HasPrefix(line, "::"):
			cmds = append(cmds, line)
		}
	}
	return cmds
}

func hasErrorCommand(log, text string) bool {
	for _, c := range commands(log) {
		if strings.HasPrefix(c, "::error") && strings.Contains(c, text) {
			return true
		}
	}
	return false
}

func TestGuard_CrashesAreExit3WithAnAnnotation(t *testing.T) {
	t.Parallel()
	bin := crashProgram(t)
	for _, tc := range []struct {
		mode, want string
	}{
		{"goroutine", "slipway crashed"},                    // Go's own crash: exit 2 without Guard
		{"work", "internal error (a bug in slipway"},        // recovered by Run, after an open untrusted block
		{"output", `output "value" would contain a secret`}, // a refused output is not silently lost
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			code, log, summary := runCrash(t, bin, tc.mode)
			if code != 3 {
				t.Errorf("exit %d, want 3\n%s", code, log)
			}
			if !hasErrorCommand(log, tc.want) {
				t.Errorf("no ::error annotation the runner would read, saying %q:\n%s", tc.want, log)
			}
			if tc.mode == "goroutine" && !strings.Contains(summary, "slipway crashed") {
				t.Errorf("summary lacks the crash: %q", summary)
			}
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, "s3cr3t-value") && !strings.HasPrefix(line, "::add-mask::") {
					t.Errorf("the secret reached the log: %q", line)
				}
			}
		})
	}
}

func TestGuard_PassesTheChildsExitCode(t *testing.T) {
	t.Parallel()
	bin := crashProgram(t)
	for mode, want := range map[string]int{"none": 0, "failed": 1} {
		if code, log, _ := runCrash(t, bin, mode); code != want {
			t.Errorf("%s: exit %d, want %d\n%s", mode, code, want, log)
		}
	}
}

func TestGuard_PassesSIGTERMToTheChild(t *testing.T) {
	t.Parallel()
	bin := crashProgram(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"CRASH_MODE=wait", "PATH=" + os.Getenv("PATH")}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if !strings.Contains(line, "waiting") {
		t.Fatalf("first line %q", line)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(actionkit.CancelWindow):
		_ = cmd.Process.Kill()
		t.Fatalf("the guarded program did not end within the cancel window (%s) of SIGTERM", actionkit.CancelWindow)
	}
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Errorf("exit %d after SIGTERM, want 3 (cancelled)", code)
	}
}

// Secrets never reach the log through stderr: Go's crash report quoting one (a panic in another
// goroutine, which only Guard sees) and a tool the action starts that writes one to the stderr it
// inherited are redacted, in the log, the crash annotation and the summary alike.
func TestGuard_StderrIsRedacted(t *testing.T) {
	t.Parallel()
	bin := crashProgram(t)
	for mode, wantCode := range map[string]int{"goroutine-secret": 3, "child-stderr": 0} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			code, log, summary := runCrash(t, bin, mode)
			if code != wantCode {
				t.Errorf("exit %d, want %d\n%s", code, wantCode, log)
			}
			for _, line := range strings.Split(log, "\n") {
				if strings.Contains(line, "s3cr3t-value") && !strings.HasPrefix(line, "::add-mask::") {
					t.Errorf("the secret reached the log: %q", line)
				}
			}
			if strings.Contains(summary, "s3cr3t-value") {
				t.Errorf("the secret reached the summary: %q", summary)
			}
			want := map[string]string{"goroutine-secret": "panic: boom with ***", "child-stderr": "tool failed: ***"}[mode]
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
			if mode == "goroutine-secret" && !hasErrorCommand(log, "slipway crashed (a bug in slipway; the log holds Go's stack trace, please report it): panic: boom with ***") {
				t.Errorf("no redacted crash annotation:\n%s", log)
			}
			if strings.Contains(log, "slipway-guard:add-mask") {
				t.Errorf("Guard printed a line that registers a secret:\n%s", log)
			}
		})
	}
}

// A process the action starts finds no input, nor the runner's OIDC token, in any environment it can
// read — its own, its parent's (/proc/$PPID/environ), the action's first process's (pid 1 in a
// container) — nor in their open files, while the action itself still reads the input.
func TestGuard_NoProcessHoldsTheInputsInItsEnvironment(t *testing.T) {
	t.Parallel()
	bin := crashProgram(t)
	dump := filepath.Join(t.TempDir(), "environ")
	cmd := exec.Command(bin)
	cmd.Env = []string{"CRASH_MODE=environ", "CRASH_OUT=" + dump, "GITHUB_ACTIONS=true", "INPUT_TOKEN=s3cr3t-value",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=oidc-s3cr3t", "PATH=" + os.Getenv("PATH")}
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(string(out), "token of 12 bytes") {
		t.Errorf("the action did not get its input:\n%s", out)
	}
	seen, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(seen), "s3cr3t") || strings.Contains(string(seen), "INPUT_TOKEN") {
		t.Errorf("the child found the input:\n%s", seen)
	}
	// It did read the environment of the action's child (its parent) and of the action's first process.
	top := strconv.Itoa(cmd.Process.Pid)
	if !strings.Contains(string(seen), "read environ of "+top+"\n") || strings.Count(string(seen), "read environ of ") < 2 {
		t.Errorf("the child read too little (the action is %s):\n%s", top, seen)
	}
}

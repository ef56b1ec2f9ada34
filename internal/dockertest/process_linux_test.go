package dockertest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startFromAnEndingThread starts `sleep` with start from a goroutine whose locked thread then ends, as
// a sandboxed test's thread does, and returns the child once that thread is gone.
func startFromAnEndingThread(t *testing.T, start func(*exec.Cmd) error) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	errc := make(chan error, 1)
	var task string
	for task == "" {
		tid := make(chan int, 1)
		go func() {
			runtime.LockOSThread() // never unlocked: Go ends this thread when the goroutine returns
			if tid <- syscall.Gettid(); syscall.Gettid() != os.Getpid() {
				errc <- start(cmd)
			}
		}()
		// The main thread is never ended, only parked: try again on another.
		if id := <-tid; id != os.Getpid() {
			task = fmt.Sprintf("/proc/self/task/%d", id)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	waitFor(t, "the starting thread to end", func() bool { _, err := os.Stat(task); return os.IsNotExist(err) })
	return cmd
}

// dead says whether pid has died (a zombie not yet reaped, or gone).
func dead(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStartWithTest_AServerOutlivesTheThreadThatAskedForIt: Linux sends the parent-death signal when
// the forking thread ends; started directly from a thread that ends, the child is killed (the premise,
// checked first), and through StartWithTest it lives on.
func TestStartWithTest_AServerOutlivesTheThreadThatAskedForIt(t *testing.T) {
	direct := startFromAnEndingThread(t, func(cmd *exec.Cmd) error { DieWithTest(cmd); return cmd.Start() })
	waitFor(t, "the directly started child to be killed", func() bool { return dead(direct.Process.Pid) })
	_ = direct.Wait()

	var wait func() error
	held := startFromAnEndingThread(t, func(cmd *exec.Cmd) (err error) { wait, err = StartWithTest(cmd); return err })
	if dead(held.Process.Pid) {
		t.Fatal("the child StartWithTest started died with the thread that asked for it")
	}
	_ = held.Process.Kill()
	if err := wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("wait = %v, want the kill", err)
	}
}

// TestListens_TellsWhoseSocketAnswers: a port this process listens on is its own, not another
// process's, and a closed port is no one's.
func TestListens_TellsWhoseSocketAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if !Listens(os.Getpid(), port) {
		t.Errorf("Listens(self, %d) = false for this process's own listener", port)
	}
	if Listens(os.Getppid(), port) {
		t.Errorf("Listens(parent, %d) = true for this process's listener", port)
	}
	_ = l.Close()
	if Listens(os.Getpid(), port) {
		t.Errorf("Listens(self, %d) = true after the listener closed", port)
	}
}

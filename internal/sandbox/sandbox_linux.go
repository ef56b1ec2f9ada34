package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// canDrop reports whether there is a credential to drop: this process is root.
func canDrop() bool { return os.Geteuid() == 0 }

// run is Run when Active: a home, the directories handed over, the command as the sandbox user,
// and everything taken back when it ends.
func run(cmd *exec.Cmd, o Options) (err error) {
	home, err := newHome()
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)
	var homeEnv []string
	if o.Home != nil {
		if homeEnv, err = o.Home(home); err != nil {
			return fmt.Errorf("sandbox: prepare the command's home: %w", err)
		}
	}
	for _, dir := range o.Writes {
		h, err := give(dir)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, h.takeBack()) }()
	}
	env := cmd.Env
	if env == nil {
		env = cmd.Environ()
	}
	cmd.Env = withHome(env, home, homeEnv)
	return runAs(cmd)
}

// runAs runs cmd as UID:GID with no supplementary groups (the Docker socket's group among them),
// no_new_privs, and SIGKILL when the thread that started it ends.
//
// syscall.SysProcAttr has no field for no_new_privs, so it is set on a thread of its own, which the
// child inherits it from when started there (a clone copies the flag, and execve keeps it). That
// thread is never given back to the scheduler: the flag cannot be unset, and the thread ends with
// the goroutine, once the command has ended. Pdeathsig too is the starting thread's, so it holds
// for the whole run and fires if slipway dies.
func runAs(cmd *exec.Cmd) error {
	attr := &syscall.SysProcAttr{}
	if cmd.SysProcAttr != nil {
		c := *cmd.SysProcAttr
		attr = &c
	}
	attr.Credential = &syscall.Credential{Uid: UID, Gid: GID, Groups: []uint32{}}
	attr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr = attr
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: see above
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			done <- fmt.Errorf("sandbox: set no_new_privs: %w", err)
			return
		}
		done <- cmd.Run()
	}()
	err := <-done
	if err == nil || cmd.Process != nil {
		return err // it ran: its exit, or the error of its wait
	}
	switch {
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("sandbox: start %s as uid %d: %w (every user must be able to run it and to enter %q)", cmd.Path, UID, err, cmd.Dir)
	case errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL):
		return fmt.Errorf("sandbox: start %s as uid %d: %w (root must be allowed to change to another user: "+
			"CAP_SETUID and CAP_SETGID, and in a user namespace a mapping of uid and gid %d)", cmd.Path, UID, err, UID)
	}
	return err
}

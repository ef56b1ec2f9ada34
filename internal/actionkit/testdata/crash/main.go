// Command crash is a slipway action that fails in the way CRASH_MODE names, for actionkit's tests of
// Guard and Run: what a user sees when slipway itself breaks.
package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/failure"
)

const actionYML = `name: crash
description: fails on purpose
inputs:
  token:
    description: a secret
outputs:
  value:
    description: an output
runs:
  using: docker
  image: docker://example.invalid/crash
`

// environScript prints its own environment, and the environment and the open files of each of its
// ancestors up to $TOP (the action's first process: pid 1 in a container) and of pid 1, saying which
// processes it read.
const environScript = `env
for p in $(p=$PPID; while [ -n "$p" ] && [ "$p" != 0 ]; do echo $p; [ "$p" = "$TOP" ] && break; p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status); done) 1; do
	if tr '\0' '\n' < /proc/$p/environ; then echo "read environ of $p"; fi
	for fd in /proc/$p/fd/*; do if [ -f "$fd" ]; then head -c 65536 "$fd" | tr '\0' '\n'; fi; done
done
true
`

func main() {
	os.Exit(actionkit.Guard(func() int {
		return actionkit.Main(context.Background(), "crash", []byte(actionYML), nil, parse, work)
	}))
}

func parse(k *actionkit.Kit) (string, error) {
	in := k.Inputs()
	token := in.Secret("token")
	return token, in.Err()
}

func work(ctx context.Context, k *actionkit.Kit, token string) error {
	switch os.Getenv("CRASH_MODE") {
	case "goroutine":
		done := make(chan struct{})
		go func() { panic("boom in a goroutine") }()
		<-done
	case "goroutine-secret": // Go's crash report, on stderr, quotes the secret
		done := make(chan struct{})
		go func() { panic("boom with " + token) }()
		<-done
	case "child-stderr": // a process the action starts writes the secret to the stderr it inherited
		cmd := exec.CommandContext(ctx, "sh", "-c", `echo "tool failed: $0" >&2`, token)
		cmd.Stderr = os.Stderr
		return cmd.Run()
	case "environ": // a process the action starts looks for the inputs in every environment it can read
		k.Infof("token of %d bytes", len(token))
		out, err := os.Create(os.Getenv("CRASH_OUT"))
		if err != nil {
			return err
		}
		defer out.Close()
		cmd := exec.CommandContext(ctx, "sh", "-c", environScript)
		cmd.Env = append(os.Environ(), "TOP="+strconv.Itoa(os.Getppid())) // the whole environment of the action
		cmd.Stdout, cmd.Stderr = out, out
		return cmd.Run()
	case "work":
		w := k.Untrusted()
		_, _ = w.Write([]byte("half a line of outside text"))
		var m map[string]int
		m["x"]++ // a nil map: panics inside an open untrusted block
	case "output":
		_ = k.SetOutput("value", "prefix-"+token)
	case "wait":
		k.Infof("waiting")
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond)
		return ctx.Err()
	case "failed":
		return failure.Failed(errors.New("the checked thing failed"))
	}
	return nil
}

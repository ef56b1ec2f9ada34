// Command crash is a slipway action that fails in the way CRASH_MODE names, for actionkit's tests of
// Guard and Run: what a user sees when slipway itself breaks.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/slipway-actions/slipway/internal/actionkit"
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
		return actionkit.Failed(errors.New("the checked thing failed"))
	}
	return nil
}

package dockertest

import (
	"os/exec"
	"sync"
)

// StartWithTest starts a server or tool a test runs (moto, docker-registry, prometheus, the Compose
// CLI) so that it dies with the test process, and returns what waits for its end (any number of
// calls, each giving cmd.Wait's error).
func StartWithTest(cmd *exec.Cmd) (wait func() error, err error) {
	DieWithTest(cmd)
	started, done := make(chan error, 1), make(chan error, 1)
	startAndWait(cmd, started, done)
	if err := <-started; err != nil {
		return nil, err
	}
	var once sync.Once
	var werr error
	return func() error {
		once.Do(func() { werr = <-done })
		return werr
	}, nil
}

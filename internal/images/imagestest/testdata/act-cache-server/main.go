// Command act-cache-server serves the GitHub Actions cache service (protocol v1, _apis/artifactcache)
// with nektos/act's own implementation (github.com/nektos/act/pkg/artifactcache), the one act runs for
// its jobs: slipway's gha cache is tested against a server that is not slipway's. It listens on a
// free loopback port and prints the two variables act gives a step, ACTIONS_CACHE_URL and
// ACTIONS_RUNTIME_TOKEN (act's own token, common.CreateAuthorizationToken), one NAME=value a line,
// then serves until it is signalled. It is a test tool: .ci/setup builds it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/nektos/act/pkg/artifactcache"
	"github.com/nektos/act/pkg/common"
)

func main() {
	dir := flag.String("dir", "", "where the cache entries and act's database are kept")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: act-cache-server -dir DIR")
		os.Exit(2)
	}
	// As act's root command starts it (cmd/root.go), on loopback and a port the system picks.
	h, err := artifactcache.StartHandler(*dir, "", "127.0.0.1", 0, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer h.Close()
	// As act's run context makes it when the runner's environment has none (pkg/runner/run_context.go).
	token, err := common.CreateAuthorizationToken(1, 1, 1)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("ACTIONS_CACHE_URL=%s/\nACTIONS_RUNTIME_TOKEN=%s\n", h.ExternalURL(), token)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}

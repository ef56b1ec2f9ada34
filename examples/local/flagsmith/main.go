// Command flagsmith serves slipway's fake of the Flagsmith Admin API on loopback for the README's
// local job (Flagsmith itself cannot run here): one organisation key, the example platform's project,
// its production environment and the new-greeting feature, off. It prints its URL and key on one
// line and serves until it is stopped.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
)

func main() {
	f := flagsmithtest.New(nil)
	defer f.Close()
	project := f.AddProject("example-platform")
	f.AddEnvironment(project, "production", "env-production-key", false)
	f.AddFeature(project, "new-greeting", false)
	fmt.Printf("%s %s\n", f.URL, f.Key)
	_ = os.Stdout.Sync()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
}

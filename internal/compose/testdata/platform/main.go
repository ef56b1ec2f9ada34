// Command platform plays every part of a small platform in the compose tests, from one static
// binary in a FROM scratch image:
//
//	platform serve -delay 2s      an API (or DB) that becomes healthy after the delay
//	platform check                 the healthcheck: exit 0 once healthy
//	platform migrate -exit 0       a migration that exits with the code
//	platform e2e -url http://api:8080/health -reports /reports -fail
//	                               a test runner: writes JUnit XML, exits 1 with -fail
//	platform sleep                 a test that never ends
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	delay := fs.Duration("delay", 0, "")
	code := fs.Int("exit", 0, "")
	url := fs.String("url", "", "")
	reports := fs.String("reports", "/reports", "")
	fail := fs.Bool("fail", false, "")
	_ = fs.Parse(os.Args[2:])
	switch os.Args[1] {
	case "serve":
		fmt.Println("starting; healthy in", *delay)
		time.AfterFunc(*delay, func() { _ = os.WriteFile("/tmp/healthy", nil, 0o644); fmt.Println("ready") })
		http.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
			if _, err := os.Stat("/tmp/healthy"); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		_ = http.ListenAndServe(":8080", nil)
	case "check":
		if _, err := os.Stat("/tmp/healthy"); err != nil {
			os.Exit(1)
		}
	case "migrate":
		fmt.Println("migrating")
		os.Exit(*code)
	case "e2e":
		status := "ok"
		resp, err := http.Get(*url)
		if err != nil || resp.StatusCode != 200 {
			status = fmt.Sprintf("api not healthy: %v", err)
			*fail = true
		}
		fmt.Println("::set-output name=result::pwned")
		failure := ""
		if *fail {
			failure = `<failure message="expected 200">tests/test_checkout.py:42: AssertionError</failure>`
		}
		xml := `<testsuites><testsuite name="e2e"><testcase classname="tests.test_health" name="test_health" time="0.1"/>` +
			`<testcase classname="tests.test_checkout" name="test_checkout" time="0.2">` + failure + `</testcase></testsuite></testsuites>`
		_ = os.MkdirAll(*reports, 0o755)
		_ = os.WriteFile(filepath.Join(*reports, "junit.xml"), []byte(xml), 0o644)
		fmt.Println("e2e:", status)
		if *fail {
			os.Exit(1)
		}
	case "sleep":
		time.Sleep(time.Hour)
	}
}

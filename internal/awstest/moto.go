// Package awstest gives tests a real AWS API shape on loopback: a moto server (moto 5, from
// Python) started per test on a free port, with the SDK's clients pointed at it. Where moto does
// not model something (an ECS deployment finishing), use the package's own fakes instead; they
// share this package's AWS JSON 1.1 plumbing (a call log tests wait on, signed-request and error
// answers).
package awstest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

// Region is the region the tests use.
const Region = "eu-west-2"

// Moto starts `python3 -m moto.server` on a free loopback port and returns its URL; it is stopped
// when the test ends. Without moto the test skips, or fails under SLIPWAY_REQUIRE_DOCKER=1.
func Moto(t testing.TB) string {
	t.Helper()
	_, err := exec.LookPath("python3")
	if err == nil {
		err = exec.Command("python3", "-c", "import moto.server").Run()
	}
	dockertest.Require(t, "moto (python3 -m moto.server)", err)
	// A port found free can be taken by another test's server before moto binds it: then moto exits
	// and the one answering is the other's. Ready means answering from our own process's socket.
	for try := 0; try < 5; try++ {
		if url, ok := startMoto(t); ok {
			return url
		}
	}
	t.Fatal("moto could not get a port of its own in 5 tries")
	return ""
}

// startMoto starts moto on a free port and says whether it answers there from its own socket.
func startMoto(t testing.TB) (string, bool) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	wait, err := dockertest.StartWithTest(cmd)
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = wait(); close(exited) }()
	stop := func() { _ = cmd.Process.Kill(); <-exited }
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if dockertest.Listens(cmd.Process.Pid, port) {
				t.Cleanup(stop)
				return url, true
			}
		}
		select {
		case <-exited: // the port was another's
			return "", false
		case <-ctx.Done():
			stop()
			t.Fatalf("moto did not start on %s", url)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Config is an aws.Config with static test credentials for the region, for clients that are then
// given a BaseEndpoint.
func Config() aws.Config {
	return aws.Config{Region: Region, Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "testsecret", "")}
}

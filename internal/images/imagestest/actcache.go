// Package imagestest gives the tests of images and build-push-images a GitHub Actions cache service
// that is not slipway's: nektos/act's (github.com/nektos/act/pkg/artifactcache, protocol v1, the
// server act runs for its jobs), as the act-cache-server that .ci/setup builds from
// testdata/act-cache-server, a module of its own.
package imagestest

import (
	"bufio"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

// ActCache is a running act cache server.
type ActCache struct {
	// URL and Token are what act gives a step: ACTIONS_CACHE_URL and ACTIONS_RUNTIME_TOKEN, a JWT
	// of act's own making (common.CreateAuthorizationToken).
	URL, Token string
	dir        string
}

// StartActCache runs act's cache server on a loopback port it picks itself, its entries in a
// directory of the test, and stops it when the test ends.
func StartActCache(t testing.TB) *ActCache {
	t.Helper()
	bin, err := exec.LookPath("act-cache-server")
	dockertest.Require(t, "act-cache-server (.ci/setup builds it from internal/images/imagestest/testdata/act-cache-server)", err)
	c := &ActCache{dir: t.TempDir()}
	cmd := exec.Command(bin, "-dir", c.dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	wait, err := dockertest.StartWithTest(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = wait() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		for s := bufio.NewScanner(out); s.Scan(); {
			lines <- s.Text()
		}
	}()
	deadline := time.After(20 * time.Second)
	for c.URL == "" || c.Token == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("act-cache-server ended before it printed its variables: %v\n%s", wait(), stderr.String())
			}
			if v, ok := strings.CutPrefix(line, "ACTIONS_CACHE_URL="); ok {
				c.URL = v
			} else if v, ok := strings.CutPrefix(line, "ACTIONS_RUNTIME_TOKEN="); ok {
				c.Token = v
			}
		case <-deadline:
			t.Fatalf("act-cache-server printed no variables within 20 s\n%s", stderr.String())
		}
	}
	return c
}

// Entries counts the cache entries act has committed (its Storage: cache/<id%0xff>/<id>; uploads in
// progress are under cache/tmp).
func (c *ActCache) Entries(t testing.TB) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(c.dir, "cache"), func(_ string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "tmp":
			return fs.SkipDir
		case !d.IsDir():
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Package composetest gives tests a small platform to run under Compose on the real engine: one
// static Go program (testdata/platform) in a FROM scratch image that plays API, DB, migration and
// test runner, and a compose file wiring them with healthchecks and depends_on conditions.
package composetest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

var (
	once sync.Once
	tag  string
)

// keep is a testing.TB whose cleanups are dropped: the image is shared by every test of the binary.
type keep struct{ testing.TB }

func (keep) Cleanup(func()) {}

// PlatformImage builds the platform image once per test binary and returns its tag.
func PlatformImage(t testing.TB, cli *client.Client) string {
	t.Helper()
	once.Do(func() {
		_, self, _, _ := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(self), "..", "testdata", "platform")
		dir := t.TempDir()
		data, err := os.ReadFile(dockertest.GoBinary(t, dir, src, "platform"))
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("slipway-test/platform:%d", time.Now().UnixNano())
		dockertest.BuildImage(keep{t}, cli, name, map[string]dockertest.File{
			"Dockerfile": {Data: []byte("FROM scratch\nCOPY platform /platform\nCOPY tmp /tmp\nENTRYPOINT [\"/platform\"]\n")},
			"platform":   {Data: data, Mode: 0o755},
			"tmp/.keep":  {},
		})
		tag = name
	})
	if tag == "" {
		t.Fatal("the platform image was not built")
	}
	return tag
}

const healthy = `
    healthcheck: {test: ["CMD", "/platform", "check"], interval: 200ms, retries: 100}`

// Green is a compose file of a platform that comes up and passes: db, a migration that must
// complete, an api that must be healthy, and the e2e test service. IMAGE stands for the image.
const Green = `services:
  db:
    image: IMAGE
    command: [serve, -delay, 500ms]` + healthy + `
  migrate:
    image: IMAGE
    command: [migrate, -exit, "0"]
    depends_on: {db: {condition: service_healthy}}
  api:
    image: IMAGE
    command: [serve, -delay, 1s]` + healthy + `
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  e2e:
    image: IMAGE
    command: [e2e, -url, "http://api:8080/health", -reports, /reports]
    depends_on: {api: {condition: service_healthy}}
`

// Compose returns the compose file with the image filled in, after replacing old with new once for
// each pair of edits.
func Compose(image, base string, edits ...string) string {
	out := strings.ReplaceAll(base, "IMAGE", image)
	for i := 0; i+1 < len(edits); i += 2 {
		out = strings.Replace(out, edits[i], edits[i+1], 1)
	}
	return out
}

// Package registrytest gives tests real registries on loopback: docker-registry (the Distribution
// registry from Debian) with or without htpasswd auth, or behind Docker Hub's Bearer-token
// authentication and a token service of its own, a proxy that injects faults and counts the
// bytes uploaded through it, and an in-memory registry that answers as ECR's registry API does
// (moto serves ECR's control plane only), its repositories and their tag mutability read from moto.
package registrytest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/bcrypt"

	"github.com/slipway-actions/slipway/internal/dockertest"
)

// Options configure a docker-registry instance.
type Options struct {
	User, Password string // htpasswd auth when set
}

// Registry is a running docker-registry.
type Registry struct {
	Host string // 127.0.0.1:port
	cmd  *exec.Cmd
	wait func() error
}

// Start runs docker-registry on a free loopback port (the engine treats 127.0.0.0/8 as insecure,
// so it pushes there over HTTP), and stops it when the test ends.
func Start(t testing.TB, o Options) *Registry {
	t.Helper()
	_, err := exec.LookPath("docker-registry")
	dockertest.Require(t, "docker-registry (apt-get install docker-registry)", err)
	r, err := Launch(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

// Launch runs docker-registry with its storage and config in dir; the caller stops it. A port found
// free can be taken by another test's server before the registry binds it: Launch then tries another.
func Launch(dir string, o Options) (*Registry, error) {
	for try := 0; ; try++ {
		r, err := launch(dir, o)
		if !errors.Is(err, errPortTaken) || try == 4 {
			return r, err
		}
	}
}

// errPortTaken is a registry that found its port answered by another process.
var errPortTaken = errors.New("the port was taken by another server")

func launch(dir string, o Options) (*Registry, error) {
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%d\n", filepath.Join(dir, "data"), port)
	if o.User != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(o.Password), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(o.User+":"+string(hash)+"\n"), 0o600); err != nil {
			return nil, err
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd:\n    realm: slipway-test\n    path: %s\n", htpasswd)
	}
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	wait, err := dockertest.StartWithTest(cmd)
	if err != nil {
		return nil, err
	}
	r := &Registry{Host: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, wait: wait}
	if err := waitHTTP(fmt.Sprintf("http://%s/v2/", r.Host)); err != nil {
		r.Stop()
		return nil, fmt.Errorf("docker-registry did not start: %v\n%s", err, out.String())
	}
	if !dockertest.Listens(cmd.Process.Pid, port) {
		r.Stop()
		return nil, errPortTaken
	}
	return r, nil
}

// Stop stops the registry (a test may stop it early to take a registry down).
func (r *Registry) Stop() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.wait()
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHTTP(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Tags lists a repository's tags and the manifest digest each holds; a repository that does not
// exist has none.
func Tags(t testing.TB, repo string, auth authn.Authenticator) map[string]string {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r, remote.WithAuth(auth))
	if err != nil {
		return map[string]string{}
	}
	out := map[string]string{}
	for _, tag := range tags {
		d, err := remote.Head(r.Tag(tag), remote.WithAuth(auth))
		if err != nil {
			t.Fatal(err)
		}
		out[tag] = d.Digest.String()
	}
	return out
}

package factory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/slipway-actions/slipway/internal/github"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func noDebug(string, ...any) {}

func TestAWS_ReadsTheRunsEnvironmentNotTheProcesss(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := New(env(map[string]string{
		"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_SESSION_TOKEN": "session", "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
	}), noDebug)
	cfg, err := f.AWS(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-2" || cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != "http://127.0.0.1:1" {
		t.Errorf("region %q, endpoint %v", cfg.Region, cfg.BaseEndpoint)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDEXAMPLE" || creds.SessionToken != "session" {
		t.Errorf("credentials %+v, %v", creds, err)
	}
	if cfg, _ := f.AWS(context.Background(), "us-east-1"); cfg.Region != "us-east-1" {
		t.Errorf("the region given wins: %q", cfg.Region)
	}
}

func TestAWS_NoCredentialsIsAConfigError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := New(env(map[string]string{
		"AWS_REGION": "eu-west-2", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
	}), noDebug)
	_, err := f.AWS(context.Background(), "")
	if !errors.As(err, new(*ConfigError)) {
		t.Fatalf("error %v (%T), want a *ConfigError", err, err)
	}
}

func TestGitHub_EnterpriseURLAndToken(t *testing.T) {
	t.Parallel()
	f := New(env(map[string]string{"GITHUB_API_URL": "https://ghe.example/api/v3", "GITHUB_REPOSITORY": "acme/web"}), noDebug)
	c, run, err := f.GitHub("t0ken")
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL.String() != "https://ghe.example/api/v3/" || run.Repository != "acme/web" {
		t.Errorf("base %s, run %+v", c.BaseURL, run)
	}
	if _, _, err := f.GitHub(""); !errors.As(err, new(*ConfigError)) {
		t.Errorf("no token: %v", err)
	}
}

func TestDockerConfigDir(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DOCKER_CONFIG": "/cfg", "HOME": "/github/home"}, "/cfg"},
		{map[string]string{"HOME": "/github/home"}, "/github/home/.docker"},
		{map[string]string{}, ""},
	} {
		if got := New(env(tc.env), noDebug).DockerConfigDir(); got != tc.want {
			t.Errorf("DockerConfigDir(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// A credentials provider that cannot be reached (here: an instance metadata service that refuses the
// connection) is infrastructure, not missing configuration: exit 3, not 2.
func TestAWS_UnreachableCredentialsProviderIsNotAConfigError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := New(env(map[string]string{
		"AWS_REGION": "eu-west-2", "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:1",
		"AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
	}), noDebug)
	_, err := f.AWS(context.Background(), "")
	if err == nil || errors.As(err, new(*ConfigError)) {
		t.Fatalf("error %v (%T), want an error that is not a *ConfigError", err, err)
	}
}

// Debug output is real: each client says where it points and where its credentials came from, and
// never a credential.
func TestDebug_EachClientSaysWhereItPointsWithoutSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var lines []string
	debugf := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	f := New(env(map[string]string{
		"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalr-s3cret",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_CONFIG_FILE": filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"), "GITHUB_REPOSITORY": "acme/web",
	}), debugf)
	if _, err := f.AWS(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.GitHub("ghp-t0ken-s3cret"); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(lines, "\n")
	for _, want := range []string{`AWS: region "eu-west-2", credentials from `, "endpoint http://127.0.0.1:1", "GitHub: API at https://api.github.com for acme/web"} {
		if !strings.Contains(got, want) {
			t.Errorf("debug output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "s3cret") {
		t.Errorf("debug output holds a credential:\n%s", got)
	}
}

// hung is a server that accepts every request and never answers it, until the test ends.
func hung(t *testing.T) string {
	t.Helper()
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-done }))
	t.Cleanup(func() { close(done); srv.Close() })
	return srv.URL
}

// isTimeout reports whether err is a request that gave up waiting: the client's own timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// backstop bounds a call that would otherwise wait forever, so that a missing timeout fails the
// test instead of hanging it.
func backstop(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A GitHub API that accepts the request and never answers ends the call at the request timeout,
// not at the job's.
func TestGitHub_AHungAPIEndsTheCallAtTheRequestTimeout(t *testing.T) {
	t.Parallel()
	f := New(env(map[string]string{"GITHUB_API_URL": hung(t) + "/api/v3", "GITHUB_REPOSITORY": "acme/web"}), noDebug)
	f.timeout = 300 * time.Millisecond
	c, run, err := f.GitHub("ghs_t0ken")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = github.ReadRepository(backstop(t), c, run)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the call took %s with a request timeout of %s", took.Round(time.Millisecond), f.timeout)
	}
	if !isTimeout(err) {
		t.Errorf("error %v, want the request's timeout", err)
	}
}

// The same for AWS: one try of a call to a hung endpoint ends at the request timeout, and the SDK
// tries a call three times at most.
func TestAWS_AHungEndpointEndsEachTryAtTheRequestTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := New(env(map[string]string{
		"AWS_REGION": "eu-west-2", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL": hung(t), "AWS_CONFIG_FILE": filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
	}), noDebug)
	f.timeout = 300 * time.Millisecond
	cfg, err := f.AWS(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RetryMaxAttempts != 3 {
		t.Errorf("RetryMaxAttempts = %d, want 3", cfg.RetryMaxAttempts)
	}
	start := time.Now()
	_, err = ecs.NewFromConfig(cfg).ListClusters(backstop(t), &ecs.ListClustersInput{},
		func(o *ecs.Options) { o.RetryMaxAttempts = 1 }) // one try: the backoff between tries is the SDK's
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the call took %s with a request timeout of %s", took.Round(time.Millisecond), f.timeout)
	}
	if !isTimeout(err) {
		t.Errorf("error %v, want the request's timeout", err)
	}
}

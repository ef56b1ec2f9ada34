package factory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/docker/docker/client"
	gh "github.com/google/go-github/v62/github"

	"github.com/slipway-actions/slipway/internal/docker"
	"github.com/slipway-actions/slipway/internal/github"

	"github.com/slipway-actions/slipway/internal/failure"
)

// ConfigError is a client the run's configuration cannot make: no AWS region, no credentials, no
// token. Nothing was touched; the action reports it as bad input.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// FailureClass: a configuration the user gave that cannot be read is bad input.
func (e *ConfigError) FailureClass() failure.Class { return failure.Input }

// Factory makes the clients of one run. Its zero value is not usable: make one with New.
type Factory struct {
	getenv  func(string) string
	debugf  func(format string, args ...any)
	timeout time.Duration // of one HTTP request to GitHub or AWS
}

// New returns a Factory reading the run's environment through getenv (the Kit's); debugf hears which
// endpoint and credential source each client uses (never a secret).
func New(getenv func(string) string, debugf func(format string, args ...any)) *Factory {
	return &Factory{getenv: getenv, debugf: debugf, timeout: RequestTimeout}
}

// RequestTimeout bounds one HTTP request of the GitHub and AWS clients, answer included: a server
// that accepts the connection and never answers would otherwise hold the run until the job's
// timeout (six hours by default), since only the waits (a deploy, a gate) have deadlines of their own.
// No GitHub or AWS call slipway makes streams: each answers in well under a second when all is well.
// The Docker engine's client has none: builds and pushes stream for minutes; ctx bounds them.
const RequestTimeout = 30 * time.Second

// awsRetryMaxAttempts is how many times the AWS SDK tries one call (its own default, said here): a
// request that timed out is tried again, so one call takes at most 3 × RequestTimeout plus the
// SDK's backoff of up to 2 s and 4 s between tries.
const awsRetryMaxAttempts = 3

// httpClient is the GitHub client's HTTP client: Go's default transport (proxy from the
// environment, dial and TLS handshake timeouts) with the request timeout.
func (f *Factory) httpClient() *http.Client { return &http.Client{Timeout: f.timeout} }

// credentialsTimeout bounds the one credentials check: a web identity exchange or an instance
// metadata call that hangs would otherwise hold the run until the job's timeout.
const credentialsTimeout = 30 * time.Second

// AWS loads the AWS configuration as the SDK's default chain does (the environment variables
// aws-actions/configure-aws-credentials exports, a web identity token, a profile) with the region
// given, or AWS_REGION / AWS_DEFAULT_REGION (the region may stay empty: ECR takes it from the
// registry's host), and checks once that credentials can be had. The
// variables are read through the run's environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_ENDPOINT_URL, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE,
// AWS_EC2_METADATA_SERVICE_ENDPOINT and AWS_EC2_METADATA_DISABLED.
func (f *Factory) AWS(ctx context.Context, region string) (aws.Config, error) {
	if region == "" {
		region = f.getenv("AWS_REGION")
	}
	if region == "" {
		region = f.getenv("AWS_DEFAULT_REGION")
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(region),
		// The SDK's own HTTP client (its dialer and TLS timeouts), with a bound on the whole request.
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(f.timeout)),
		awsconfig.WithRetryMaxAttempts(awsRetryMaxAttempts),
	}
	source := "the SDK's default chain (web identity, profile, instance role)"
	if id, secret := f.getenv("AWS_ACCESS_KEY_ID"), f.getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(id, secret, f.getenv("AWS_SESSION_TOKEN"))))
		source = "AWS_ACCESS_KEY_ID"
	}
	if u := f.getenv("AWS_ENDPOINT_URL"); u != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(u))
	}
	if p := f.getenv("AWS_CONFIG_FILE"); p != "" {
		opts = append(opts, awsconfig.WithSharedConfigFiles([]string{p}))
	}
	if p := f.getenv("AWS_SHARED_CREDENTIALS_FILE"); p != "" {
		opts = append(opts, awsconfig.WithSharedCredentialsFiles([]string{p}))
	}
	if u := f.getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"); u != "" {
		opts = append(opts, awsconfig.WithEC2IMDSEndpoint(u))
	}
	if f.getenv("AWS_EC2_METADATA_DISABLED") == "true" {
		opts = append(opts, awsconfig.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, &ConfigError{fmt.Errorf("AWS configuration: %w", err)}
	}
	cctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		// A provider that could not be reached (STS, the instance metadata service) is not a missing
		// configuration: the same job may work on a retry.
		var netErr net.Error
		if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return cfg, fmt.Errorf("AWS credentials could not be fetched: %w", err)
		}
		return cfg, &ConfigError{fmt.Errorf("no AWS credentials: %w — run aws-actions/configure-aws-credentials first (OIDC: permissions id-token: write)", err)}
	}
	f.debugf("AWS: region %q, credentials from %s, endpoint %s", cfg.Region, source, cmp.Or(f.getenv("AWS_ENDPOINT_URL"), "the service's own"))
	return cfg, nil
}

// Docker connects to the engine DOCKER_HOST names (the default socket when unset), its API version
// negotiated once, up front.
func (f *Factory) Docker(ctx context.Context) (*client.Client, error) {
	f.debugf("Docker: engine at %s", cmp.Or(f.getenv("DOCKER_HOST"), client.DefaultDockerHost))
	return docker.Connect(ctx, f.getenv("DOCKER_HOST"))
}

// DockerConfigDir is where the docker CLI, and docker/login-action through it, keeps registry logins:
// DOCKER_CONFIG, else $HOME/.docker. Empty when neither is set.
func (f *Factory) DockerConfigDir() string {
	if d := f.getenv("DOCKER_CONFIG"); d != "" {
		return d
	}
	if h := f.getenv("HOME"); h != "" {
		return filepath.Join(h, ".docker")
	}
	return ""
}

// GitHub returns a client of the GitHub API (GITHUB_API_URL, for GitHub Enterprise) for token, each
// request bounded by RequestTimeout and GitHub's rate limits waited out (github.WaitOutRateLimits),
// and where the run is.
func (f *Factory) GitHub(token string) (*gh.Client, github.Run, error) {
	run := github.RunFromEnv(f.getenv)
	if token == "" {
		return nil, run, &ConfigError{errors.New("no GitHub token")}
	}
	c, err := github.NewClient(github.WaitOutRateLimits(f.httpClient(), github.RateLimits{}), token, run)
	if err != nil {
		return nil, run, &ConfigError{fmt.Errorf("GITHUB_API_URL %q: %w", run.APIURL, err)}
	}
	f.debugf("GitHub: API at %s for %s", cmp.Or(run.APIURL, "https://api.github.com"), run.Repository)
	return c, run, nil
}

// Event is the run's event payload (GITHUB_EVENT_PATH), typed by GITHUB_EVENT_NAME.
func (f *Factory) Event() (*github.Event, error) {
	return github.ReadEvent(f.getenv("GITHUB_EVENT_NAME"), f.getenv("GITHUB_EVENT_PATH"))
}

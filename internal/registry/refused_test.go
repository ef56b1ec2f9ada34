package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/slipway-actions/slipway/internal/registry/registrytest"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// ecrAt is an ECR client of endpoint that tries each call once.
func ecrAt(endpoint string) func(string) (ECRAPI, error) {
	return func(string) (ECRAPI, error) {
		return ecr.New(ecr.Options{
			Region: "eu-west-2", BaseEndpoint: aws.String(endpoint), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		}), nil
	}
}

// ecrAnswering is ECR's API (AWS JSON 1.1) answering every call with status and error code.
func ecrAnswering(t *testing.T, status int, code string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type": %q, "message": "no"}`, code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// Only an answer that refuses is for the user to change: a registry or ECR that is down, or that
// throttles or fails (5xx), is not, whatever else went wrong beside it.
func TestCheck_RefusedOnlyWhenTheRegistryAnsweredNo(t *testing.T) {
	t.Parallel()
	ecrHost := Registry{Raw: "ecr", Kind: ECR, Host: "123456789012.dkr.ecr.eu-west-2.amazonaws.com", Account: "123456789012", Region: "eu-west-2"}
	for name, tc := range map[string]struct {
		reg     Registry
		ecr     func(string) (ECRAPI, error)
		refused bool
	}{
		"registry down":                {reg: mustParse(t, registrytest.ClosedPort(t)), refused: false},
		"ECR's API down":               {reg: ecrHost, ecr: ecrAt("http://" + registrytest.ClosedPort(t)), refused: false},
		"ECR's API failing":            {reg: ecrHost, ecr: ecrAt(ecrAnswering(t, 500, "ServerException")), refused: false},
		"ECR's API throttling":         {reg: ecrHost, ecr: ecrAt(ecrAnswering(t, 400, "ThrottlingException")), refused: false},
		"ECR's API denying":            {reg: ecrHost, ecr: ecrAt(ecrAnswering(t, 400, "AccessDeniedException")), refused: true},
		"ECR's API unrecognised token": {reg: ecrHost, ecr: ecrAt(ecrAnswering(t, 400, "UnrecognizedClientException")), refused: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := &Publisher{ECR: tc.ecr, Backoff: fastBackoff}
			_, err := p.Check(context.Background(), []Image{{Name: "api", ID: "sha256:0", Tags: []string{"1"}}}, []Registry{tc.reg})
			if err == nil {
				t.Fatal("Check passed")
			}
			if got := Refused(err); got != tc.refused {
				t.Errorf("Refused(%v) = %v, want %v", err, got, tc.refused)
			}
		})
	}
}

func TestRefused_EveryJoinedErrorMustBeARefusal(t *testing.T) {
	t.Parallel()
	no := &RefusedError{errors.New("401")}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("connection refused"), false},
		{no, true},
		{fmt.Errorf("api: %w", &NoCredentialsError{}), true},
		{fmt.Errorf("nothing was pushed: %w", errors.Join(fmt.Errorf("api: %w", no), fmt.Errorf("web: %w", no))), true},
		{fmt.Errorf("nothing was pushed: %w", errors.Join(no, errors.New("dial tcp: connection refused"))), false},
	} {
		if got := Refused(tc.err); got != tc.want {
			t.Errorf("Refused(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

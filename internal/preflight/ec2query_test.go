package preflight

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// ec2Server is an httptest EC2 Query endpoint: it answers each request with the next of answers
// (status, XML body) and records the requests' forms and headers. The bodies are shaped as EC2's
// API reference shows them (DescribeSubnets' and DescribeSecurityGroups' "Examples" sections,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html, and the error
// envelope of https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
type ec2Server struct {
	mu      sync.Mutex
	answers []ec2Answer
	forms   []url.Values
	headers []http.Header
	bodies  []string
}

type ec2Answer struct {
	status int
	body   string
}

func newEC2Server(t *testing.T, answers ...ec2Answer) (*ec2Server, *EC2) {
	t.Helper()
	s := &ec2Server{answers: answers}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		s.forms = append(s.forms, form)
		s.headers = append(s.headers, r.Header.Clone())
		s.bodies = append(s.bodies, string(body))
		a := ec2Answer{500, "<Response><Errors><Error><Code>InternalError</Code><Message>no answer left</Message></Error></Errors></Response>"}
		if len(s.answers) > 0 {
			a, s.answers = s.answers[0], s.answers[1:]
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{Region: "eu-west-2", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "testsecret", ""),
		// No backoff: the tests synchronise on the server's recorded requests, not on time.
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		}}
	return s, NewEC2(cfg)
}

const (
	subnetsPage1 = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <subnetSet>
    <item><subnetId>subnet-1</subnetId><state>available</state><vpcId>vpc-1</vpcId></item>
  </subnetSet>
  <nextToken>page-2</nextToken>
</DescribeSubnetsResponse>`
	subnetsPage2 = `<DescribeSubnetsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLF</requestId>
  <subnetSet><item><subnetId>subnet-3</subnetId></item></subnetSet>
</DescribeSubnetsResponse>`
	groups = `<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <securityGroupInfo>
    <item><ownerId>123456789012</ownerId><groupId>sg-1</groupId><groupName>api</groupName>
      <ipPermissions><item><groups><item><groupId>sg-other</groupId></item></groups></item></ipPermissions>
    </item>
  </securityGroupInfo>
</DescribeSecurityGroupsResponse>`
	unauthorized = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>`
	throttled = `<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>x</RequestID></Response>`
)

func TestEC2_SubnetsReadsEveryPageByFilter(t *testing.T) {
	t.Parallel()
	s, c := newEC2Server(t, ec2Answer{200, subnetsPage1}, ec2Answer{200, subnetsPage2})
	var ops []string
	c.Observe = func(op string) { ops = append(ops, op) }
	have, err := c.Subnets(context.Background(), []string{"subnet-1", "subnet-2", "subnet-3"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(have, []string{"subnet-1", "subnet-3"}) {
		t.Errorf("existing = %v, want subnet-1 and subnet-3 from both pages", have)
	}
	if len(s.forms) != 2 {
		t.Fatalf("%d requests, want 2 (one per page)", len(s.forms))
	}
	want := url.Values{"Action": {"DescribeSubnets"}, "Version": {"2016-11-15"}, "Filter.1.Name": {"subnet-id"},
		"Filter.1.Value.1": {"subnet-1"}, "Filter.1.Value.2": {"subnet-2"}, "Filter.1.Value.3": {"subnet-3"}}
	if got := s.forms[0]; got.Encode() != want.Encode() {
		t.Errorf("first request's form = %v, want %v", got, want)
	}
	want.Set("NextToken", "page-2")
	if got := s.forms[1]; got.Encode() != want.Encode() {
		t.Errorf("second request's form = %v, want %v", got, want)
	}
	if !slices.Equal(ops, []string{"EC2.DescribeSubnets", "EC2.DescribeSubnets"}) {
		t.Errorf("observed %v, want EC2.DescribeSubnets once per page", ops)
	}
}

func TestEC2_SecurityGroupsReadsOnlyTheGroupsOwnIDs(t *testing.T) {
	t.Parallel()
	s, c := newEC2Server(t, ec2Answer{200, groups})
	have, err := c.SecurityGroups(context.Background(), []string{"sg-1", "sg-2"})
	if err != nil {
		t.Fatal(err)
	}
	// sg-other is a group a rule refers to, deeper in the item: not one that was asked for.
	if !slices.Equal(have, []string{"sg-1"}) {
		t.Errorf("existing = %v, want [sg-1]", have)
	}
	if f := s.forms[0]; f.Get("Action") != "DescribeSecurityGroups" || f.Get("Filter.1.Name") != "group-id" || f.Get("Filter.1.Value.2") != "sg-2" {
		t.Errorf("form = %v", f)
	}
}

func TestEC2_ErrorsAreAPIErrorsWithEC2sCode(t *testing.T) {
	t.Parallel()
	s, c := newEC2Server(t, ec2Answer{403, unauthorized}, ec2Answer{403, unauthorized})
	_, err := c.Subnets(context.Background(), []string{"subnet-1"})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "UnauthorizedOperation" || api.ErrorMessage() != "You are not authorized to perform this operation." {
		t.Fatalf("err = %v, want the APIError UnauthorizedOperation with EC2's message", err)
	}
	if len(s.forms) != 1 {
		t.Errorf("%d requests, want 1: an authorisation error is not retried", len(s.forms))
	}
	// And verify counts it as unchecked, not as a failure to read.
	v := &verification{Checker: &Checker{EC2: c}, res: &Result{}}
	v.network(context.Background(), "api", &ecstypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}})
	if len(v.res.Unchecked) != 1 || !strings.Contains(v.res.Unchecked[0].What, "UnauthorizedOperation") || len(v.errs) != 0 {
		t.Errorf("unchecked %v, errors %v; want one unchecked naming UnauthorizedOperation", v.res.Unchecked, v.errs)
	}
}

func TestEC2_ThrottlingAndServerErrorsAreRetried(t *testing.T) {
	t.Parallel()
	s, c := newEC2Server(t, ec2Answer{503, throttled}, ec2Answer{500, "<Response><Errors><Error><Code>InternalError</Code></Error></Errors></Response>"}, ec2Answer{200, groups})
	have, err := c.SecurityGroups(context.Background(), []string{"sg-1"})
	if err != nil || !slices.Equal(have, []string{"sg-1"}) {
		t.Fatalf("existing %v, err %v; want [sg-1] after two retries", have, err)
	}
	if len(s.forms) != 3 {
		t.Errorf("%d requests, want 3", len(s.forms))
	}
}

func TestEC2_RequestIsSignedForEC2InTheRegion(t *testing.T) {
	t.Parallel()
	s, c := newEC2Server(t, ec2Answer{200, groups})
	at := time.Date(2026, 12, 6, 19, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return at }
	if _, err := c.SecurityGroups(context.Background(), []string{"sg-1"}); err != nil {
		t.Fatal(err)
	}
	h := s.headers[0]
	auth := h.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261206/eu-west-2/ec2/aws4_request, SignedHeaders=") {
		t.Errorf("Authorization = %q, want SigV4 scoped to 20261206/eu-west-2/ec2", auth)
	}
	if h.Get("X-Amz-Date") != "20261206T190000Z" {
		t.Errorf("X-Amz-Date = %q", h.Get("X-Amz-Date"))
	}
	// The signature is the one SigV4 gives this request: sign the request the server saw again.
	req := httptest.NewRequest(http.MethodPost, c.endpoint+"/", strings.NewReader(s.bodies[0]))
	req.Header.Set("Content-Type", h.Get("Content-Type"))
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "testsecret"}, req,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "ec2", "eu-west-2", at)
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Authorization") == auth {
		t.Fatal("signing with the empty payload's hash gave the same signature: the body is not signed")
	}
	req = httptest.NewRequest(http.MethodPost, c.endpoint+"/", strings.NewReader(s.bodies[0]))
	req.Header.Set("Content-Type", h.Get("Content-Type"))
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "testsecret"}, req,
		sha256Hex(s.bodies[0]), "ec2", "eu-west-2", at); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != auth {
		t.Errorf("Authorization = %q, want %q", auth, got)
	}
}

func TestEC2Endpoint(t *testing.T) {
	// Not parallel: it sets the environment, as config.LoadDefaultConfig reads it.
	if got := ec2Endpoint(aws.Config{Region: "eu-west-2"}); got != "https://ec2.eu-west-2.amazonaws.com" {
		t.Errorf("default = %q", got)
	}
	if got := ec2Endpoint(aws.Config{Region: "cn-north-1"}); got != "https://ec2.cn-north-1.amazonaws.com.cn" {
		t.Errorf("China = %q", got)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://global.test")
	load := func() string {
		cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("eu-west-2"))
		if err != nil {
			t.Fatal(err)
		}
		return ec2Endpoint(cfg)
	}
	if got := load(); got != "http://global.test" {
		t.Errorf("with AWS_ENDPOINT_URL = %q", got)
	}
	t.Setenv("AWS_ENDPOINT_URL_EC2", "http://ec2.test")
	if got := load(); got != "http://ec2.test" {
		t.Errorf("with AWS_ENDPOINT_URL_EC2 = %q", got)
	}
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	if got := load(); got != "https://ec2.eu-west-2.amazonaws.com" {
		t.Errorf("with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = %q", got)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

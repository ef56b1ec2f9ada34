package preflight

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/ec2query"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/slipway-actions/slipway/internal/wait"
)

// EC2 reads which subnets and security groups exist through EC2's Query API, by hand: the SDK's
// service/ec2 module alone would add ~29 MB to the binary for two read-only calls. It is built from
// the pieces of aws-sdk-go-v2 every other client already links: the config's region, credentials,
// endpoint and HTTP client, the SigV4 signer, EC2's error XML reader and the standard retryer.
//
// The protocol: a POST of a form (Action, Version, parameters) to the regional endpoint, signed
// with SigV4 for service "ec2", answered with XML
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html, "Making API
// requests using the Query protocol"; errors:
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
type EC2 struct {
	// Observe, when set, is told each operation as the SDK names it ("EC2.DescribeSubnets"), once
	// per page, as an SDK middleware would be: awstest.Recorder's Observe counts it.
	Observe func(op string)

	cfg      aws.Config
	endpoint string
	retryer  aws.Retryer
	signer   *v4.Signer
	now      func() time.Time
}

// ec2Version is the EC2 API version every current EC2 action belongs to.
const ec2Version = "2016-11-15"

// NewEC2 is an EC2 reader for cfg's region and credentials. Its endpoint is the one the SDK's own
// client would use: cfg.BaseEndpoint (AWS_ENDPOINT_URL, or config.WithBaseEndpoint), overridden by
// AWS_ENDPOINT_URL_EC2 or a profile's ec2 endpoint_url, else https://ec2.<region>.amazonaws.com
// (https://docs.aws.amazon.com/general/latest/gr/ec2-service.html).
func NewEC2(cfg aws.Config) *EC2 {
	var r aws.Retryer
	if cfg.Retryer != nil {
		r = cfg.Retryer()
	} else {
		r = retry.NewStandard(func(o *retry.StandardOptions) {
			if cfg.RetryMaxAttempts > 0 {
				o.MaxAttempts = cfg.RetryMaxAttempts
			}
		})
	}
	return &EC2{cfg: cfg, endpoint: ec2Endpoint(cfg), retryer: r, signer: v4.NewSigner(), now: time.Now}
}

// ec2Endpoint follows service/ec2's resolveBaseEndpoint (aws-sdk-go-v2 service/ec2/endpoints.go):
// a service-specific endpoint from the config sources wins over cfg.BaseEndpoint unless only the
// global AWS_ENDPOINT_URL is set in the environment; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS turns the
// config sources off.
func ec2Endpoint(cfg aws.Config) string {
	endpoint := aws.ToString(cfg.BaseEndpoint)
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	_, service := os.LookupEnv("AWS_ENDPOINT_URL_EC2")
	if !global || service {
		if v, ok := serviceEndpoint(cfg.ConfigSources); ok {
			endpoint = v
		}
	}
	if endpoint != "" {
		return endpoint
	}
	suffix := "amazonaws.com"
	if strings.HasPrefix(cfg.Region, "cn-") {
		suffix = "amazonaws.com.cn"
	}
	return "https://ec2." + cfg.Region + "." + suffix
}

// serviceEndpoint is internal/configsources' ResolveServiceBaseEndpoint for sdkID "EC2", through
// the methods config.EnvConfig and config.SharedConfig have.
func serviceEndpoint(sources []any) (string, bool) {
	ctx := context.Background()
	for _, s := range sources {
		if p, ok := s.(interface {
			GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error)
		}); ok {
			if v, found, _ := p.GetIgnoreConfiguredEndpoints(ctx); found && v {
				return "", false
			}
		}
	}
	for _, s := range sources {
		if p, ok := s.(interface {
			GetServiceBaseEndpoint(context.Context, string) (string, bool, error)
		}); ok {
			v, found, err := p.GetServiceBaseEndpoint(ctx, "EC2")
			if err != nil {
				return "", false
			}
			if found {
				return v, true
			}
		}
	}
	return "", false
}

// Subnets returns which of ids exist, by DescribeSubnets with a subnet-id filter, all pages
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSubnets.html).
func (c *EC2) Subnets(ctx context.Context, ids []string) ([]string, error) {
	return c.existing(ctx, "DescribeSubnets", "subnet-id", ids)
}

// SecurityGroups returns which of ids exist, by DescribeSecurityGroups with a group-id filter, all
// pages (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSecurityGroups.html).
func (c *EC2) SecurityGroups(ctx context.Context, ids []string) ([]string, error) {
	return c.existing(ctx, "DescribeSecurityGroups", "group-id", ids)
}

// ec2Page is the part of a DescribeSubnetsResponse or DescribeSecurityGroupsResponse preflight
// reads: the ids (subnetSet/item/subnetId, securityGroupInfo/item/groupId) and nextToken.
type ec2Page struct {
	Subnets   []string `xml:"subnetSet>item>subnetId"`
	Groups    []string `xml:"securityGroupInfo>item>groupId"`
	NextToken string   `xml:"nextToken"`
}

// existing asks action with Filter.1 = filter:ids, then again with each nextToken until none
// comes back, and returns the ids the answers hold.
func (c *EC2) existing(ctx context.Context, action, filter string, ids []string) ([]string, error) {
	form := url.Values{"Action": {action}, "Version": {ec2Version}, "Filter.1.Name": {filter}}
	for i, id := range ids {
		form.Set("Filter.1.Value."+strconv.Itoa(i+1), id)
	}
	var have []string
	for {
		var page ec2Page
		if err := c.call(ctx, action, form, &page); err != nil {
			return nil, err
		}
		have = append(append(have, page.Subnets...), page.Groups...)
		if page.NextToken == "" {
			return have, nil
		}
		form.Set("NextToken", page.NextToken)
	}
}

// call sends one operation, retried as the SDK's standard retryer says (throttling, 5xx,
// connection errors), and decodes its answer into out.
func (c *EC2) call(ctx context.Context, action string, form url.Values, out any) error {
	if c.Observe != nil {
		c.Observe("EC2." + action)
	}
	body := []byte(form.Encode())
	for attempt := 1; ; attempt++ {
		err := c.send(ctx, body, out)
		if err == nil || !c.retryer.IsErrorRetryable(err) || attempt >= c.retryer.MaxAttempts() {
			return err
		}
		if _, qerr := c.retryer.GetRetryToken(ctx, err); qerr != nil {
			return err // the retry quota is spent: the SDK's clients stop here too
		}
		delay, derr := c.retryer.RetryDelay(attempt, err)
		if derr != nil {
			return err
		}
		if err := wait.For(ctx, delay); err != nil {
			return err
		}
	}
}

func (c *EC2) send(ctx context.Context, body []byte, out any) error {
	if c.cfg.Credentials == nil {
		return errors.New("ec2: no AWS credentials")
	}
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("ec2: credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("ec2: endpoint %q: %w", c.endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "ec2", c.cfg.Region, c.now()); err != nil {
		return fmt.Errorf("ec2: sign: %w", err)
	}
	client := c.cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err // the retryer knows connection errors by their type
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := &smithy.GenericAPIError{Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(data))}
		if e, perr := ec2query.GetErrorResponseComponents(bytes.NewReader(data)); perr == nil && e.Code != "" {
			apiErr = &smithy.GenericAPIError{Code: e.Code, Message: e.Message}
		}
		// The status code rides along for the retryer (5xx), the code for outcome and the
		// retryer (RequestLimitExceeded, Throttling).
		return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: apiErr}
	}
	if err := xml.Unmarshal(data, out); err != nil {
		return fmt.Errorf("ec2: reading the answer: %w", err)
	}
	return nil
}

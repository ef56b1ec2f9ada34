package preflight

import (
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Trust policies in the shapes IAM accepts (IAM JSON policy elements reference: Statement, Action
// and Principal.Service as one value or a list; Principal "*"), URL-encoded as GetRole returns them.
func TestTrustsECSTasks(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		doc  string
		want bool
	}{
		{`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, true},
		{`{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":["sts:TagSession","sts:AssumeRole"]}}`, true},
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*"}]}`, true},
		{`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false},
		{`{"Statement":[{"Effect":"Deny","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, false},
		{`not json`, false},
	} {
		for _, doc := range []string{c.doc, url.QueryEscape(c.doc), url.PathEscape(c.doc)} {
			if got := trustsECSTasks(doc); got != c.want {
				t.Errorf("trustsECSTasks(%s) = %v, want %v", doc, got, c.want)
			}
		}
	}
}

func TestSecretRef(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		from, kind string
		names      []string
	}{
		{"arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf", "secret", []string{"arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf"}},
		{"arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf:password:AWSCURRENT:", "secret", []string{"arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf"}},
		{"arn:aws:ssm:eu-west-2:123456789012:parameter/app/db", "parameter", []string{"/app/db"}},
		{"arn:aws:ssm:eu-west-2:123456789012:parameter/db", "parameter", []string{"db", "/db"}},
		{"/app/db", "parameter", []string{"/app/db"}},
		{"db", "parameter", []string{"db"}},
	} {
		kind, names := secretRef(c.from)
		if kind != c.kind || !slices.Equal(names, c.names) {
			t.Errorf("secretRef(%s) = %s %q, want %s %q", c.from, kind, names, c.kind, c.names)
		}
	}
}

func TestParseECR(t *testing.T) {
	t.Parallel()
	d := "sha256:" + "ab12"
	for _, c := range []struct {
		ref, repo, tag, digest string
		ok                     bool
	}{
		{"123456789012.dkr.ecr.eu-west-2.amazonaws.com/team/api:1.2.0@" + d, "team/api", "", d, true},
		{"123456789012.dkr.ecr.eu-west-2.amazonaws.com/api@" + d, "api", "", d, true},
		{"123456789012.dkr.ecr.eu-west-2.amazonaws.com/api:1.2.0", "api", "1.2.0", "", true},
		{"123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/api", "api", "latest", "", true},
		{"ghcr.io/acme/api:1.2.0", "", "", "", false},
		{"localhost:5000/api:1", "", "", "", false},
	} {
		img, ok := parseECR(c.ref)
		if ok != c.ok || ok && (img.repository != c.repo || aws.ToString(img.id.ImageTag) != c.tag || aws.ToString(img.id.ImageDigest) != c.digest) {
			t.Errorf("parseECR(%s) = %+v %v", c.ref, img, ok)
		}
	}
}

package registry

import (
	"testing"
)

// A host buildkitd asks credentials for is ECR when the registries input says so (even at a test's
// loopback address) or when its own name is an ECR registry's (a cache reference outside the
// registries input); anything else goes to the other logins.
func TestECRRegistry_ByTheRegistriesInputElseByName(t *testing.T) {
	t.Parallel()
	regs := []Registry{
		{Kind: ECR, Host: "127.0.0.1:5000", Account: "123456789012", Region: "eu-west-2"},
		{Kind: DockerHub, Host: "registry-1.docker.io"},
	}
	for host, want := range map[string]bool{
		"127.0.0.1:5000": true,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com": true,
		"registry-1.docker.io":                         false,
		"ghcr.io":                                      false,
	} {
		r, ok := ecrRegistry(host, regs)
		if ok != want {
			t.Errorf("%s: ECR %v, want %v", host, ok, want)
		}
		if ok && host != "127.0.0.1:5000" && r.Region != "us-east-1" {
			t.Errorf("%s: region %q, want us-east-1 from its name", host, r.Region)
		}
	}
}

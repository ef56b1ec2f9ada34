package registry

import (
	"strings"
	"testing"
)

func TestParse_Forms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Registry
		repo string
	}{
		{"docker.io/acme", Registry{Kind: DockerHub, Host: "docker.io", Namespace: "acme"}, "docker.io/acme/api"},
		{"index.docker.io/acme/", Registry{Kind: DockerHub, Host: "docker.io", Namespace: "acme"}, "docker.io/acme/api"},
		{"123456789012.dkr.ecr.eu-west-2.amazonaws.com", Registry{Kind: ECR, Host: "123456789012.dkr.ecr.eu-west-2.amazonaws.com", Account: "123456789012", Region: "eu-west-2"}, "123456789012.dkr.ecr.eu-west-2.amazonaws.com/api"},
		{"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/team", Registry{Kind: ECR, Host: "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com", Namespace: "team", Account: "123456789012", Region: "us-gov-west-1"}, "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/team/api"},
		{"ghcr.io/acme", Registry{Kind: Generic, Host: "ghcr.io", Namespace: "acme"}, "ghcr.io/acme/api"},
		{"127.0.0.1:5000", Registry{Kind: Generic, Host: "127.0.0.1:5000"}, "127.0.0.1:5000/api"},
		{"localhost:5000/a/b", Registry{Kind: Generic, Host: "localhost:5000", Namespace: "a/b"}, "localhost:5000/a/b/api"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		got.Raw = ""
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.in, got, tt.want)
		}
		if r := got.Repository("api"); r != tt.repo {
			t.Errorf("%s: repository %s, want %s", tt.in, r, tt.repo)
		}
	}
}

func TestParseAll_UnknownFormsNamedAtOnce(t *testing.T) {
	t.Parallel()
	_, errs := ParseAll([]string{
		"https://ghcr.io/acme", "acme", "docker.io", "Docker.io/acme", "123.dkr.ecr.eu-west-2.amazonaws.com",
		"ghcr.io/Acme", "ghcr.io/acme", "ghcr.io/acme/", "docker.io/acme/team",
	})
	want := []string{
		`registry "https://ghcr.io/acme": write the host without a scheme, e.g. ghcr.io/acme`,
		`registry "acme": "acme" is not a host (a registry has a dot or a port: for Docker Hub write docker.io/acme)`,
		`registry "docker.io": Docker Hub needs a namespace`,
		`registry "Docker.io/acme": the host must be lower case`,
		`registry "123.dkr.ecr.eu-west-2.amazonaws.com": looks like ECR`,
		`registry "ghcr.io/Acme": namespace "Acme"`,
		`registry "ghcr.io/acme/" is given twice`,
		`registry "docker.io/acme/team": Docker Hub repositories are <namespace>/<name>`,
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(errs), len(want), errs)
	}
	for i, w := range want {
		if !strings.Contains(errs[i].Error(), w) {
			t.Errorf("error %d = %v, want %s", i, errs[i], w)
		}
	}
}

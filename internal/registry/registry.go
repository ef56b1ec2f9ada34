package registry

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/slipway-actions/slipway/internal/registryauth"
)

// Kind is the kind of a registry, which decides how slipway logs in.
type Kind int

const (
	Generic   Kind = iota // any registry: username/password or the docker config
	DockerHub             // docker.io/<namespace>
	ECR                   // <account>.dkr.ecr.<region>.amazonaws.com: a token from AWS
)

func (k Kind) String() string {
	return [...]string{"registry", "Docker Hub", "ECR"}[k]
}

// Registry is one entry of the registries input.
type Registry struct {
	Raw       string // as the user wrote it
	Kind      Kind
	Host      string // docker.io, 123456789012.dkr.ecr.eu-west-2.amazonaws.com, 127.0.0.1:5000
	Namespace string // the path under the host that image names go below; may be empty
	Account   string // ECR
	Region    string // ECR
}

var (
	ecrHost  = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$`)
	hostPart = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::\d{1,5})?$`)
	pathPart = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
)

// Parse reads one registry: docker.io/acme, 123456789012.dkr.ecr.eu-west-2.amazonaws.com[/team],
// ghcr.io/acme, 127.0.0.1:5000[/ns]. A form slipway cannot place is an error that says what to write.
func Parse(s string) (Registry, error) {
	raw := s
	s = strings.TrimSuffix(strings.TrimSpace(s), "/")
	fail := func(format string, args ...any) (Registry, error) {
		return Registry{}, fmt.Errorf("registry %q: %s", raw, fmt.Sprintf(format, args...))
	}
	if strings.Contains(s, "://") {
		return fail("write the host without a scheme, e.g. %s", s[strings.Index(s, "://")+3:])
	}
	if strings.ContainsAny(s, " \t@:") && !hostPart.MatchString(strings.SplitN(s, "/", 2)[0]) {
		return fail("not a registry host[/namespace]")
	}
	host, ns, _ := strings.Cut(s, "/")
	if host != strings.ToLower(host) {
		return fail("the host must be lower case")
	}
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		return fail("%q is not a host (a registry has a dot or a port: for Docker Hub write docker.io/%s)", host, s)
	}
	if !hostPart.MatchString(host) {
		return fail("%q is not a registry host", host)
	}
	for _, p := range strings.Split(ns, "/") {
		if ns != "" && !pathPart.MatchString(p) {
			return fail("namespace %q: lower case letters, digits and . _ - only", ns)
		}
	}
	r := Registry{Raw: raw, Kind: Generic, Host: host, Namespace: ns}
	switch {
	case registryauth.Host(host) == registryauth.DockerHub: // any of Docker Hub's names
		r.Kind, r.Host = DockerHub, registryauth.DockerHub
		if ns == "" {
			return fail("Docker Hub needs a namespace: docker.io/<user or organisation>")
		}
		if strings.Contains(ns, "/") {
			return fail("Docker Hub repositories are <namespace>/<name>: give only the namespace")
		}
	default:
		if m := ecrHost.FindStringSubmatch(host); m != nil {
			r.Kind, r.Account, r.Region = ECR, m[1], m[2]
		} else if strings.Contains(host, ".amazonaws.com") {
			return fail("looks like ECR but is not <12-digit account>.dkr.ecr.<region>.amazonaws.com")
		}
	}
	return r, nil
}

// ParseAll reads every registry and reports every bad one; the same registry twice is an error.
func ParseAll(list []string) ([]Registry, []error) {
	var out []Registry
	var errs []error
	seen := map[string]bool{}
	for _, s := range list {
		r, err := Parse(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[r.String()] {
			errs = append(errs, fmt.Errorf("registry %q is given twice", s))
			continue
		}
		seen[r.String()] = true
		out = append(out, r)
	}
	return out, errs
}

// String is the registry as host[/namespace].
func (r Registry) String() string {
	if r.Namespace == "" {
		return r.Host
	}
	return r.Host + "/" + r.Namespace
}

// RepositoryPath is the repository of an image inside the registry (no host): acme/api.
func (r Registry) RepositoryPath(image string) string {
	if r.Namespace == "" {
		return image
	}
	return r.Namespace + "/" + image
}

// Repository is the image's full repository name: docker.io/acme/api.
func (r Registry) Repository(image string) string {
	return r.Host + "/" + r.RepositoryPath(image)
}

// Ref is the full reference of one tag.
func (r Registry) Ref(image, tag string) string { return r.Repository(image) + ":" + tag }

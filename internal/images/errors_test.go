package images

import (
	"strings"
	"testing"
)

// The engine's words for a FROM image it could not pull name the right base, whole; a failed step
// is never taken for one.
func TestBaseImageError_NamesTheBaseTheEngineCouldNotPull(t *testing.T) {
	t.Parallel()
	digest := "sha256:" + strings.Repeat("b", 64)
	tests := []struct {
		name   string
		msg    string
		bases  []string
		image  string // "" when it is no BaseImageError
		reason BaseImageReason
	}{
		{name: "BuildKit, missing, the longer of two names",
			msg:   "failed to solve with frontend dockerfile.v0: failed to create LLB definition: docker.io/library/python:3.12-slimm: not found",
			bases: []string{"python:3.12", "python:3.12-slimm"}, image: "python:3.12-slimm", reason: BaseImageMissing},
		{name: "BuildKit, missing, another registry's image of the same name",
			msg:   "failed to solve: failed to create LLB definition: ghcr.io/acme/python:3.12: not found",
			bases: []string{"python:3.12", "ghcr.io/acme/python:3.12"}, image: "ghcr.io/acme/python:3.12", reason: BaseImageMissing},
		{name: "BuildKit, refused, told apart by the tag",
			msg:   "failed to solve with frontend dockerfile.v0: failed to create LLB definition: pulling from host reg:5000 failed with status code [manifests 2]: 401 Unauthorized",
			bases: []string{"reg:5000/team/a:1", "reg:5000/team/b:2"}, image: "reg:5000/team/b:2", reason: BaseImageRefused},
		{name: "BuildKit, refused, two bases fit",
			msg:   "failed to create LLB definition: pulling from host reg:5000 failed with status code [manifests 1]: 401 Unauthorized",
			bases: []string{"reg:5000/team/a:1", "reg:5000/team/b:1"}, image: "reg:5000/team/a:1 or reg:5000/team/b:1", reason: BaseImageRefused},
		{name: "BuildKit, refused by Docker Hub, by digest",
			msg:   "failed to create LLB definition: pulling from host registry-1.docker.io failed with status code [manifests " + digest + "]: 401 Unauthorized",
			bases: []string{"python", "acme/x@" + digest}, image: "acme/x@" + digest, reason: BaseImageRefused},
		{name: "classic, missing",
			msg:   "manifest for 127.0.0.1:5000/slipway-test/never-pushed:1 not found: manifest unknown: manifest unknown",
			bases: []string{"127.0.0.1:5000/slipway-test/never-pushed:1"}, image: "127.0.0.1:5000/slipway-test/never-pushed:1", reason: BaseImageMissing},
		{name: "classic, Docker Hub cannot tell missing from private",
			msg:   "pull access denied for pyhton, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
			bases: []string{"pyhton:3.12"}, image: "pyhton:3.12", reason: BaseImageAmbiguous},
		{name: "classic, Docker Hub's refusal fits two bases of one repository",
			msg:   "pull access denied for acme/base, repository does not exist or may require 'docker login'",
			bases: []string{"acme/base:1", "python:3.12", "acme/base:2-slim"}, image: "acme/base:1 or acme/base:2-slim", reason: BaseImageAmbiguous},
		{name: "classic, no login",
			msg:   `Head "http://127.0.0.1:5000/v2/team/base/manifests/1": no basic auth credentials`,
			bases: []string{"127.0.0.1:5000/team/base:2", "127.0.0.1:5000/team/base:1"}, image: "127.0.0.1:5000/team/base:1", reason: BaseImageRefused},
		{name: "a RUN step that printed such words",
			msg:   `process "/bin/sh -c curl http://reg/v2/python:3.12 not found" did not complete successfully: exit code: 1`,
			bases: []string{"python:3.12"}},
		{name: "the classic builder's failed step",
			msg:   "The command '/bin/sh -c pip install x' returned a non-zero code: 1 (manifest for python:3.12 not found)",
			bases: []string{"python:3.12"}},
		{name: "words that name none of the bases",
			msg:   "failed to create LLB definition: ghcr.io/acme/tools:1: not found",
			bases: []string{"python:3.12"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := baseImageError(tt.msg, tt.bases)
			switch {
			case tt.image == "" && be != nil:
				t.Errorf("got %+v, want none", be)
			case tt.image == "":
			case be == nil:
				t.Errorf("got none, want %s", tt.image)
			case be.Image != tt.image || be.Reason != tt.reason:
				t.Errorf("got %s (%d), want %s (%d)", be.Image, be.Reason, tt.image, tt.reason)
			}
		})
	}
}

// Whatever the engine says, the image named is one of the bases (or several of them) and nothing
// panics.
func FuzzBaseImageError(f *testing.F) {
	f.Add("failed to create LLB definition: docker.io/library/python:3.12: not found", "python:3.12")
	f.Add("failed to create LLB definition: pulling from host h:1 failed with status code [manifests t]: 401 Unauthorized", "h:1/x:t")
	f.Add("pull access denied for x, repository does not exist or may require 'docker login'", "x")
	f.Fuzz(func(t *testing.T, msg, base string) {
		be := baseImageError(msg, []string{base, "python:3.12"})
		if be == nil {
			return
		}
		for _, img := range strings.Split(be.Image, " or ") {
			if img != base && img != "python:3.12" {
				t.Fatalf("named %q, not a base", be.Image)
			}
		}
	})
}

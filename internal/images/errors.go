package images

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"

	"github.com/slipway-actions/slipway/internal/registryauth"

	"github.com/slipway-actions/slipway/internal/failure"
)

// BuildError is a build that ran and failed: a step of the user's Dockerfile, as the engine's build
// stream reported it. Anything else that stops a build (an unreachable engine, a broken stream) is
// returned as it is.
type BuildError struct{ Message string }

func (e *BuildError) Error() string { return e.Message }

// FailureClass: a Dockerfile step failed, the user's build: a failure of the checked thing.
func (e *BuildError) FailureClass() failure.Class { return failure.Checked }

// BaseImageReason says why a build could not pull a base image, in the terms a user acts on.
type BaseImageReason int

// Why a base image could not be pulled.
const (
	BaseImageMissing   BaseImageReason = iota + 1 // the registry has no such image
	BaseImageRefused                              // the registry refused us: no login, or one that may not pull it
	BaseImageAmbiguous                            // Docker Hub's answer for a missing or a private image alike
)

// BaseImageError is a build that stopped before its first step: the image a FROM line names could
// not be pulled. Nothing of the user's Dockerfile ran; the image reference or the login is wrong.
type BaseImageError struct {
	Image   string // the FROM image, as the Dockerfile names it after its ARGs (several joined by " or " when the engine's words fit each)
	Reason  BaseImageReason
	Message string // the engine's words
}

// FailureClass: a FROM image that does not exist or that its registry refused is the user's to
// fix; nothing ran.
func (e *BaseImageError) FailureClass() failure.Class { return failure.Input }

func (e *BaseImageError) Error() string {
	switch e.Reason {
	case BaseImageRefused:
		return fmt.Sprintf("base image %s: its registry refused us — log in to it before this step (docker/login-action), or give a login for it: %s", e.Image, e.Message)
	case BaseImageAmbiguous:
		return fmt.Sprintf("base image %s does not exist, or it is private and we have no login for it (Docker Hub answers both alike): %s", e.Image, e.Message)
	}
	return fmt.Sprintf("base image %s does not exist — check the FROM line's name and tag: %s", e.Image, e.Message)
}

// buildKitRefusal is BuildKit's refusal, which names the registry and the tag but not the image.
var (
	buildKitRefusal = regexp.MustCompile(`pulling from host (\S+) failed with status code \[manifests ([^\]]+)\]`)
	registryURL     = regexp.MustCompile(`https?://([^/\s"]+)/v2/(\S+)/manifests/([^/\s"]+)`)
)

// baseImageError reads the engine's words for a FROM image it could not pull, among the images the
// Dockerfile's FROM lines pull: BuildKit's "failed to create LLB definition: IMAGE: not found" or
// "pulling from host HOST failed with status code [manifests TAG]: 401 Unauthorized", the classic
// builder's pull errors. nil for anything else: a step that failed, or words that name none of the
// bases.
func baseImageError(msg string, bases []string) *BaseImageError {
	low := strings.ToLower(msg)
	if strings.HasPrefix(msg, `process "`) || strings.HasPrefix(msg, "The command '") || strings.Contains(low, "did not complete successfully") {
		return nil // a RUN step
	}
	if !strings.Contains(low, "failed to create llb definition") && !strings.Contains(low, "failed to resolve source metadata") &&
		!strings.Contains(low, "pull access denied") && !strings.Contains(low, "manifest for ") && !strings.Contains(low, "/v2/") {
		return nil
	}
	var reason BaseImageReason
	switch {
	case strings.Contains(low, "repository does not exist or may require"):
		reason = BaseImageAmbiguous
	case strings.Contains(low, "not found") || strings.Contains(low, "manifest unknown") || strings.Contains(low, "name unknown"):
		reason = BaseImageMissing
	case strings.Contains(low, "401 unauthorized") || strings.Contains(low, "403 forbidden") || strings.Contains(low, "no basic auth credentials") ||
		strings.Contains(low, "pull access denied") || strings.Contains(low, "unauthorized:") || strings.Contains(low, "denied:"):
		reason = BaseImageRefused
	default:
		return nil
	}
	// The words name the image in one of its forms: the longest form named wins, so python:3.12
	// never takes the blame for python:3.12-slim; bases named alike (Docker Hub's refusal names the
	// repository only) are all named.
	var best []string
	bestLen := 0
	for _, b := range bases {
		for _, form := range imageForms(b) {
			if len(form) < bestLen || !namesWhole(msg, form) {
				continue
			}
			if len(form) > bestLen {
				best, bestLen = nil, len(form)
			}
			if !slices.Contains(best, b) {
				best = append(best, b)
			}
		}
	}
	if len(best) > 0 {
		return &BaseImageError{Image: strings.Join(best, " or "), Reason: reason, Message: msg}
	}
	// A registry URL names the image as host, repository path and tag.
	if m := registryURL.FindStringSubmatch(msg); m != nil {
		for _, b := range bases {
			if ref, err := reference.ParseNormalizedNamed(b); err == nil && refMatches(ref, m[1], m[3]) && reference.Path(ref) == m[2] {
				return &BaseImageError{Image: b, Reason: reason, Message: msg}
			}
		}
	}
	// BuildKit's refusal names the registry and the tag only.
	if m := buildKitRefusal.FindStringSubmatch(msg); m != nil {
		var fit []string
		for _, b := range bases {
			if ref, err := reference.ParseNormalizedNamed(b); err == nil && refMatches(ref, m[1], m[2]) {
				fit = append(fit, b)
			}
		}
		if len(fit) > 0 {
			return &BaseImageError{Image: strings.Join(fit, " or "), Reason: reason, Message: msg}
		}
	}
	return nil
}

// refMatches reports whether ref is pulled from host by tag (or digest). The engine names Docker
// Hub by the host it talks to, which the reference calls docker.io.
func refMatches(ref reference.Named, host, tag string) bool {
	want := "latest"
	if t, ok := ref.(reference.Tagged); ok {
		want = t.Tag()
	}
	if d, ok := ref.(reference.Digested); ok {
		want = d.Digest().String()
	}
	return registryauth.Host(reference.Domain(ref)) == registryauth.Host(host) && want == tag
}

// imageForms are the ways the engine may write an image: as given, fully qualified, and (the classic
// builder's Docker Hub refusal) its repository without a tag.
func imageForms(img string) []string {
	forms := []string{img}
	if ref, err := reference.ParseNormalizedNamed(img); err == nil {
		forms = append(forms, reference.TagNameOnly(ref).String(), ref.Name(), reference.FamiliarName(ref))
	}
	return forms
}

// namesWhole reports whether msg holds form as a whole reference: not inside a longer name or tag.
func namesWhole(msg, form string) bool {
	if form == "" {
		return false
	}
	for i := 0; i < len(msg); {
		j := strings.Index(msg[i:], form)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(form)
		before := start == 0 || strings.ContainsRune(" \"'(", rune(msg[start-1]))
		after := end == len(msg) || strings.ContainsRune(" \"'),", rune(msg[end])) ||
			msg[end] == ':' && (end+1 == len(msg) || msg[end+1] == ' ')
		if before && after {
			return true
		}
		i = start + 1
	}
	return false
}

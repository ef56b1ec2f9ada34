package images

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// BuildError is a build that ran and failed: a step of the user's Dockerfile, as the engine's build
// stream reported it. Anything else that stops a build (an unreachable engine, a broken stream) is
// returned as it is.
type BuildError struct{ Message string }

func (e *BuildError) Error() string { return e.Message }

// BaseImageReason says why a build could not pull a base image, in the terms a user acts on.
type BaseImageReason int

// Why a base image could not be pulled.
const (
	BaseImageMissing BaseImageReason = iota + 1 // the registry has no such image
	BaseImageRefused                            // the registry refused us: no login, or one that may not pull it
)

// BaseImageError is a build that stopped before its first step: the image a FROM line names could
// not be pulled. Nothing of the user's Dockerfile ran; the image reference or the login is wrong.
type BaseImageError struct {
	Image   string
	Reason  BaseImageReason
	Message string // the engine's words
}

func (e *BaseImageError) Error() string {
	if e.Reason == BaseImageRefused {
		return fmt.Sprintf("base image %s: its registry refused us — log in to it before this step (docker/login-action), or give a login for it: %s", e.Image, e.Message)
	}
	return fmt.Sprintf("base image %s does not exist — check the FROM line's name and tag: %s", e.Image, e.Message)
}

// baseImageError reads the engine's words for a FROM image it could not pull, among the bases the
// Dockerfile names: BuildKit's "failed to create LLB definition: IMAGE: not found" or "pulling from
// host HOST failed with status code [manifests TAG]: 401 Unauthorized", the classic builder's pull
// errors. nil for anything else, and for words that name none of the bases.
func baseImageError(msg string, bases []string) *BaseImageError {
	low := strings.ToLower(msg)
	var reason BaseImageReason
	switch {
	case strings.Contains(low, "not found") || strings.Contains(low, "manifest unknown") || strings.Contains(low, "name unknown"):
		reason = BaseImageMissing
	case strings.Contains(low, "401 unauthorized") || strings.Contains(low, "403 forbidden") || strings.Contains(low, "no basic auth credentials") ||
		strings.Contains(low, "pull access denied") || strings.Contains(low, "unauthorized:") || strings.Contains(low, "denied:"):
		reason = BaseImageRefused
	default:
		return nil
	}
	if !strings.Contains(low, "failed to create llb definition") && !strings.Contains(low, "failed to resolve source metadata") &&
		!strings.Contains(low, "pull access denied") && !strings.Contains(low, "manifest for ") && !strings.Contains(low, "/v2/") {
		return nil // a step of the Dockerfile that failed with these words, not a pull
	}
	// The words name the image, or its registry and tag (BuildKit's refusal names only those).
	for _, b := range bases {
		if strings.Contains(msg, b) {
			return &BaseImageError{Image: b, Reason: reason, Message: msg}
		}
	}
	for _, b := range bases {
		ref, err := reference.ParseNormalizedNamed(b)
		if err != nil {
			continue
		}
		tag := "latest"
		if t, ok := ref.(reference.Tagged); ok {
			tag = t.Tag()
		}
		if strings.Contains(msg, reference.Domain(ref)) && (strings.Contains(msg, tag) || strings.Contains(msg, reference.Path(ref))) {
			return &BaseImageError{Image: b, Reason: reason, Message: msg}
		}
	}
	return nil
}

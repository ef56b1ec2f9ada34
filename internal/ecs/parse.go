package ecs

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/google/go-containerregistry/pkg/name"
)

// ParseImages reads the images input: "container=image" lines, a JSON object {container: image},
// or build-push-images' images output (a JSON list of {name, image} or {name, tags, digest}, where
// the image pinned by digest is used).
func ParseImages(lines []string) (map[string]string, error) {
	images, err := readImages(lines)
	if images == nil {
		return nil, err
	}
	out := map[string]string{}
	for _, im := range images {
		out[im.container] = im.ref
	}
	return out, err
}

// image is one container's line of the images input: the reference it gets, and every reference
// it was given or pushed as (a pinned image's tags), which say which release it is.
type image struct {
	container, ref string
	tags           []string
}

// readImages reads the images input in any of its shapes; nil only when it is not JSON of one.
func readImages(lines []string) ([]image, error) {
	text := strings.TrimSpace(strings.Join(lines, "\n"))
	var out []image
	if text == "" {
		return out, nil
	}
	switch text[0] {
	case '{':
		var m map[string]string
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			return nil, fmt.Errorf("not a JSON object of container to image: %w", err)
		}
		for _, c := range slices.Sorted(maps.Keys(m)) {
			out = append(out, image{container: c, ref: m[c], tags: []string{m[c]}})
		}
		return out, nil
	case '[':
		var list []struct {
			Name   string   `json:"name"`
			Image  string   `json:"image"`
			Tags   []string `json:"tags"`
			Digest string   `json:"digest"`
		}
		if err := json.Unmarshal([]byte(text), &list); err != nil {
			return nil, fmt.Errorf("not the images output of build-push-images: %w", err)
		}
		var errs []error
		for _, im := range list {
			switch {
			case im.Name == "":
				errs = append(errs, errors.New("an image has no name"))
			case im.Image != "":
				out = append(out, image{container: im.Name, ref: im.Image, tags: []string{im.Image}})
			case len(im.Tags) > 0 && im.Digest != "":
				ref, err := pinned(im.Tags[0], im.Digest)
				if err != nil {
					errs = append(errs, fmt.Errorf("image %q: %w", im.Name, err))
				}
				out = append(out, image{container: im.Name, ref: ref, tags: im.Tags})
			case len(im.Tags) > 0:
				out = append(out, image{container: im.Name, ref: im.Tags[0], tags: im.Tags})
			default:
				errs = append(errs, fmt.Errorf("image %q has neither image nor tags", im.Name))
			}
		}
		return out, errors.Join(errs...)
	}
	var errs []error
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		name, img, ok := strings.Cut(l, "=")
		if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(img) == "" {
			errs = append(errs, fmt.Errorf("%q is not container=image", l))
			continue
		}
		img = strings.TrimSpace(img)
		out = append(out, image{container: strings.TrimSpace(name), ref: img, tags: []string{img}})
	}
	return out, errors.Join(errs...)
}

// pinned is the reference repository@digest of a pushed tag. go-containerregistry parses the tag, so
// a registry's port is never taken for a tag, and checks the digest; no default registry is added.
func pinned(tag, digest string) (string, error) {
	ref, err := name.ParseReference(tag, name.WithDefaultRegistry(""))
	if err != nil {
		return "", err
	}
	d, err := name.NewDigest(ref.Context().Name()+"@"+digest, name.WithDefaultRegistry(""))
	if err != nil {
		return "", fmt.Errorf("digest %q: %w", digest, err)
	}
	return d.Name(), nil
}

// ParseEnvironment reads "container.NAME=value" lines. A malformed line is never echoed, since it
// may hold a secret: the error names the variable when the text before "=" is a plain name, else
// nothing of the line.
func ParseEnvironment(lines []string) (map[string]map[string]string, error) {
	return parseVariables(lines, "value", func(string) error { return nil })
}

// ParseSecrets reads "container.NAME=ARN" lines: each ARN is a Secrets Manager secret
// (arn:aws:secretsmanager:…:secret:…, optionally with :json-key:version-stage:version-id) or an SSM
// parameter (arn:aws:ssm:…:parameter/…), rendered as the container's secrets (valueFrom). ECS
// resolves them when a task starts, with the task execution role; slipway never reads them. A value
// that is not such an ARN may be a secret pasted in the wrong input: it is not echoed either.
func ParseSecrets(lines []string) (map[string]map[string]string, error) {
	return parseVariables(lines, "ARN", func(v string) error {
		a, err := arn.Parse(v)
		switch {
		case err != nil:
		case a.Service == "secretsmanager" && strings.HasPrefix(a.Resource, "secret:"):
			return nil
		case a.Service == "ssm" && strings.HasPrefix(a.Resource, "parameter/"):
			return nil
		}
		return errors.New("is not the ARN of a Secrets Manager secret (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME) " +
			"nor of an SSM parameter (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME); the value is not shown")
	})
}

// plainName is text that may be shown from a malformed line: a name, never a value.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

func parseVariables(lines []string, what string, check func(string) error) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var errs []error
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		key, val, hasValue := strings.Cut(l, "=")
		key = strings.TrimSpace(key)
		container, name, dotted := strings.Cut(key, ".")
		switch {
		case !hasValue || !plainName.MatchString(key):
			errs = append(errs, fmt.Errorf("line %d is not container.NAME=%s (the line is not shown: it may hold a secret)", i+1, what))
			continue
		case !dotted || container == "" || name == "" || strings.Contains(name, "."):
			errs = append(errs, fmt.Errorf("line %d: %q is not container.NAME (e.g. api.%s=…)", i+1, key, strings.TrimPrefix(key, ".")))
			continue
		}
		if err := check(strings.TrimSpace(val)); err != nil {
			errs = append(errs, fmt.Errorf("%s %w", key, err))
			continue
		}
		if out[container] == nil {
			out[container] = map[string]string{}
		}
		if what == "ARN" {
			val = strings.TrimSpace(val)
		}
		out[container][name] = val
	}
	return out, errors.Join(errs...)
}

// ParseResults reads the results output of a deploy as rollback targets: each service goes back to
// its previous-task-definition-arn while it still runs its task-definition-arn. A service the deploy
// set no revision for (NOT_STARTED, DRY_RUN) is a target with no Expected, reported as skipped.
func ParseResults(text string) ([]Target, error) {
	var results []ServiceResult
	if err := json.Unmarshal([]byte(text), &results); err != nil {
		return nil, fmt.Errorf("not the results output of an ecs-deploy run: %w", err)
	}
	var targets []Target
	var errs []error
	for i, r := range results {
		switch {
		case r.Service == "":
			errs = append(errs, fmt.Errorf("entry %d has no service", i+1))
		case r.TaskDefinitionARN != "" && r.PreviousTaskDefinitionARN == "":
			errs = append(errs, fmt.Errorf("service %s has no previous-task-definition-arn to go back to", r.Service))
		default:
			targets = append(targets, Target{Service: r.Service, Expected: r.TaskDefinitionARN, Previous: r.PreviousTaskDefinitionARN})
		}
	}
	if len(targets) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("lists no service"))
	}
	return targets, errors.Join(errs...)
}

// ParseExpected reads rollback targets from "service=family:revision" lines (or a task definition
// ARN after "="): the revision the service is expected to run. It goes back to the ACTIVE revision of
// that family just before it.
func ParseExpected(lines []string) ([]Target, error) {
	var targets []Target
	var errs []error
	for _, l := range lines {
		service, expected, _ := strings.Cut(l, "=")
		service, expected = strings.TrimSpace(service), strings.TrimSpace(expected)
		if _, _, err := familyRevision(expected); service == "" || err != nil {
			errs = append(errs, fmt.Errorf("%q is not service=family:revision (the revision the deploy set, e.g. api=example-api:42)", l))
			continue
		}
		targets = append(targets, Target{Service: service, Expected: expected})
	}
	return targets, errors.Join(errs...)
}

// familyRevision splits "family:revision" or a task definition ARN.
func familyRevision(ref string) (string, int, error) {
	family, rev, ok := strings.Cut(lastPart(ref), ":")
	n, err := strconv.Atoi(rev)
	if !ok || family == "" || err != nil || n < 1 {
		return "", 0, fmt.Errorf("%q is not a task definition revision (family:revision or its ARN)", ref)
	}
	return family, n, nil
}

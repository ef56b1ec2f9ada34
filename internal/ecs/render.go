package ecs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/pmezard/go-difflib/difflib"
)

// readOnly are the fields `aws ecs describe-task-definition` prints that RegisterTaskDefinition
// does not take.
var readOnly = []string{"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
	"registeredAt", "registeredBy", "deregisteredAt"}

// ReadTaskDefinition reads a task definition file in either shape: the output of
// `aws ecs describe-task-definition` ({"taskDefinition": {...}, "tags": [...]}) or the input of
// register-task-definition. Read-only fields are dropped; any other unknown field is an error, so
// a typo does not silently vanish.
func ReadTaskDefinition(path string) (*ecs.RegisterTaskDefinitionInput, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("%s is not JSON: %w", path, err)
	}
	if inner, ok := top["taskDefinition"]; ok {
		tags := top["tags"]
		top = nil
		if err := json.Unmarshal(inner, &top); err != nil {
			return nil, fmt.Errorf("%s: taskDefinition: %w", path, err)
		}
		if tags != nil {
			top["tags"] = tags
		}
	}
	for _, k := range readOnly {
		delete(top, k)
	}
	clean, _ := json.Marshal(top)
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.DisallowUnknownFields()
	var in ecs.RegisterTaskDefinitionInput
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if in.Family == nil || *in.Family == "" || len(in.ContainerDefinitions) == 0 {
		return nil, fmt.Errorf("%s: a task definition needs family and containerDefinitions", path)
	}
	return &in, nil
}

// FromDescribed turns a registered task definition back into register input, for diffs.
func FromDescribed(td *types.TaskDefinition) *ecs.RegisterTaskDefinitionInput {
	b, _ := json.Marshal(td)
	var in ecs.RegisterTaskDefinitionInput
	_ = json.Unmarshal(b, &in)
	return &in
}

// Render sets images (container name → image) and environment variables (container name → name →
// value) in a copy of the task definition. It returns the containers of images and env that the task
// definition does not have.
func Render(td *ecs.RegisterTaskDefinitionInput, images map[string]string, env map[string]map[string]string) (*ecs.RegisterTaskDefinitionInput, []string) {
	out := clone(td)
	have := map[string]bool{}
	for i := range out.ContainerDefinitions {
		c := &out.ContainerDefinitions[i]
		name := aws.ToString(c.Name)
		have[name] = true
		if img, ok := images[name]; ok {
			c.Image = aws.String(img)
		}
		for k, v := range env[name] {
			i := slices.IndexFunc(c.Environment, func(kv types.KeyValuePair) bool { return aws.ToString(kv.Name) == k })
			if i >= 0 {
				c.Environment[i].Value = aws.String(v)
			} else {
				c.Environment = append(c.Environment, types.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
			}
		}
		sort.SliceStable(c.Environment, func(a, b int) bool {
			return aws.ToString(c.Environment[a].Name) < aws.ToString(c.Environment[b].Name)
		})
	}
	var missing []string
	for name := range images {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	for name := range env {
		if !have[name] && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	return out, missing
}

func clone(td *ecs.RegisterTaskDefinitionInput) *ecs.RegisterTaskDefinitionInput {
	b, _ := json.Marshal(td)
	var out ecs.RegisterTaskDefinitionInput
	_ = json.Unmarshal(b, &out)
	return &out
}

// Containers lists a task definition's container names.
func Containers(td *ecs.RegisterTaskDefinitionInput) []string {
	var out []string
	for _, c := range td.ContainerDefinitions {
		out = append(out, aws.ToString(c.Name))
	}
	return out
}

// Diff is a unified diff of two task definitions as indented JSON; "" when they are the same.
func Diff(from, to *ecs.RegisterTaskDefinitionInput, fromName, toName string) string {
	a, b := canonical(from), canonical(to)
	if a == b {
		return ""
	}
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(a), B: difflib.SplitLines(b), FromFile: fromName, ToFile: toName, Context: 3,
	})
	if err != nil {
		return err.Error()
	}
	return d
}

// canonical is indented JSON without empty values, so a registered definition and a file that
// differ only in defaults ECS fills in do not show as changes.
func canonical(td *ecs.RegisterTaskDefinitionInput) string {
	if td == nil {
		return ""
	}
	b, _ := json.Marshal(td)
	var v any
	_ = json.Unmarshal(b, &v)
	v = prune(v)
	out, _ := json.MarshalIndent(v, "", "  ")
	return string(out) + "\n"
}

func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			e = prune(e)
			if isEmpty(e) {
				delete(v, k)
			} else {
				v[k] = e
			}
		}
		return v
	case []any:
		for i := range v {
			v[i] = prune(v[i])
		}
		return v
	}
	return v
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case bool:
		return !v
	case float64:
		return v == 0
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// ParseImages reads the images input: "container=image" lines, a JSON object {container: image},
// or build-push-images' images output (a JSON list of {name, image} or {name, tags, digest}, where
// the image pinned by digest is used).
func ParseImages(lines []string) (map[string]string, error) {
	text := strings.TrimSpace(strings.Join(lines, "\n"))
	out := map[string]string{}
	if text == "" {
		return out, nil
	}
	switch text[0] {
	case '{':
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			return nil, fmt.Errorf("not a JSON object of container to image: %w", err)
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
				out[im.Name] = im.Image
			case len(im.Tags) > 0 && im.Digest != "":
				out[im.Name] = repository(im.Tags[0]) + "@" + im.Digest
			case len(im.Tags) > 0:
				out[im.Name] = im.Tags[0]
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
		out[strings.TrimSpace(name)] = strings.TrimSpace(img)
	}
	return out, errors.Join(errs...)
}

// repository strips the tag from an image reference (a port in the registry host is not a tag).
func repository(ref string) string {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}

// ParseEnvironment reads "container.NAME=value" lines.
func ParseEnvironment(lines []string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var errs []error
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		key, val, ok := strings.Cut(l, "=")
		container, name, ok2 := strings.Cut(strings.TrimSpace(key), ".")
		if !ok || !ok2 || container == "" || name == "" {
			errs = append(errs, fmt.Errorf("%q is not container.NAME=value", l))
			continue
		}
		if out[container] == nil {
			out[container] = map[string]string{}
		}
		out[container][name] = val
	}
	return out, errors.Join(errs...)
}

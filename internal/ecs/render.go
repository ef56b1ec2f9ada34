package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
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

// Render sets images (container name → image), environment variables and secrets (container
// name → variable name → value, or → the ARN ECS reads it from) in a copy of the task definition. A
// variable the inputs name replaces one of that name in either list: a value moved into a secret
// does not stay behind in the environment. It returns the containers of images, env and secrets that
// the task definition does not have.
func Render(td *ecs.RegisterTaskDefinitionInput, images map[string]string, env, secrets map[string]map[string]string) (*ecs.RegisterTaskDefinitionInput, []string) {
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
			c.Secrets = slices.DeleteFunc(c.Secrets, func(s types.Secret) bool { return aws.ToString(s.Name) == k })
			c.Environment = slices.DeleteFunc(c.Environment, func(kv types.KeyValuePair) bool { return aws.ToString(kv.Name) == k })
			c.Environment = append(c.Environment, types.KeyValuePair{Name: aws.String(k), Value: aws.String(v)})
		}
		for k, from := range secrets[name] {
			c.Environment = slices.DeleteFunc(c.Environment, func(kv types.KeyValuePair) bool { return aws.ToString(kv.Name) == k })
			c.Secrets = slices.DeleteFunc(c.Secrets, func(s types.Secret) bool { return aws.ToString(s.Name) == k })
			c.Secrets = append(c.Secrets, types.Secret{Name: aws.String(k), ValueFrom: aws.String(from)})
		}
		slices.SortStableFunc(c.Environment, func(a, b types.KeyValuePair) int { return strings.Compare(aws.ToString(a.Name), aws.ToString(b.Name)) })
		slices.SortStableFunc(c.Secrets, func(a, b types.Secret) int { return strings.Compare(aws.ToString(a.Name), aws.ToString(b.Name)) })
	}
	var missing []string
	for _, name := range slices.Concat(keys(images), keys(env), keys(secrets)) {
		if !have[name] && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	slices.Sort(missing)
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

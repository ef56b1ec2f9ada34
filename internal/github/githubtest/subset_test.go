package githubtest

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// contractOperations are the operations of GitHub's description that slipway calls, by path.
var contractOperations = map[string][]string{
	"/repos/{owner}/{repo}/check-runs":                           {"post"},
	"/repos/{owner}/{repo}/check-runs/{check_run_id}":            {"patch"},
	"/repos/{owner}/{repo}/deployments":                          {"post"},
	"/repos/{owner}/{repo}/deployments/{deployment_id}/statuses": {"post"},
	"/repos/{owner}/{repo}/issues/comments/{comment_id}":         {"patch"},
	"/repos/{owner}/{repo}/issues/{issue_number}/comments":       {"get", "post"},
	"/repos/{owner}/{repo}/pulls/comments/{comment_id}":          {"delete"},
	"/repos/{owner}/{repo}/pulls/{pull_number}/comments":         {"get"},
	"/repos/{owner}/{repo}/pulls/{pull_number}/reviews":          {"post"},
}

// The copy is closed and minimal: every reference resolves inside it, nothing unreferenced is
// kept, only contractOperations are there, and nothing subset leaves out was left in.
func TestContract_TestdataIsItsOwnSubset(t *testing.T) {
	t.Parallel()
	want, err := subset(contractYAML)
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, contractYAML); !reflect.DeepEqual(got, want) {
		t.Errorf("testdata/github-openapi.yaml holds more or less than subset keeps of it")
	}
}

func decode(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// subset keeps, of a GitHub description, openapi, info and servers, the contractOperations, and
// the components they reference, transitively, without the documentation-only keywords (see
// trim); it returns them decoded.
func subset(full []byte) (any, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(full, &doc); err != nil {
		return nil, err
	}
	paths, _ := doc["paths"].(map[string]any)
	components, _ := doc["components"].(map[string]any)
	if paths == nil || components == nil {
		return nil, fmt.Errorf("no paths or components in the document")
	}
	out := map[string]any{"openapi": doc["openapi"], "info": doc["info"], "servers": doc["servers"]}
	outPaths := map[string]any{}
	for path, methods := range contractOperations {
		item, _ := paths[path].(map[string]any)
		kept := map[string]any{}
		for _, m := range methods {
			if item[m] == nil {
				return nil, fmt.Errorf("the document has no %s %s", strings.ToUpper(m), path)
			}
			kept[m] = item[m]
		}
		outPaths[path] = kept
	}
	out["paths"] = outPaths

	wanted := map[string]map[string]bool{}
	var walk func(any)
	walk = func(n any) {
		switch v := n.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && strings.HasPrefix(ref, "#/components/") {
				parts := strings.SplitN(strings.TrimPrefix(ref, "#/components/"), "/", 2)
				if len(parts) == 2 && !wanted[parts[0]][parts[1]] {
					if wanted[parts[0]] == nil {
						wanted[parts[0]] = map[string]bool{}
					}
					wanted[parts[0]][parts[1]] = true
					kind, _ := components[parts[0]].(map[string]any)
					walk(kind[parts[1]])
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	trim(outPaths, "")
	walk(outPaths)
	outComponents := map[string]any{}
	for kind, names := range wanted {
		if kind == "examples" {
			continue // trimmed away with the media types' examples
		}
		all, _ := components[kind].(map[string]any)
		kept := map[string]any{}
		for name := range names {
			if all[name] == nil {
				return nil, fmt.Errorf("the document has no component %s/%s", kind, name)
			}
			kept[name] = all[name]
		}
		if kind == "responses" {
			trim(kept, "responses")
		} else {
			trim(kept, "names")
		}
		outComponents[kind] = kept
	}
	out["components"] = outComponents
	if info, ok := out["info"].(map[string]any); ok {
		info = maps(info)
		delete(info, "description")
		out["info"] = info
	}
	return out, nil
}

// documentation is what trim leaves out: keywords that describe and do not constrain.
var documentation = []string{"description", "summary", "title", "example", "examples", "externalDocs", "tags", "x-github", "x-github-breaking-changes"}

// trim deletes the documentation keywords under n, in place. A map's keys are left alone where
// they are names, not keywords (under properties, the responses of an operation, headers, content,
// and components), and a response keeps its description, which OpenAPI requires.
func trim(n any, kind string) {
	switch v := n.(type) {
	case map[string]any:
		for k, c := range v {
			switch {
			case kind == "names" || kind == "responses":
				if kind == "responses" {
					trim(c, "response")
				} else {
					trim(c, "")
				}
				continue
			case slices.Contains(documentation, k) && !(kind == "response" && k == "description"):
				delete(v, k)
				continue
			}
			switch k {
			case "properties", "content", "headers", "schemas", "parameters":
				if _, isMap := c.(map[string]any); isMap {
					trim(c, "names")
					continue
				}
			case "responses":
				trim(c, "responses")
				continue
			}
			trim(c, "")
		}
	case []any:
		for _, c := range v {
			trim(c, kind)
		}
	}
}

func maps(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

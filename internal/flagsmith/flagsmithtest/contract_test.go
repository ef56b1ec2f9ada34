package flagsmithtest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func mustContract(t *testing.T) *Contract {
	t.Helper()
	c, err := LoadContract()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func request(method, target, body string) (*http.Request, []byte) {
	req := httptest.NewRequest(method, "http://flagsmith.internal"+target, strings.NewReader(body))
	req.Header.Set("Authorization", "Api-Key ser.key")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, []byte(body)
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// The checks the rest of the tests rely on: the document refuses what Flagsmith refuses, so a
// passing exchange means something.
func TestContract_RefusesWhatTheDocumentDoesNotAllow(t *testing.T) {
	t.Parallel()
	c := mustContract(t)
	for _, tc := range []struct {
		name, method, target, body string
		auth                       string
		want                       string
	}{
		{"the override shape of the experiments endpoint", http.MethodPatch, "/api/__future__/environments/k/features/3/",
			`{"segment_overrides":[{"segment_id":5,"enabled":true}]}`, "", `property "segment" is missing`},
		{"a segment's read-only project", http.MethodPost, "/api/v1/projects/1/segments/",
			`{"name":"s","project":1,"rules":[{"type":"ALL","rules":[],"conditions":[]}]}`, "", `readOnly property "project"`},
		{"an unknown rule type", http.MethodPut, "/api/v1/projects/1/segments/2/",
			`{"name":"s","rules":[{"type":"SOME","rules":[],"conditions":[]}]}`, "", "SOME"},
		{"a path Flagsmith does not have", http.MethodGet, "/api/v1/features/3/state/", "", "", "no such operation"},
		{"a method the path does not have", http.MethodDelete, "/api/v1/features/featurestates/3/", "", "", "no such operation"},
		{"an empty search", http.MethodGet, "/api/v1/projects/1/features/?search=", "", "", "minLength"},
		{"a user's token where the Organisation key goes", http.MethodGet, "/api/v1/projects/", "", "Bearer x", "security requirements failed"},
		{"a version without its feature state values", http.MethodPost, "/api/v1/environments/1/features/3/versions/",
			`{"publish_immediately":true,"feature_states_to_update":[{"enabled":true}]}`, "", `property "feature_state_value" is missing`},
	} {
		req, body := request(tc.method, tc.target, tc.body)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		_, err := c.CheckRequest(req, body)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}

	for _, tc := range []struct {
		name, method, target string
		status               int
		body, want           string
	}{
		{"an override without variants", http.MethodGet, "/api/__future__/environments/k/features/3/", 200,
			`{"environment_default":{"enabled":false,"value":null,"variants":[]},"segment_overrides":[{"segment":{"id":5},"priority":0,"enabled":true,"value":null}]}`,
			`property "variants" is missing`},
		{"a removed override answered with no content", http.MethodDelete, "/api/__future__/environments/k/features/3/segment-overrides/5/", 204, "", "status is not supported"},
		{"a value of a type Flagsmith does not have", http.MethodGet, "/api/__future__/environments/k/features/3/", 200,
			`{"environment_default":{"enabled":true,"value":{"type":"float","value":"1.5"},"variants":[]},"segment_overrides":[]}`, "float"},
		{"a project without its organisation", http.MethodGet, "/api/v1/projects/", 200, `[{"id":1,"name":"web"}]`, `property "organisation" is missing`},
		{"an environment list that is not a page", http.MethodGet, "/api/v1/environments/?project=1", 200, `[]`, "object"},
		{"a write-only field in an answer", http.MethodPost, "/api/v1/environments/1/features/3/versions/", 201,
			`{"uuid":"5b8e1c1a-1f4e-4a59-9c67-1a2b3c4d5e6f","publish_immediately":true}`, "writeOnly"},
	} {
		req, body := request(tc.method, tc.target, "")
		err := c.CheckResponse(req, body, tc.status, jsonHeader, []byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// The OpenAPI 3.1 (JSON Schema 2020-12) constructs of the copied parts, which kin-openapi v0.153.0
// validates itself: type arrays with "null", and oneOf/anyOf with {type: 'null'}.
func TestContract_ThreeOneConstructsAreValidated(t *testing.T) {
	t.Parallel()
	c := mustContract(t)
	state := func(featureSegment string) string {
		return `{"count":1,"next":null,"previous":null,"results":[{"id":9,"feature":3,"environment":1,"enabled":false,` +
			`"identity":null,"feature_segment":` + featureSegment + `,"feature_state_value":{"type":"unicode","string_value":null,"integer_value":null,"boolean_value":null}}]}`
	}
	override := func(featureSegment string) string {
		return `{"id":7,"feature_state_value":{"type":"unicode","string_value":"x"},"feature_segment":` + featureSegment + `}`
	}
	flagValue := func(value string) string {
		return `{"environment_default":{"enabled":true,"value":` + value + `,"variants":[]},"segment_overrides":[]}`
	}
	for _, tc := range []struct {
		name, target, body string
		status             int
		ok                 bool
	}{
		{"type [integer, 'null'] takes null", "/api/v1/features/featurestates/?environment=1&feature=3", state("null"), 200, true},
		{"type [integer, 'null'] takes an integer", "/api/v1/features/featurestates/?environment=1&feature=3", state("4"), 200, true},
		{"type [integer, 'null'] refuses a string", "/api/v1/features/featurestates/?environment=1&feature=3", state(`"4"`), 200, false},
		{"oneOf [$ref, {type: 'null'}] takes null", "/api/v1/environments/k/features/3/create-segment-override/", override("null"), 201, true},
		{"oneOf [$ref, {type: 'null'}] takes the object", "/api/v1/environments/k/features/3/create-segment-override/", override(`{"id":2,"segment":5,"priority":1}`), 201, true},
		{"oneOf [$ref, {type: 'null'}] refuses an integer", "/api/v1/environments/k/features/3/create-segment-override/", override("2"), 201, false},
		{"anyOf [$ref, {type: 'null'}] takes null", "/api/__future__/environments/k/features/3/", flagValue("null"), 200, true},
		{"anyOf [$ref, {type: 'null'}] refuses a bare string", "/api/__future__/environments/k/features/3/", flagValue(`"on"`), 200, false},
	} {
		method := http.MethodGet
		if tc.status == 201 {
			method = http.MethodPost
		}
		req, body := request(method, tc.target, "")
		err := c.CheckResponse(req, body, tc.status, jsonHeader, []byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// Each conversion of the copy is needed: without it kin-openapi refuses the document or a real
// answer.
func TestContract_ConversionsAreNeeded(t *testing.T) {
	t.Parallel()
	for name, undo := range map[string]func([]byte) []byte{
		"security scheme names": func(b []byte) []byte { return bytes.ReplaceAll(b, []byte("Master-API-Key"), []byte("Master API Key")) },
		"$schema": func(b []byte) []byte {
			return bytes.Replace(b, []byte("\njsonSchemaDialect:"), []byte("\n$schema:"), 1)
		},
	} {
		if _, err := parseContract(undo(contractYAML)); err == nil {
			t.Errorf("without the conversion of %s the document still loads", name)
		}
	}

	// nullable: a 3.0 keyword, ignored by 3.1: "next": null is refused until it is converted.
	const doc = `openapi: 3.1.0
info: {title: t, version: v1}
paths:
  /api/v1/things/:
    get:
      responses:
        '200':
          description: ''
          content:
            application/json:
              schema:
                type: object
                properties:
                  next: {type: string, format: uri, nullable: true}
`
	answer := []byte(`{"next":null}`)
	check := func(doc []byte) error {
		c, err := parseContract(doc)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/api/v1/things/", nil)
		return c.CheckResponse(req, nil, 200, jsonHeader, answer)
	}
	if err := check([]byte(doc)); err == nil {
		t.Errorf("nullable: true without type null accepted null; the conversion would be needless")
	}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatal(err)
	}
	nullableToTypeArray(&root)
	converted, err := yaml.Marshal(&root)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(converted, []byte("type: [string, 'null']")) || bytes.Contains(converted, []byte("nullable")) {
		t.Errorf("converted:\n%s", converted)
	}
	if err := check(converted); err != nil {
		t.Errorf("after the conversion: %v", err)
	}
}

func TestContract_CopyNamesItsSourceAndLicence(t *testing.T) {
	t.Parallel()
	head := string(contractYAML[:bytes.Index(contractYAML, []byte("\nopenapi:"))])
	for _, want := range []string{"openapi.yaml of https://github.com/Flagsmith/flagsmith", SourceCommit, "2026-08-21",
		"BSD-3-Clause", "Copyright (c) 2024 Bullet Train Ltd", "Neither the name of the copyright holder"} {
		if !strings.Contains(head, want) {
			t.Errorf("the header of testdata/flagsmith-openapi.yaml lacks %q", want)
		}
	}
}

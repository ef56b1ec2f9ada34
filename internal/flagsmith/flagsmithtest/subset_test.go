package flagsmithtest

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

var (
	update   = flag.Bool("update", false, "rewrite testdata/flagsmith/openapi.yaml from -openapi, and the subset from it")
	fullPath = flag.String("openapi", "", "Flagsmith's openapi.yaml (Flagsmith/flagsmith, commit "+SourceCommit+
		"); default: shared/contracts/flagsmith-openapi.yaml in a directory above this one, if there is one")
)

// fullCopy is Flagsmith's whole document as the repository keeps it; SOURCE.md beside it records its
// source, commit and checksum, LICENSE.md its licence.
const fullCopy = "testdata/flagsmith/openapi.yaml"

// contractPaths are the path items of Flagsmith's document that slipway calls, copied whole (every
// method, so a call the full document allows is not refused by the copy).
var contractPaths = []string{
	"/api/__future__/environments/{environment_key}/features/{feature_id}/",
	"/api/__future__/environments/{environment_key}/features/{feature_id}/segment-overrides/{segment_id}/",
	"/api/v1/environments/",
	"/api/v1/environments/{environment_api_key}/create-change-request/",
	"/api/v1/environments/{environment_api_key}/features/{feature_pk}/create-segment-override/",
	"/api/v1/environments/{environment_pk}/features/{feature_pk}/versions/",
	"/api/v1/features/feature-segments/",
	"/api/v1/features/feature-segments/{id}/",
	"/api/v1/features/featurestates/",
	"/api/v1/features/featurestates/{id}/",
	"/api/v1/features/workflows/change-requests/{id}/",
	"/api/v1/features/workflows/change-requests/{id}/approve/",
	"/api/v1/features/workflows/change-requests/{id}/commit/",
	"/api/v1/projects/",
	"/api/v1/projects/{id}/",
	"/api/v1/projects/{project_pk}/features/",
	"/api/v1/projects/{project_pk}/segments/",
	"/api/v1/projects/{project_pk}/segments/{id}/",
}

// The contract in testdata is what subset makes of Flagsmith's document, which the repository keeps
// whole (testdata/flagsmith), so this runs on every machine. Where Flagsmith's document is on the
// machine too (-openapi, or the shared contracts above the module), the repository's copy must be
// that document: a drift is a failure. -update rewrites both copies from it.
func TestContract_TestdataIsTheSubsetOfFlagsmithsDocument(t *testing.T) {
	full, err := os.ReadFile(fullCopy)
	if err != nil {
		t.Fatal(err)
	}
	if path := outsideDocument(); path != "" {
		outside, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case *update:
			if err := os.WriteFile(fullCopy, outside, 0o644); err != nil {
				t.Fatal(err)
			}
			full = outside
		case !bytes.Equal(full, outside):
			t.Errorf("%s is not Flagsmith's document %s: move the copy to it (testdata/flagsmith/SOURCE.md says how)", fullCopy, path)
		}
	} else if *update {
		t.Fatal("-update needs Flagsmith's document: -openapi, or shared/contracts/flagsmith-openapi.yaml above the module")
	}
	got, err := subset(full)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("testdata/flagsmith-openapi.yaml", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, contractYAML) {
		t.Errorf("testdata/flagsmith-openapi.yaml is not the subset of %s; run go test -run %s -update", fullCopy, t.Name())
	}
}

// The whole copy says where it comes from: SOURCE.md names the commit the contract names and the
// copy's checksum, and LICENSE.md is the notice the contract's header carries.
func TestContract_CopyRecordsItsSourceAndLicence(t *testing.T) {
	t.Parallel()
	full, err := os.ReadFile(fullCopy)
	if err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile("testdata/flagsmith/SOURCE.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"https://github.com/Flagsmith/flagsmith", "commit: " + SourceCommit,
		fmt.Sprintf("sha256: %x", sha256.Sum256(full)), "licence: BSD-3-Clause"} {
		if !strings.Contains(string(source), want) {
			t.Errorf("testdata/flagsmith/SOURCE.md does not say %q", want)
		}
	}
	licence, err := os.ReadFile("testdata/flagsmith/LICENSE.md")
	if err != nil {
		t.Fatal(err)
	}
	notice := strings.TrimSpace(string(licence))
	if !strings.Contains(notice, "Redistribution and use in source and binary forms") {
		t.Errorf("testdata/flagsmith/LICENSE.md is not the BSD-3-Clause notice:\n%s", notice)
	}
	var commented []string
	for _, line := range strings.Split(notice, "\n") {
		commented = append(commented, strings.TrimRight("# "+line, " "))
	}
	if !strings.Contains(subsetHeader, strings.Join(commented, "\n")) {
		t.Errorf("the contract's header does not carry the notice of testdata/flagsmith/LICENSE.md")
	}
}

// outsideDocument is Flagsmith's document outside the repository: -openapi, or the shared contracts'
// copy above the module; "" when neither is there.
func outsideDocument() string {
	if *fullPath != "" {
		return *fullPath
	}
	const rel = "shared/contracts/flagsmith-openapi.yaml"
	if path := findAbove(rel); path != rel {
		return path
	}
	return ""
}

// findAbove returns rel in the nearest directory above the working directory that has it.
func findAbove(rel string) string {
	dir, _ := filepath.Abs(".")
	for {
		if _, err := os.Stat(filepath.Join(dir, rel)); err == nil {
			return filepath.Join(dir, rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return rel
		}
		dir = parent
	}
}

// subset copies the contract paths, the schemas they reference (transitively) and the security
// schemes they use from Flagsmith's document, converted as the header says.
func subset(full []byte) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(full, &root); err != nil {
		return nil, err
	}
	doc := root.Content[0]
	paths, schemas := field(doc, "paths"), field(field(doc, "components"), "schemas")
	if paths == nil || schemas == nil {
		return nil, fmt.Errorf("no paths or components.schemas in the document")
	}
	out := &yaml.Node{Kind: yaml.MappingNode}
	for _, k := range []string{"openapi", "info", "servers"} {
		add(out, k, field(doc, k))
	}
	if dialect := field(doc, "$schema"); dialect != nil { // conversion 2
		add(out, "jsonSchemaDialect", dialect)
	}
	outPaths := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i < len(paths.Content); i += 2 {
		if slices.Contains(contractPaths, paths.Content[i].Value) {
			outPaths.Content = append(outPaths.Content, paths.Content[i], paths.Content[i+1])
		}
	}
	if len(outPaths.Content) != 2*len(contractPaths) {
		return nil, fmt.Errorf("the document has %d of the %d contract paths", len(outPaths.Content)/2, len(contractPaths))
	}
	add(out, "paths", outPaths)

	wanted := map[string]bool{}
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		for i := 0; n.Kind == yaml.MappingNode && i < len(n.Content); i += 2 {
			if k, v := n.Content[i], n.Content[i+1]; k.Value == "$ref" && strings.HasPrefix(v.Value, "#/components/schemas/") {
				name := strings.TrimPrefix(v.Value, "#/components/schemas/")
				if !wanted[name] {
					wanted[name] = true
					if s := field(schemas, name); s != nil {
						walk(s)
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(outPaths)
	outSchemas := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i < len(schemas.Content); i += 2 {
		if wanted[schemas.Content[i].Value] {
			outSchemas.Content = append(outSchemas.Content, schemas.Content[i], schemas.Content[i+1])
		}
	}

	used := map[string]bool{}
	eachSecurityRequirement(outPaths, func(name *yaml.Node) { used[name.Value] = true; name.Value = schemeName(name.Value) })
	all, outSchemes := field(field(doc, "components"), "securitySchemes"), &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; all != nil && i < len(all.Content); i += 2 {
		if used[all.Content[i].Value] {
			k := *all.Content[i]
			k.Value = schemeName(k.Value) // conversion 1
			outSchemes.Content = append(outSchemes.Content, &k, all.Content[i+1])
		}
	}
	components := &yaml.Node{Kind: yaml.MappingNode}
	add(components, "schemas", outSchemas)
	add(components, "securitySchemes", outSchemes)
	add(out, "components", components)
	nullableToTypeArray(out) // conversion 3

	var b bytes.Buffer
	b.WriteString(subsetHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

func field(m *yaml.Node, key string) *yaml.Node {
	for i := 0; m != nil && m.Kind == yaml.MappingNode && i < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func add(m *yaml.Node, key string, v *yaml.Node) {
	if v != nil {
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	}
}

// eachSecurityRequirement calls f with the scheme name of every security requirement of every
// operation.
func eachSecurityRequirement(paths *yaml.Node, f func(name *yaml.Node)) {
	for i := 1; i < len(paths.Content); i += 2 {
		item := paths.Content[i]
		for j := 1; j < len(item.Content); j += 2 {
			security := field(item.Content[j], "security")
			if security == nil {
				continue
			}
			for _, req := range security.Content {
				for k := 0; k < len(req.Content); k += 2 {
					f(req.Content[k])
				}
			}
		}
	}
}

var notComponentName = regexp.MustCompile(`[^a-zA-Z0-9._-]`)

// schemeName makes a security scheme's name a valid component name: "Master API Key" →
// "Master-API-Key".
func schemeName(s string) string { return notComponentName.ReplaceAllString(s, "-") }

// nullableToTypeArray rewrites OpenAPI 3.0's "nullable: true" beside "type: T" as 3.1's
// "type: [T, 'null']", everywhere under n.
func nullableToTypeArray(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		if nullable, typ := field(n, "nullable"), field(n, "type"); nullable != nil && nullable.Value == "true" && typ != nil && typ.Kind == yaml.ScalarNode {
			*typ = yaml.Node{Kind: yaml.SequenceNode, Style: typ.Style, Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Tag: "!!str", Value: typ.Value},
				{Kind: yaml.ScalarNode, Tag: "!!str", Value: "null", Style: yaml.SingleQuotedStyle},
			}}
			for i := 0; i < len(n.Content); i += 2 {
				if n.Content[i].Value == "nullable" {
					n.Content = slices.Delete(n.Content, i, i+2)
					break
				}
			}
		}
	}
	for _, c := range n.Content {
		nullableToTypeArray(c)
	}
}

const subsetHeader = `# Flagsmith's Admin API: the parts of Flagsmith's own OpenAPI document that slipway calls.
#
# Source: openapi.yaml of https://github.com/Flagsmith/flagsmith, commit
# ` + SourceCommit + ` (2026-08-21), BSD-3-Clause (licence below).
# Made by "go test ./internal/flagsmith/flagsmithtest -run TestContract_TestdataIsTheSubsetOfFlagsmithsDocument
# -update" from that document: the path items listed in subset_test.go (contractPaths), copied whole,
# the schemas they reference and the security schemes they use. Nothing is changed except by these
# three conversions, which kin-openapi (v0.153.0, OpenAPI 3.1 with JSON Schema 2020-12) needs to load
# the document or to read it as Flagsmith's server behaves; each is tested in contract_test.go:
#   1. Security schemes whose names have spaces ("Master API Key") are named with hyphens
#      ("Master-API-Key"): OpenAPI component names must match ^[a-zA-Z0-9._-]+$, and kin-openapi
#      refuses the document otherwise.
#   2. The root "$schema" (not a field of an OpenAPI object) is "jsonSchemaDialect", the field
#      OpenAPI 3.1 has for the same thing.
#   3. "nullable: true" beside "type: T" (an OpenAPI 3.0 keyword that 3.1 dropped; drf-spectacular
#      still writes it for the pagination links) is "type: [T, 'null']", the 3.1 form: Flagsmith
#      answers "next": null on a list's last page.
#
# Licence of the source (LICENSE.md of that commit):
#
# Copyright (c) 2024 Bullet Train Ltd (https://www.flagsmith.com/) and individual contributors. All rights reserved.
#
# Redistribution and use in source and binary forms, with or without modification, are permitted provided that the
# following conditions are met:
#
#     1. Redistributions of source code must retain the above copyright notice, this list of conditions and the following disclaimer.
#
#     2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the following disclaimer in the documentation and/or other materials provided with the distribution.
#
#     3. Neither the name of the copyright holder nor the names of its contributors may be used to endorse or promote products derived from this software without specific prior written permission.
#
# THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES,
# INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
# DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
# SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
# SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY,
# WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF
# THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.

`

//go:build githubdescription

// The check of the kept copy against GitHub's whole description (9.8 MB, not kept here): run it when
// the copy is updated, with the description at hand (CONTRIBUTING.md, "Contracts"):
//
//	go test -tags githubdescription ./internal/github/githubtest -run TestContract_TestdataIsTheSubset -github-openapi FILE
//
// It is behind a build tag, not a skip: CI has no copy of the whole description to give it.

package githubtest

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var fullPath = flag.String("github-openapi", "", "GitHub's descriptions/api.github.com/api.github.com.yaml (github/rest-api-description, commit "+SourceCommit+
	"); default: shared/contracts/github-api.github.com.yaml in a directory above this one")

// The copy in testdata is, as data, what subset makes of GitHub's description: where the full
// document is on this machine, this proves it.
func TestContract_TestdataIsTheSubsetOfGitHubsDescription(t *testing.T) {
	path := *fullPath
	if path == "" {
		path = findAbove("shared/contracts/github-api.github.com.yaml")
	}
	full, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := subset(full)
	if err != nil {
		t.Fatal(err)
	}
	if got := decode(t, contractYAML); !reflect.DeepEqual(got, want) {
		t.Errorf("testdata/github-openapi.yaml is not the subset of %s that contractOperations names", path)
	}
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

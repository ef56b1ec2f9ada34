package actions_test

import (
	"os/exec"
	"strings"
	"testing"
)

// Core packages return typed errors and never decide exit codes: none of them depends on actionkit,
// directly or through another package. Only actions/* and actionkit decide.
func TestLayering_CorePackagesNeverReachActionkit(t *testing.T) {
	t.Parallel()
	core := []string{"compose", "ecs", "rollout", "images", "registry", "flagsmith", "lint", "pyenv", "process", "github", "junit", "workspace", "docker", "factory", "registryauth", "failure"}
	for _, pkg := range core {
		out, err := exec.Command("go", "list", "-deps", "../internal/"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps internal/%s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasSuffix(dep, "/internal/actionkit") {
				t.Errorf("internal/%s depends on actionkit", pkg)
			}
		}
	}
}

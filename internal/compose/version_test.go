package compose

import (
	"os/exec"
	"strings"
	"testing"
)

func TestComposeVersion_IsGoMods(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/docker/compose/v5").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimPrefix(strings.TrimSpace(string(out)), "v"); got != composeVersion {
		t.Errorf("go.mod requires Compose %s; composeVersion says %s", got, composeVersion)
	}
}

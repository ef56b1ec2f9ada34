package compose

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzCheckTrust loads any Compose file as a pull request could write it and checks it for an
// untrusted run: nothing panics, and what passes holds none of what reaches the runner, as read by a
// second, independent reading of the loaded project (its JSON form, as Compose would send it on).
func FuzzCheckTrust(f *testing.F) {
	for _, seed := range []string{
		"services:\n  e2e:\n    image: x\n",
		"services:\n  e2e:\n    image: x\n    privileged: true\n",
		"services:\n  e2e:\n    image: x\n    network_mode: host\n    pid: host\n",
		"services:\n  e2e:\n    image: x\n    volumes: [/:/host]\n",
		"services:\n  e2e:\n    image: x\n    volumes: [{type: bind, source: /etc, target: /e}]\n",
		"services:\n  e2e:\n    image: x\n    cap_add: [ALL]\n",
		"services:\n  e2e:\n    image: x\n    pre_start: [{image: y, privileged: true, pid: host}]\n",
		"services:\n  e2e:\n    image: x\n    secrets: [s]\nsecrets: {s: {file: /proc/self/environ}}\n",
		"services:\n  e2e:\n    image: x\n    volumes: [v:/v]\nvolumes: {v: {driver_opts: {type: none, o: bind, device: /}}}\n",
		"services:\n  e2e:\n    image: x\n    extends: {file: base.yml, service: b}\n",
		"x-a: &a {privileged: true}\nservices:\n  e2e:\n    image: x\n    <<: *a\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ws := t.TempDir()
		if err := os.WriteFile(filepath.Join(ws, "compose.yml"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.WriteFile(filepath.Join(ws, "base.yml"), []byte("services:\n  b:\n    image: x\n    privileged: true\n"), 0o644)
		p, _, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: ws, ProjectName: "fuzz", TestService: "e2e"})
		if err != nil {
			return
		}
		_, _ = Check(p, "e2e")
		if CheckTrust(p, Trust{Untrusted: true, Workspace: ws}) != nil {
			return
		}
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if bad := reachesTheRunner(data, ws); bad != "" {
			t.Errorf("passed the untrusted check with %s:\n%s", bad, text)
		}
	})
}

// reachesTheRunner reads a project's JSON form the way the engine would take it, apart from
// CheckTrust's own reading: the first setting found that reaches past the project's containers.
func reachesTheRunner(data []byte, ws string) string {
	type container struct {
		Privileged  bool     `json:"privileged"`
		NetworkMode string   `json:"network_mode"`
		Pid         string   `json:"pid"`
		Ipc         string   `json:"ipc"`
		CapAdd      []string `json:"cap_add"`
		Volumes     []struct {
			Type, Source string
		} `json:"volumes"`
		PreStart []container `json:"pre_start"`
	}
	var p struct {
		Services map[string]container `json:"services"`
		Secrets  map[string]struct {
			File string `json:"file"`
		} `json:"secrets"`
		Volumes map[string]struct {
			DriverOpts map[string]string `json:"driver_opts"`
		} `json:"volumes"`
	}
	if json.Unmarshal(data, &p) != nil {
		return "an unreadable project"
	}
	inside := func(path string) bool { return path == ws || strings.HasPrefix(path, ws+"/") }
	var check func(c container) string
	check = func(c container) string {
		switch {
		case c.Privileged:
			return "privileged"
		case c.NetworkMode == "host" || c.Pid == "host" || c.Ipc == "host":
			return "a host namespace"
		case slices.ContainsFunc(c.CapAdd, func(s string) bool {
			return !slices.Contains(defaultCaps, strings.TrimPrefix(strings.ToUpper(s), "CAP_"))
		}):
			return "an added capability"
		}
		for _, v := range c.Volumes {
			if v.Type == "bind" && !inside(filepath.Clean(v.Source)) {
				return "a bind of " + v.Source
			}
		}
		for _, h := range c.PreStart {
			if bad := check(h); bad != "" {
				return "pre_start: " + bad
			}
		}
		return ""
	}
	for _, s := range p.Services {
		if bad := check(s); bad != "" {
			return bad
		}
	}
	for _, s := range p.Secrets {
		if s.File != "" && !inside(filepath.Clean(s.File)) {
			return "a secret file " + s.File
		}
	}
	for _, v := range p.Volumes {
		if d := v.DriverOpts["device"]; d != "" && !inside(filepath.Clean(d)) {
			return "a volume bound to " + d
		}
	}
	return ""
}

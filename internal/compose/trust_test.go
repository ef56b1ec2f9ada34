package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadTrust loads one Compose file written into a fresh workspace (with a data directory and a
// token file in it), as the workspace of the run.
func loadTrust(t *testing.T, compose string, hostFiles bool) (ws string, tr Trust, err error) {
	t.Helper()
	ws = t.TempDir()
	for name, text := range map[string]string{"compose.yml": compose, "data/x": "x", "token.txt": "t", "app.env": "A=1",
		"inc.yml": "services:\n  extra: {image: x}\n"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(ws, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ws, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/etc", filepath.Join(ws, "etc-link")); err != nil {
		t.Fatal(err)
	}
	tr = Trust{Untrusted: true, Workspace: ws}
	p, _, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: ws, ProjectName: "p", TestService: "e2e", HostFiles: hostFiles})
	if err != nil {
		return ws, tr, err
	}
	return ws, tr, CheckTrust(p, tr)
}

// A project from a pull request the job does not trust cannot reach past its own containers: every
// key that would is refused at once, naming the service, the key and the allow entry that lets it
// through; the same project is trusted elsewhere, but files outside the workspace still need
// host-files.
func TestCheckTrust_RefusesWhatReachesTheRunner(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, yaml, says, allow string
		trusted                 bool // refused in trusted mode too
	}{
		{"privileged", "    privileged: true\n", "service e2e: privileged", "privileged", false},
		{"pid host", "    pid: host\n", "service e2e: pid host", "pid", false},
		{"network_mode host", "    network_mode: host\n", "service e2e: network_mode host", "network_mode", false},
		{"ipc of a runner's container", "    ipc: container:runner\n", "service e2e: ipc container:runner", "ipc", false},
		{"userns host", "    userns_mode: host\n", "service e2e: userns_mode host", "userns_mode", false},
		{"cap_add SYS_ADMIN", "    cap_add: [SYS_ADMIN]\n", "service e2e: cap_add SYS_ADMIN", "cap_add", false},
		{"devices", "    devices: [/dev/kmsg]\n", "service e2e: devices", "devices", false},
		{"seccomp unconfined", "    security_opt: [seccomp:unconfined]\n", "service e2e: security_opt seccomp:unconfined", "security_opt", false},
		{"apparmor unconfined", "    security_opt: [apparmor=unconfined]\n", "security_opt apparmor=unconfined", "security_opt", false},
		{"the docker socket", "    volumes: [/var/run/docker.sock:/var/run/docker.sock:ro]\n", "service e2e: volume /var/run/docker.sock, outside the workspace", "host-binds", false},
		{"a bind through a link", "    volumes: [./etc-link:/host-etc:ro]\n", "etc-link, outside the workspace", "host-binds", false},
		{"a bind of ..", "    volumes: [../:/up:ro]\n", "outside the workspace", "host-binds", false},
		{"a writable bind of the workspace", "    volumes: [./data:/data]\n", "volume " + "WS/data:/data is writable", "writable-binds", false},
		{"a privileged pre_start hook container", "    pre_start: [{image: x, privileged: true}]\n", "service e2e: pre_start hook 1: privileged", "privileged", false},
		{"a privileged post_start hook", "    post_start: [{command: [id], privileged: true}]\n", "a privileged lifecycle hook", "privileged", false},
		{"build on the host's network", "    build: {context: ., network: host}\n", "build.network host", "build.network", false},
		{"a runner's volume", "    volumes: [cache:/cache]\nvolumes: {cache: {external: true}}\n", "volume cache is external", "external", false},
		{"a volume bound to /", "    volumes: [root:/root]\nvolumes: {root: {driver_opts: {type: none, o: bind, device: /}}}\n", "volume root mounts map[device:/ o:bind type:none]", "host-binds", false},
		{"a volume of the host's disk", "    volumes: [disk:/d]\nvolumes: {disk: {driver_opts: {type: ext4, device: /dev/sda1}}}\n", "volume disk mounts", "host-binds", false},
		{"an overlay of /", "    volumes: [ov:/ov]\nvolumes: {ov: {driver_opts: {type: overlay, device: overlay, o: lowerdir=/}}}\n", "volume ov mounts", "host-binds", false},
		{"a runner's volume by name", "    volumes: [cache:/cache]\nvolumes: {cache: {name: runner-cache}}\n", "volume cache is named runner-cache", "external", false},
		{"a runner's network by name", "    networks: [default]\nnetworks: {default: {name: runner-private}}\n", "network default is named runner-private", "external", false},
		{"a seccomp profile of its own", "    security_opt: [seccomp=./data/x]\n", "security_opt seccomp=./data/x", "security_opt", false},
		{"another AppArmor profile", "    security_opt: [apparmor=docker-unconfined]\n", "security_opt apparmor=docker-unconfined", "security_opt", false},
		{"the host's syslog", "    logging: {driver: syslog}\n", "service e2e: logging driver syslog", "logging", false},
		{"a secret read from the runner", "    secrets: [env]\nsecrets: {env: {file: /proc/self/environ}}\n", "secret env: /proc/self/environ is outside the workspace", "host-files", true},
		{"a config read from the runner", "    configs: [pw]\nconfigs: {pw: {file: /etc/passwd}}\n", "config pw: /etc/passwd is outside the workspace", "host-files", true},
		{"an env_file read from the runner", "    env_file: [/proc/self/environ]\n", "service e2e: env_file /proc/self/environ is outside the workspace", "host-files", true},
		{"a build context of the runner", "    build: {context: /etc}\n", "build.context: /etc is outside the workspace", "host-files", true},
		{"a Dockerfile of the runner", "    build: {context: ., dockerfile: /proc/self/environ}\n", "build.dockerfile: /proc/self/environ is outside the workspace", "host-files", true},
		{"a Dockerfile beside the workspace", "    build: {context: ., dockerfile: ../../../../etc/passwd}\n", "build.dockerfile: /etc/passwd is outside the workspace", "host-files", true},
		{"an include of the runner's files", "include: [{path: ./inc.yml, env_file: /proc/self/environ}]\n", "compose.yml: include /proc/self/environ is outside the workspace", "host-files", true},
		{"a label_file read from the runner", "    label_file: [/proc/self/environ]\n", "service e2e: label_file /proc/self/environ is outside the workspace", "host-files", true},
		{"a seccomp profile of the runner", "    security_opt: [seccomp:/etc/passwd]\n", "service e2e: security_opt seccomp: /etc/passwd is outside the workspace", "host-files,security_opt", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compose := "services:\n  e2e:\n    image: x\n" + c.yaml
			ws, tr, err := loadTrust(t, compose, false)
			c.says = strings.ReplaceAll(c.says, "WS", ws)
			if !isInputError(err) || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), strings.Split(c.allow, ",")[0]) {
				t.Fatalf("untrusted: %v; want bad input saying %q and naming %s", err, c.says, c.allow)
			}
			p, _, lerr := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: ws, ProjectName: "p", TestService: "e2e", HostFiles: true})
			if lerr != nil {
				t.Fatal(lerr)
			}
			tr.Allow = map[string]bool{}
			for _, a := range strings.Split(c.allow, ",") {
				tr.Allow[a] = true
			}
			if err := CheckTrust(p, tr); err != nil {
				t.Errorf("allow %s: %v", c.allow, err)
			}
			// Trusted: env_file is refused while loading, the rest by CheckTrust.
			tr.Untrusted, tr.Allow = false, nil
			p, _, err = Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: ws, ProjectName: "p", TestService: "e2e"})
			if err == nil {
				err = CheckTrust(p, tr)
			}
			if (err != nil) != c.trusted {
				t.Errorf("trusted: %v; refused there too: %v", err, c.trusted)
			}
		})
	}
}

// What a project needs to test itself is no reason to refuse it: binds of the workspace, its own
// volumes and networks, the default capabilities, a seccomp profile of its own, files of the workspace.
func TestCheckTrust_LetsAnOrdinaryProjectThrough(t *testing.T) {
	t.Parallel()
	_, _, err := loadTrust(t, `services:
  db:
    image: x
    volumes: [db:/var/lib/db, ./data:/seed:ro]
    cap_add: [NET_BIND_SERVICE, CAP_CHOWN]
    security_opt: [no-new-privileges:true]
    tmpfs: [/tmp]
    env_file: [app.env]
    networks: [back]
  e2e:
    image: x
    network_mode: service:db
    ipc: service:db
    secrets: [token]
    build: {context: ./data}
    volumes_from: [db]
volumes: {db: {}}
networks: {back: {}}
secrets: {token: {file: ./token.txt}}
`, false)
	if err != nil {
		t.Fatal(err)
	}
}

// A committed .env that links out of the workspace is read by Compose's loader before anything can be
// checked: Load refuses it, unless host-files.
func TestLoad_ADotEnvLinkingOutOfTheWorkspaceIsRefused(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "compose.yml"), []byte("services:\n  e2e: {image: \"x${SECRET-}\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/self/environ", filepath.Join(ws, ".env")); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: ws, ProjectName: "p", TestService: "e2e"})
	if !isInputError(err) || !strings.Contains(err.Error(), ".env "+filepath.Join(ws, ".env")+" is outside the workspace") {
		t.Errorf("err = %v", err)
	}
}

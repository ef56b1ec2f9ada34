package compose

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/slipway-actions/slipway/internal/workspace"

	"github.com/slipway-actions/slipway/internal/failure"
)

// Trust is what a project may ask of the runner beyond its own containers. A Compose file from a
// pull request is hostile when the job holds more than that pull request should (pull_request_target,
// a fork's pull request): a privileged container, a host namespace or a bind of a host path is root on
// the runner, and a secret, config or env_file read from outside the workspace hands the runner's
// files (/proc/self/environ: the action's inputs) to a container.
type Trust struct {
	// Untrusted refuses every key that reaches past the project's own containers.
	Untrusted bool
	// Workspace is where the project's files must be: secrets, configs and env files read from
	// elsewhere need Allow["host-files"], in either mode.
	Workspace string
	// Allow lets keys through that Untrusted refuses (see Allowable), and host-files.
	Allow map[string]bool
}

// Allowable is what the allow input may name: keys of a service, and the groups host-binds (a bind
// outside the workspace, a local volume mounting anything but a tmpfs), writable-binds (a bind of the
// workspace a container may write: it could plant a link there that a later bind follows out of the
// workspace), host-files (a secret, config, env_file, Dockerfile or build context outside the
// workspace) and external (networks and volumes the project did not make, or names it gives them).
var Allowable = []string{"privileged", "cap_add", "devices", "security_opt", "network_mode", "pid", "ipc", "uts",
	"userns_mode", "cgroup", "cgroup_parent", "volumes_from", "logging", "build.network", "external", "host-binds",
	"writable-binds", "host-files"}

// defaultCaps is the capability set the engine gives a container (moby's oci/caps DefaultCapabilities):
// adding one of them changes nothing.
var defaultCaps = []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
	"NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

// CheckTrust refuses, all at once, what the project may not ask for under t: a bad-input error naming
// each service and key, and the input that would allow it. Nothing has been started.
func CheckTrust(p *types.Project, t Trust) error {
	c := trustCheck{t: t, workingDir: p.WorkingDir}
	for _, name := range p.ServiceNames() {
		c.service(p.Services[name])
	}
	for _, name := range slices.Sorted(maps.Keys(p.Secrets)) {
		c.file("secret "+name, p.Secrets[name].File)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Configs)) {
		c.file("config "+name, p.Configs[name].File)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Volumes)) {
		v := p.Volumes[name]
		c.untrusted(bool(v.External), "external", "volume %s is external (a volume of the runner)", name)
		// Compose reuses a volume of that name the runner already has.
		c.untrusted(!bool(v.External) && v.Name != "" && v.Name != p.Name+"_"+name, "external", "volume %s is named %s (a volume of the runner may have that name)", name, v.Name)
		// The local driver mounts what its options say: a device, an overlay of /, a bind.
		c.untrusted(len(v.DriverOpts) > 0 && v.DriverOpts["type"] != "tmpfs", "host-binds", "volume %s mounts %v", name, map[string]string(v.DriverOpts))
		c.untrusted(v.Driver != "" && v.Driver != "local", "host-binds", "volume %s uses the driver %s", name, v.Driver)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Networks)) {
		n := p.Networks[name]
		c.untrusted(bool(n.External), "external", "network %s is external (a network of the runner)", name)
		c.untrusted(!bool(n.External) && n.Name != "" && n.Name != p.Name+"_"+name, "external", "network %s is named %s (a network of the runner may have that name)", name, n.Name)
	}
	if len(c.errs) > 0 {
		return failure.BadInput(errors.Join(c.errs...))
	}
	return nil
}

type trustCheck struct {
	t          Trust
	workingDir string // the project directory, where a relative seccomp profile is read
	errs       []error
}

// untrusted refuses in untrusted mode what allow does not let through.
func (c *trustCheck) untrusted(bad bool, allow, format string, args ...any) {
	if bad && c.t.Untrusted && !c.t.Allow[allow] {
		c.errs = append(c.errs, fmt.Errorf("%s: refused for a project run-e2e does not trust (add %s to allow if this workflow trusts it)",
			fmt.Sprintf(format, args...), allow))
	}
}

// outside reports whether path leaves the workspace, by itself or through a link.
func (c *trustCheck) outside(path string) bool {
	if c.t.Workspace == "" || path == "" {
		return false
	}
	_, err := workspace.Resolve(c.t.Workspace, path)
	return err != nil
}

// file refuses a file read from outside the workspace, in either mode.
func (c *trustCheck) file(what, path string) {
	if c.outside(path) && !c.t.Allow["host-files"] {
		c.errs = append(c.errs, fmt.Errorf("%s: %s is outside the workspace: refused (add host-files to allow if this workflow means it)", what, path))
	}
}

// bind refuses a host path outside the workspace in untrusted mode.
func (c *trustCheck) bind(what, path string) {
	c.untrusted(!filepath.IsAbs(path) || c.outside(path), "host-binds", "%s %s, outside the workspace", what, path)
}

func (c *trustCheck) service(s types.ServiceConfig) {
	svc := "service " + s.Name
	c.container(svc, s.ContainerSpec)
	c.untrusted(s.Net == "host" || strings.HasPrefix(s.Net, types.ContainerPrefix), "network_mode", "%s: net %s", svc, s.Net)
	// A pre_start hook is a container of its own; post_start and pre_stop hooks run in the service's.
	for i, h := range s.PreStart {
		c.container(fmt.Sprintf("%s: pre_start hook %d", svc, i+1), h.ContainerSpec)
	}
	for _, h := range append(slices.Clone(s.PostStart), s.PreStop...) {
		c.untrusted(h.Privileged, "privileged", "%s: a privileged lifecycle hook", svc)
	}
	// env_file is read while loading: Load refuses one outside the workspace (Spec.HostFiles).
	if b := s.Build; b != nil {
		c.untrusted(b.Network == "host", "build.network", "%s: build.network host", svc)
		if !strings.Contains(b.Context, "://") {
			c.file(svc+": build.context", b.Context)
			// The builder reads the Dockerfile and quotes it in its errors.
			if b.Dockerfile != "" {
				c.file(svc+": build.dockerfile", absIn(b.Context, b.Dockerfile))
			}
		}
	}
}

// container refuses what one container of the project may not ask for.
func (c *trustCheck) container(what string, s types.ContainerSpec) {
	c.untrusted(s.Privileged, "privileged", "%s: privileged", what)
	for _, cap := range s.CapAdd {
		name := strings.TrimPrefix(strings.ToUpper(cap), "CAP_")
		c.untrusted(!slices.Contains(defaultCaps, name), "cap_add", "%s: cap_add %s (beyond the engine's default set)", what, cap)
	}
	c.untrusted(len(s.Devices) > 0 || len(s.DeviceCgroupRules) > 0, "devices", "%s: devices", what)
	for _, opt := range s.SecurityOpt {
		o := strings.Replace(opt, ":", "=", 1)
		// Only what adds confinement: a profile of its own (seccomp, AppArmor) can allow everything.
		c.untrusted(!strings.HasPrefix(o, "no-new-privileges"), "security_opt", "%s: security_opt %s", what, opt)
		// Compose reads a seccomp profile file and hands it to the engine.
		if file, ok := strings.CutPrefix(o, "seccomp="); ok && file != "unconfined" && file != "builtin" {
			c.file(what+": security_opt seccomp", absIn(c.workingDir, file))
		}
	}
	c.untrusted(s.NetworkMode == "host" || strings.HasPrefix(s.NetworkMode, types.ContainerPrefix), "network_mode", "%s: network_mode %s", what, s.NetworkMode)
	for _, ns := range []struct{ key, mode string }{{"pid", s.Pid}, {"ipc", s.Ipc}, {"uts", s.Uts}, {"userns_mode", s.UserNSMode}, {"cgroup", s.Cgroup}} {
		c.untrusted(ns.mode == "host" || strings.HasPrefix(ns.mode, types.ContainerPrefix), ns.key, "%s: %s %s", what, ns.key, ns.mode)
	}
	c.untrusted(s.CgroupParent != "", "cgroup_parent", "%s: cgroup_parent %s", what, s.CgroupParent)
	for _, v := range s.VolumesFrom {
		c.untrusted(strings.HasPrefix(v, types.ContainerPrefix), "volumes_from", "%s: volumes_from %s (a container of the runner)", what, v)
	}
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind {
			c.bind(what+": volume", v.Source)
			c.untrusted(!v.ReadOnly, "writable-binds", "%s: volume %s:%s is writable (a container could plant a link a later bind follows; add :ro)", what, v.Source, v.Target)
		}
	}
	// A logging driver other than the engine's own files reaches out from the host (syslog, fluentd,
	// awslogs with the host's credentials).
	driver := s.LogDriver
	if s.Logging != nil {
		driver = s.Logging.Driver
	}
	c.untrusted(driver != "" && driver != "json-file" && driver != "local" && driver != "none", "logging", "%s: logging driver %s", what, driver)
}

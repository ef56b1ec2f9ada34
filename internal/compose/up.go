package compose

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/blkiodev"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/strslice"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// createResources makes the project's networks and named volumes, with their drivers and options,
// and checks that the external ones exist (as docker compose does, before any container).
func (r *Runner) createResources(ctx context.Context, p *types.Project) error {
	for _, key := range slices.Sorted(maps.Keys(p.Networks)) {
		n := p.Networks[key]
		name := networkName(p, key)
		if bool(n.External) {
			if _, err := r.Docker.NetworkInspect(ctx, name, network.InspectOptions{}); err != nil {
				return fmt.Errorf("network %s is external but the engine has none of that name: %w", name, err)
			}
			continue
		}
		labels := map[string]string{labelProject: p.Name, "com.docker.compose.network": key, labelSlipway: "1"}
		maps.Copy(labels, n.Labels)
		opts := network.CreateOptions{Driver: n.Driver, Options: n.DriverOpts, Internal: n.Internal,
			Attachable: n.Attachable, Labels: labels, EnableIPv4: n.EnableIPv4, EnableIPv6: n.EnableIPv6}
		if n.Ipam.Driver != "" || len(n.Ipam.Config) > 0 {
			ipam := &network.IPAM{Driver: n.Ipam.Driver, Options: n.Ipam.Options}
			for _, c := range n.Ipam.Config {
				ipam.Config = append(ipam.Config, network.IPAMConfig{Subnet: c.Subnet, Gateway: c.Gateway,
					IPRange: c.IPRange, AuxAddress: c.AuxiliaryAddresses})
			}
			opts.IPAM = ipam
		}
		if _, err := r.Docker.NetworkCreate(ctx, name, opts); err != nil {
			return fmt.Errorf("create network %s: %w", name, err)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(p.Volumes)) {
		v := p.Volumes[key]
		name := volumeName(p, key)
		if bool(v.External) {
			if _, err := r.Docker.VolumeInspect(ctx, name); err != nil {
				return fmt.Errorf("volume %s is external but the engine has none of that name: %w", name, err)
			}
			continue
		}
		labels := map[string]string{labelProject: p.Name, "com.docker.compose.volume": key, labelSlipway: "1"}
		maps.Copy(labels, v.Labels)
		if _, err := r.Docker.VolumeCreate(ctx, volume.CreateOptions{Name: name, Driver: v.Driver, DriverOpts: v.DriverOpts,
			Labels: labels}); err != nil {
			return fmt.Errorf("create volume %s: %w", name, err)
		}
	}
	return nil
}

func networkName(p *types.Project, key string) string {
	if n, ok := p.Networks[key]; ok && n.Name != "" {
		return n.Name
	}
	return p.Name + "_" + key
}

func volumeName(p *types.Project, key string) string {
	if v, ok := p.Volumes[key]; ok && v.Name != "" {
		return v.Name
	}
	return p.Name + "_" + key
}

// containerName is Compose's own naming, so `docker compose ps` shows them.
func containerName(p *types.Project, s types.ServiceConfig) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return p.Name + "-" + s.Name + "-1"
}

// imageName is the service's image, or the name Compose gives the image it builds for it.
func imageName(p *types.Project, s types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	return p.Name + "-" + s.Name
}

// create makes the service's container from its Compose definition: every key Check lets through is
// honoured here, the way docker compose passes it to the engine.
func (r *Runner) create(ctx context.Context, p *types.Project, s types.ServiceConfig) (string, error) {
	cfg, err := containerConfig(p, s)
	if err != nil {
		return "", fmt.Errorf("service %s: %w", s.Name, err)
	}
	host, err := r.hostConfig(p, s)
	if err != nil {
		return "", fmt.Errorf("service %s: %w", s.Name, err)
	}
	for _, port := range s.Ports {
		proto := cmpOr(port.Protocol, "tcp")
		pp, err := nat.NewPort(proto, fmt.Sprint(port.Target))
		if err != nil {
			return "", fmt.Errorf("service %s: port %d: %w", s.Name, port.Target, err)
		}
		cfg.ExposedPorts[pp] = struct{}{}
		if port.Published != "" || port.HostIP != "" {
			host.PortBindings[pp] = append(host.PortBindings[pp], nat.PortBinding{HostIP: port.HostIP, HostPort: port.Published})
		}
	}
	// The first network at creation; the others are connected before start.
	nets := serviceNetworks(p, s)
	netCfg := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
	if mode := networkMode(p, s); mode != "" {
		host.NetworkMode = container.NetworkMode(mode)
		nets = nil
	} else if len(nets) > 0 {
		host.NetworkMode = container.NetworkMode(nets[0].name)
		netCfg.EndpointsConfig[nets[0].name] = nets[0].settings
	}
	c, err := r.Docker.ContainerCreate(ctx, cfg, host, netCfg, parsePlatform(s.Platform), containerName(p, s))
	if err != nil {
		return "", fmt.Errorf("service %s: create container: %w", s.Name, err)
	}
	for _, n := range nets[min(1, len(nets)):] {
		if err := r.Docker.NetworkConnect(ctx, n.name, c.ID, n.settings); err != nil {
			return c.ID, fmt.Errorf("service %s: connect to %s: %w", s.Name, n.name, err)
		}
	}
	if err := r.copyFiles(ctx, p, s, c.ID); err != nil {
		return c.ID, fmt.Errorf("service %s: %w", s.Name, err)
	}
	return c.ID, nil
}

func containerConfig(p *types.Project, s types.ServiceConfig) (*container.Config, error) {
	cfg := &container.Config{
		Image: imageName(p, s), Cmd: strslice.StrSlice(s.Command),
		WorkingDir: s.WorkingDir, User: s.User, Hostname: s.Hostname, Domainname: s.DomainName,
		Tty: s.Tty, OpenStdin: s.StdinOpen, StopSignal: s.StopSignal,
		Labels: map[string]string{labelProject: p.Name, labelService: s.Name, "com.docker.compose.oneoff": "False",
			"com.docker.compose.container-number": "1", labelSlipway: "1"},
		ExposedPorts: nat.PortSet{},
	}
	if s.MacAddress != "" {
		// Engines before API 1.44 (20.10 is 1.41) read the address here only; later ones from the
		// endpoint too.
		//lint:ignore SA1019 the engines slipway meets start at API 1.41
		cfg.MacAddress = s.MacAddress
	}
	if s.Entrypoint != nil {
		// `entrypoint: []` clears the image's entrypoint: the engine reads an empty list as "unset".
		cfg.Entrypoint = strslice.StrSlice(s.Entrypoint)
		if len(s.Entrypoint) == 0 {
			cfg.Entrypoint = strslice.StrSlice{""}
		}
	}
	maps.Copy(cfg.Labels, s.Labels)
	for k, v := range s.Environment {
		if v != nil {
			cfg.Env = append(cfg.Env, k+"="+*v)
		}
	}
	slices.Sort(cfg.Env)
	if s.StopGracePeriod != nil {
		secs := int(time.Duration(*s.StopGracePeriod).Seconds())
		cfg.StopTimeout = &secs
	}
	for _, e := range s.Expose {
		proto := "tcp"
		if port, pr, ok := strings.Cut(e, "/"); ok {
			e, proto = port, pr
		}
		ports, _, err := nat.ParsePortSpecs([]string{e + "/" + proto})
		if err != nil {
			return nil, fmt.Errorf("expose %q: %w", e, err)
		}
		maps.Copy(cfg.ExposedPorts, ports)
	}
	if h := s.HealthCheck; h != nil {
		hc := &container.HealthConfig{Test: []string(h.Test)}
		if h.Disable {
			hc.Test = []string{"NONE"}
		}
		dur := func(d *types.Duration) time.Duration {
			if d == nil {
				return 0
			}
			return time.Duration(*d)
		}
		hc.Interval, hc.Timeout, hc.StartPeriod, hc.StartInterval = dur(h.Interval), dur(h.Timeout), dur(h.StartPeriod), dur(h.StartInterval)
		if h.Retries != nil {
			hc.Retries = int(*h.Retries)
		}
		cfg.Healthcheck = hc
	}
	return cfg, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (r *Runner) hostConfig(p *types.Project, s types.ServiceConfig) (*container.HostConfig, error) {
	host := &container.HostConfig{
		PortBindings: nat.PortMap{}, CapAdd: s.CapAdd, CapDrop: s.CapDrop, DNS: s.DNS, DNSOptions: s.DNSOpts,
		DNSSearch: s.DNSSearch, GroupAdd: s.GroupAdd, IpcMode: container.IpcMode(namespaceMode(p, s.Ipc)),
		PidMode: container.PidMode(namespaceMode(p, s.Pid)), UTSMode: container.UTSMode(s.Uts),
		UsernsMode: container.UsernsMode(s.UserNSMode), CgroupnsMode: container.CgroupnsMode(s.Cgroup),
		Privileged: s.Privileged, ReadonlyRootfs: s.ReadOnly, SecurityOpt: s.SecurityOpt, StorageOpt: s.StorageOpt,
		Sysctls: s.Sysctls, Runtime: s.Runtime, Isolation: container.Isolation(s.Isolation), Init: s.Init,
		OomScoreAdj: int(s.OomScoreAdj), ShmSize: int64(s.ShmSize), VolumeDriver: s.VolumeDriver,
		Annotations: s.Annotations, ExtraHosts: extraHosts(s.ExtraHosts),
	}
	if host.IpcMode == "" && ipcShared(p, s.Name) {
		host.IpcMode = "shareable" // another service joins this one's IPC namespace
	}
	if err := restartPolicy(s, host); err != nil {
		return nil, err
	}
	if s.Logging != nil || s.LogDriver != "" {
		host.LogConfig = container.LogConfig{Type: s.LogDriver, Config: s.LogOpt}
		if s.Logging != nil {
			host.LogConfig = container.LogConfig{Type: s.Logging.Driver, Config: s.Logging.Options}
		}
	}
	for _, t := range s.Tmpfs {
		if host.Tmpfs == nil {
			host.Tmpfs = map[string]string{}
		}
		target, opts, _ := strings.Cut(t, ":")
		host.Tmpfs[target] = opts
	}
	for _, v := range s.VolumesFrom {
		from, mode, _ := strings.Cut(v, ":")
		if name, ok := strings.CutPrefix(from, types.ContainerPrefix); ok {
			from, mode, _ = strings.Cut(name, ":")
		} else if other, ok := p.Services[from]; ok {
			from = containerName(p, other)
		}
		if mode != "" {
			from += ":" + mode
		}
		host.VolumesFrom = append(host.VolumesFrom, from)
	}
	if err := resources(s, &host.Resources); err != nil {
		return nil, err
	}
	for _, v := range s.Volumes {
		m, err := r.mount(p, v)
		if err != nil {
			return nil, err
		}
		host.Mounts = append(host.Mounts, m)
	}
	return host, nil
}

// extraHosts is the engine's host:ip form, in a stable order.
func extraHosts(h types.HostsList) []string {
	list := h.AsList(":")
	slices.Sort(list)
	return list
}

// namespaceMode turns Compose's service:<name> (ipc, pid) into the engine's container:<name>.
func namespaceMode(p *types.Project, mode string) string {
	if svc, ok := strings.CutPrefix(mode, types.ServicePrefix); ok {
		if other, ok := p.Services[svc]; ok {
			return types.ContainerPrefix + containerName(p, other)
		}
	}
	return mode
}

// networkMode is the engine's network mode for network_mode (or the legacy net), "" for the
// project's networks.
func networkMode(p *types.Project, s types.ServiceConfig) string {
	return namespaceMode(p, cmpOr(s.NetworkMode, s.Net))
}

func ipcShared(p *types.Project, name string) bool {
	for _, o := range p.Services {
		if o.Ipc == types.ServicePrefix+name {
			return true
		}
	}
	return false
}

func restartPolicy(s types.ServiceConfig, host *container.HostConfig) error {
	if s.Restart != "" {
		mode, retries, _ := strings.Cut(s.Restart, ":")
		host.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyMode(mode)}
		if retries != "" {
			n, err := strconv.Atoi(retries)
			if err != nil {
				return fmt.Errorf("restart %q: %q is not a number of retries", s.Restart, retries)
			}
			host.RestartPolicy.MaximumRetryCount = n
		}
	}
	if s.Deploy != nil && s.Deploy.RestartPolicy != nil && s.Restart == "" {
		rp := s.Deploy.RestartPolicy
		mode := map[string]container.RestartPolicyMode{"none": "no", "on-failure": "on-failure", "any": "always", "": "always"}[rp.Condition]
		host.RestartPolicy = container.RestartPolicy{Name: mode}
		if rp.MaxAttempts != nil && mode == "on-failure" {
			host.RestartPolicy.MaximumRetryCount = int(*rp.MaxAttempts)
		}
	}
	return nil
}

// resources maps the service's limits (and deploy.resources, as docker compose does) onto the engine's.
func resources(s types.ServiceConfig, res *container.Resources) error {
	res.CgroupParent, res.CpusetCpus = s.CgroupParent, s.CPUSet
	res.CPUShares, res.CPUPeriod, res.CPUQuota = s.CPUShares, s.CPUPeriod, s.CPUQuota
	res.CPURealtimePeriod, res.CPURealtimeRuntime = s.CPURTPeriod, s.CPURTRuntime
	res.CPUCount, res.CPUPercent = s.CPUCount, int64(s.CPUPercent)
	res.NanoCPUs = int64(float64(s.CPUS) * 1e9)
	res.Memory, res.MemoryReservation, res.MemorySwap = int64(s.MemLimit), int64(s.MemReservation), int64(s.MemSwapLimit)
	if s.MemSwappiness != 0 {
		sw := int64(s.MemSwappiness)
		res.MemorySwappiness = &sw
	}
	if s.OomKillDisable {
		res.OomKillDisable = &s.OomKillDisable
	}
	if s.PidsLimit != 0 {
		res.PidsLimit = &s.PidsLimit
	}
	res.DeviceCgroupRules = s.DeviceCgroupRules
	for _, d := range s.Devices {
		res.Devices = append(res.Devices, container.DeviceMapping{PathOnHost: d.Source, PathInContainer: cmpOr(d.Target, d.Source),
			CgroupPermissions: cmpOr(d.Permissions, "rwm")})
	}
	for _, g := range s.Gpus {
		res.DeviceRequests = append(res.DeviceRequests, deviceRequest(g, "gpu"))
	}
	if b := s.BlkioConfig; b != nil {
		res.BlkioWeight = b.Weight
		for _, w := range b.WeightDevice {
			res.BlkioWeightDevice = append(res.BlkioWeightDevice, &blkiodev.WeightDevice{Path: w.Path, Weight: w.Weight})
		}
		rate := func(ds []types.ThrottleDevice) []*blkiodev.ThrottleDevice {
			var out []*blkiodev.ThrottleDevice
			for _, d := range ds {
				out = append(out, &blkiodev.ThrottleDevice{Path: d.Path, Rate: uint64(d.Rate)})
			}
			return out
		}
		res.BlkioDeviceReadBps, res.BlkioDeviceWriteBps = rate(b.DeviceReadBps), rate(b.DeviceWriteBps)
		res.BlkioDeviceReadIOps, res.BlkioDeviceWriteIOps = rate(b.DeviceReadIOps), rate(b.DeviceWriteIOps)
	}
	res.Ulimits = ulimits(s.Ulimits)
	if s.Deploy != nil {
		if l := s.Deploy.Resources.Limits; l != nil {
			if res.NanoCPUs == 0 {
				res.NanoCPUs = int64(float64(l.NanoCPUs) * 1e9)
			}
			if res.Memory == 0 {
				res.Memory = int64(l.MemoryBytes)
			}
			if res.PidsLimit == nil && l.Pids != 0 {
				res.PidsLimit = &l.Pids
			}
		}
		if rv := s.Deploy.Resources.Reservations; rv != nil {
			if res.MemoryReservation == 0 {
				res.MemoryReservation = int64(rv.MemoryBytes)
			}
			for _, d := range rv.Devices {
				res.DeviceRequests = append(res.DeviceRequests, deviceRequest(d, ""))
			}
		}
	}
	return nil
}

// ulimits is the engine's form of Compose's ulimits (a single number sets both limits), by name.
func ulimits(m map[string]*types.UlimitsConfig) []*units.Ulimit {
	var out []*units.Ulimit
	for _, name := range slices.Sorted(maps.Keys(m)) {
		u := m[name]
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		out = append(out, &units.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	return out
}

func deviceRequest(d types.DeviceRequest, capability string) container.DeviceRequest {
	req := container.DeviceRequest{Driver: d.Driver, Count: int(d.Count), DeviceIDs: d.IDs, Options: d.Options}
	if len(d.Capabilities) > 0 {
		req.Capabilities = [][]string{d.Capabilities}
	} else if capability != "" {
		req.Capabilities = [][]string{{capability}}
	}
	if req.Count == 0 && len(req.DeviceIDs) == 0 {
		req.Count = -1 // all
	}
	return req
}

// mount is one entry of volumes: bind mounts (their source as the engine sees it, created when
// missing, as the short syntax does), named or anonymous volumes, tmpfs.
func (r *Runner) mount(p *types.Project, v types.ServiceVolumeConfig) (mount.Mount, error) {
	m := mount.Mount{Target: v.Target, ReadOnly: v.ReadOnly, Consistency: mount.Consistency(v.Consistency)}
	switch v.Type {
	case types.VolumeTypeBind:
		m.Type, m.Source = mount.TypeBind, r.hostPath(v.Source)
		if b := v.Bind; b != nil {
			m.BindOptions = &mount.BindOptions{Propagation: mount.Propagation(b.Propagation)}
			if bool(b.CreateHostPath) && filepath.IsAbs(v.Source) {
				if _, err := os.Stat(v.Source); os.IsNotExist(err) {
					_ = os.MkdirAll(v.Source, 0o755)
				}
			}
		}
	case types.VolumeTypeVolume:
		m.Type, m.Source = mount.TypeVolume, v.Source
		if _, ok := p.Volumes[v.Source]; ok {
			m.Source = volumeName(p, v.Source)
		}
		if vv := v.Volume; vv != nil {
			m.VolumeOptions = &mount.VolumeOptions{NoCopy: vv.NoCopy, Subpath: vv.Subpath, Labels: vv.Labels}
		}
	case types.VolumeTypeTmpfs:
		m.Type = mount.TypeTmpfs
		if t := v.Tmpfs; t != nil {
			m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(t.Size), Mode: os.FileMode(t.Mode)}
		}
	default:
		return m, fmt.Errorf("volume %s: type %q is not supported by run-e2e", v.Target, v.Type)
	}
	return m, nil
}

type serviceNet struct {
	name     string
	settings *network.EndpointSettings
}

// serviceNetworks lists the service's networks in Compose's order (priority, then name), each with
// its aliases, addresses and links.
func serviceNetworks(p *types.Project, s types.ServiceConfig) []serviceNet {
	var links []string
	for _, l := range s.Links {
		svc, alias, ok := strings.Cut(l, ":")
		if !ok {
			alias = svc
		}
		if other, ok := p.Services[svc]; ok {
			links = append(links, containerName(p, other)+":"+alias)
		}
	}
	for _, l := range s.ExternalLinks {
		name, alias, ok := strings.Cut(l, ":")
		if !ok {
			alias = name
		}
		links = append(links, name+":"+alias)
	}
	var out []serviceNet
	for _, k := range s.NetworksByPriority() {
		es := &network.EndpointSettings{Aliases: []string{s.Name}, Links: links}
		if c := s.Networks[k]; c != nil {
			if c.UseServiceNameAlias != nil && !*c.UseServiceNameAlias {
				es.Aliases = nil
			}
			es.Aliases = append(es.Aliases, c.Aliases...)
			es.DriverOpts, es.MacAddress, es.GwPriority = c.DriverOpts, c.MacAddress, c.GatewayPriority
			if c.Ipv4Address != "" || c.Ipv6Address != "" || len(c.LinkLocalIPs) > 0 {
				es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: c.Ipv4Address, IPv6Address: c.Ipv6Address, LinkLocalIPs: c.LinkLocalIPs}
			}
		}
		out = append(out, serviceNet{networkName(p, k), es})
	}
	return out
}

// parsePlatform parses os/arch[/variant].
func parsePlatform(s string) *ocispec.Platform {
	if s == "" {
		return nil
	}
	parts := strings.SplitN(strings.ToLower(s), "/", 3)
	pl := &ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		pl.Architecture = parts[1]
	}
	if len(parts) > 2 {
		pl.Variant = parts[2]
	}
	return pl
}

// hostPath turns a bind-mount source as slipway sees it into the path the engine sees. In a
// container action the workspace is mounted at /github/workspace from a host directory, and
// containers slipway starts are siblings on the host's engine: their bind sources must be host
// paths. WorkspaceHost (from the runner's mounts) maps the prefix; outside a container it is empty.
func (r *Runner) hostPath(p string) string {
	if r.WorkspaceHost == "" || r.Workspace == "" {
		return p
	}
	if p == r.Workspace || strings.HasPrefix(p, r.Workspace+"/") {
		return r.WorkspaceHost + strings.TrimPrefix(p, r.Workspace)
	}
	return p
}

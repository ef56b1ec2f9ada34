package compose

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/go-connections/nat"
)

// createResources makes the project's networks and named volumes (not the external ones).
func (r *Runner) createResources(ctx context.Context, p *types.Project) error {
	for key, n := range p.Networks {
		if bool(n.External) {
			continue
		}
		name := n.Name
		if name == "" {
			name = p.Name + "_" + key
		}
		_, err := r.Docker.NetworkCreate(ctx, name, network.CreateOptions{Driver: n.Driver,
			Labels: map[string]string{labelProject: p.Name, "com.docker.compose.network": key, labelSlipway: "1"}})
		if err != nil {
			return fmt.Errorf("create network %s: %w", name, err)
		}
	}
	for key, v := range p.Volumes {
		if bool(v.External) {
			continue
		}
		name := v.Name
		if name == "" {
			name = p.Name + "_" + key
		}
		if _, err := r.Docker.VolumeCreate(ctx, volume.CreateOptions{Name: name, Driver: v.Driver,
			Labels: map[string]string{labelProject: p.Name, "com.docker.compose.volume": key, labelSlipway: "1"}}); err != nil {
			return fmt.Errorf("create volume %s: %w", name, err)
		}
	}
	return nil
}

// containerName is Compose's own naming, so `docker compose ps` shows them.
func containerName(p *types.Project, s types.ServiceConfig) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return p.Name + "-" + s.Name + "-1"
}

// create makes the service's container from its Compose definition.
func (r *Runner) create(ctx context.Context, p *types.Project, s types.ServiceConfig) (string, error) {
	cfg := &container.Config{
		Image: s.Image, Entrypoint: []string(s.Entrypoint), Cmd: []string(s.Command),
		WorkingDir: s.WorkingDir, User: s.User, Hostname: s.Hostname,
		Labels: map[string]string{labelProject: p.Name, labelService: s.Name, "com.docker.compose.oneoff": "False",
			"com.docker.compose.container-number": "1", labelSlipway: "1"},
		ExposedPorts: nat.PortSet{},
	}
	if cfg.Image == "" {
		cfg.Image = p.Name + "-" + s.Name
	}
	for k, v := range s.Labels {
		cfg.Labels[k] = v
	}
	var env []string
	for k, v := range s.Environment {
		if v != nil {
			env = append(env, k+"="+*v)
		}
	}
	sort.Strings(env)
	cfg.Env = env
	if h := s.HealthCheck; h != nil {
		hc := &container.HealthConfig{Test: []string(h.Test)}
		if h.Disable {
			hc.Test = []string{"NONE"}
		}
		if h.Interval != nil {
			hc.Interval = time.Duration(*h.Interval)
		}
		if h.Timeout != nil {
			hc.Timeout = time.Duration(*h.Timeout)
		}
		if h.StartPeriod != nil {
			hc.StartPeriod = time.Duration(*h.StartPeriod)
		}
		if h.Retries != nil {
			hc.Retries = int(*h.Retries)
		}
		cfg.Healthcheck = hc
	}
	host := &container.HostConfig{PortBindings: nat.PortMap{}}
	if s.Restart != "" {
		mode, retries, _ := strings.Cut(s.Restart, ":")
		host.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyMode(mode)}
		host.RestartPolicy.MaximumRetryCount, _ = strconv.Atoi(retries)
	}
	for _, port := range s.Ports {
		proto := port.Protocol
		if proto == "" {
			proto = "tcp"
		}
		pp, err := nat.NewPort(proto, fmt.Sprint(port.Target))
		if err != nil {
			return "", fmt.Errorf("service %s: port %d: %w", s.Name, port.Target, err)
		}
		cfg.ExposedPorts[pp] = struct{}{}
		if port.Published != "" {
			host.PortBindings[pp] = append(host.PortBindings[pp], nat.PortBinding{HostIP: port.HostIP, HostPort: port.Published})
		}
	}
	for _, v := range s.Volumes {
		m := mount.Mount{Target: v.Target, ReadOnly: v.ReadOnly}
		switch v.Type {
		case types.VolumeTypeBind:
			m.Type, m.Source = mount.TypeBind, r.hostPath(v.Source)
		case types.VolumeTypeVolume:
			m.Type, m.Source = mount.TypeVolume, v.Source
			if vol, ok := p.Volumes[v.Source]; ok {
				m.Source = vol.Name
				if m.Source == "" {
					m.Source = p.Name + "_" + v.Source
				}
			}
		case types.VolumeTypeTmpfs:
			m.Type = mount.TypeTmpfs
		default:
			return "", fmt.Errorf("service %s: volume type %q is not supported by run-e2e", s.Name, v.Type)
		}
		host.Mounts = append(host.Mounts, m)
	}
	// The first network at creation; the others are connected before start.
	nets := serviceNetworks(p, s)
	netCfg := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
	if len(nets) > 0 {
		host.NetworkMode = container.NetworkMode(nets[0].name)
		netCfg.EndpointsConfig[nets[0].name] = &network.EndpointSettings{Aliases: nets[0].aliases}
	}
	c, err := r.Docker.ContainerCreate(ctx, cfg, host, netCfg, nil, containerName(p, s))
	if err != nil {
		return "", fmt.Errorf("service %s: create container: %w", s.Name, err)
	}
	for _, n := range nets[min(1, len(nets)):] {
		if err := r.Docker.NetworkConnect(ctx, n.name, c.ID, &network.EndpointSettings{Aliases: n.aliases}); err != nil {
			return c.ID, fmt.Errorf("service %s: connect to %s: %w", s.Name, n.name, err)
		}
	}
	return c.ID, nil
}

type serviceNet struct {
	name    string
	aliases []string
}

func serviceNetworks(p *types.Project, s types.ServiceConfig) []serviceNet {
	var out []serviceNet
	keys := make([]string, 0, len(s.Networks))
	for k := range s.Networks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := p.Name + "_" + k
		if n, ok := p.Networks[k]; ok && n.Name != "" {
			name = n.Name
		}
		aliases := []string{s.Name}
		if c := s.Networks[k]; c != nil {
			aliases = append(aliases, c.Aliases...)
		}
		out = append(out, serviceNet{name, aliases})
	}
	return out
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

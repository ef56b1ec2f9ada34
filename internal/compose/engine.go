package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/docker/cli/cli/command"
	"github.com/docker/cli/cli/flags"
	"github.com/docker/compose/v5/pkg/api"
	composeengine "github.com/docker/compose/v5/pkg/compose"
	mobyclient "github.com/moby/moby/client"
)

// EngineClient is the client Compose's engine drives the Docker Engine with (Compose v5 speaks
// through the moby/moby client module), for the engine at host (a DOCKER_HOST value; empty for the
// environment's or the default socket); it negotiates the API version, as this client always does.
func EngineClient(host string) (mobyclient.APIClient, error) {
	opts := []mobyclient.Opt{mobyclient.FromEnv}
	if host != "" {
		opts = append(opts, mobyclient.WithHost(host))
	}
	c, err := mobyclient.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("the Docker engine at %q: %w", host, err)
	}
	return c, nil
}

// newEngine is Compose's own engine (github.com/docker/compose/v5's pkg/compose service, the code
// behind `docker compose up`), driving the engine through c. What it reports of its progress goes to
// progress, one line per container change; the docker CLI's config is loaded as the CLI loads it.
func newEngine(c mobyclient.APIClient, progress func(string)) (api.Compose, error) {
	dcli, err := command.NewDockerCli(command.WithAPIClient(c), command.WithCombinedStreams(io.Discard),
		command.WithInputStream(io.NopCloser(strings.NewReader(""))))
	if err != nil {
		return nil, err
	}
	if err := dcli.Initialize(flags.NewClientOptions()); err != nil {
		return nil, err
	}
	return composeengine.NewComposeService(dcli, composeengine.WithPrompt(refusePrompt),
		composeengine.WithEventProcessor(&progressEvents{say: progress}),
		composeengine.WithOutputStream(io.Discard), composeengine.WithErrorStream(io.Discard))
}

// refusePrompt answers no to every question Compose would ask a user at a terminal (recreate a volume
// whose configuration changed, …): run-e2e never destroys what it did not make.
func refusePrompt(string, bool) (bool, error) { return false, nil }

// progressEvents turns Compose's progress events into lines: "Container p-db-1 Healthy".
type progressEvents struct {
	say  func(string)
	mu   sync.Mutex
	said map[string]string // resource → the last text said of it
}

func (*progressEvents) Start(context.Context, string) {}
func (*progressEvents) Done(string, bool)             {}

func (e *progressEvents) On(events ...api.Resource) {
	if e.say == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range events {
		if ev.Status == api.Working && ev.Text != "Waiting" {
			continue // the Done that follows says it
		}
		line := strings.TrimSpace(ev.ID + " " + ev.Text)
		if ev.Details != "" {
			line += ": " + ev.Details
		}
		if e.said == nil {
			e.said = map[string]string{}
		}
		if e.said[ev.ID] != line {
			e.said[ev.ID] = line
			e.say(line)
		}
	}
}

// guard stands between Compose's engine and the Docker Engine for one run, so that a cancel leaves
// nothing behind: a cancelled request does not stop the engine from creating what it asked for, so
// creates run to their answer whatever their caller's context, tracked; once teardown has begun,
// nothing more is created or started, and what lands after teardown's last sweep removes itself.
type guard struct {
	mobyclient.APIClient
	inflight sync.WaitGroup
	mu       sync.Mutex
	stopped  bool // teardown has begun: no create or start goes to the engine
	swept    bool // teardown made its last sweep: what lands removes itself
}

// errTornDown is what Compose gets for a create or start asked after teardown began.
var errTornDown = errors.New("run-e2e is tearing the project down")

// createTimeout bounds one create whose caller has gone.
const createTimeout = 2 * time.Minute

func (g *guard) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

func (g *guard) begin() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return false
	}
	g.inflight.Add(1)
	return true
}

// landed removes what a create made once the last sweep has passed.
func (g *guard) landed(remove func(context.Context)) {
	g.mu.Lock()
	late := g.swept
	g.mu.Unlock()
	if late {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		remove(ctx)
	}
}

// lastSweep marks teardown's last sweep.
func (g *guard) lastSweep() {
	g.mu.Lock()
	g.swept = true
	g.mu.Unlock()
}

// create runs fn, a create, to the engine's answer whatever ctx says.
func create[T any](g *guard, ctx context.Context, fn func(context.Context) (T, error), remove func(context.Context, T)) (T, error) {
	var zero T
	if !g.begin() {
		return zero, errTornDown
	}
	defer g.inflight.Done()
	octx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	res, err := fn(octx)
	if err == nil {
		g.landed(func(ctx context.Context) { remove(ctx, res) })
	}
	if err == nil && ctx.Err() != nil {
		return res, ctx.Err()
	}
	return res, err
}

func (g *guard) ContainerCreate(ctx context.Context, o mobyclient.ContainerCreateOptions) (mobyclient.ContainerCreateResult, error) {
	return create(g, ctx, func(ctx context.Context) (mobyclient.ContainerCreateResult, error) {
		return g.APIClient.ContainerCreate(ctx, o)
	}, func(ctx context.Context, r mobyclient.ContainerCreateResult) {
		_, _ = g.APIClient.ContainerRemove(ctx, r.ID, mobyclient.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	})
}

func (g *guard) NetworkCreate(ctx context.Context, name string, o mobyclient.NetworkCreateOptions) (mobyclient.NetworkCreateResult, error) {
	return create(g, ctx, func(ctx context.Context) (mobyclient.NetworkCreateResult, error) {
		return g.APIClient.NetworkCreate(ctx, name, o)
	}, func(ctx context.Context, r mobyclient.NetworkCreateResult) {
		_, _ = g.APIClient.NetworkRemove(ctx, r.ID, mobyclient.NetworkRemoveOptions{})
	})
}

func (g *guard) VolumeCreate(ctx context.Context, o mobyclient.VolumeCreateOptions) (mobyclient.VolumeCreateResult, error) {
	return create(g, ctx, func(ctx context.Context) (mobyclient.VolumeCreateResult, error) {
		return g.APIClient.VolumeCreate(ctx, o)
	}, func(ctx context.Context, r mobyclient.VolumeCreateResult) {
		_, _ = g.APIClient.VolumeRemove(ctx, r.Volume.Name, mobyclient.VolumeRemoveOptions{Force: true})
	})
}

func (g *guard) ContainerStart(ctx context.Context, id string, o mobyclient.ContainerStartOptions) (mobyclient.ContainerStartResult, error) {
	g.mu.Lock()
	stopped := g.stopped
	g.mu.Unlock()
	if stopped || ctx.Err() != nil {
		return mobyclient.ContainerStartResult{}, errTornDown
	}
	return g.APIClient.ContainerStart(ctx, id, o)
}

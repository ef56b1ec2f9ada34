package compose

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/compose/v5/pkg/api"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

// state is what the engine has said about one service's container.
type state struct {
	started, healthy, unhealthy, exited bool
	code                                int
	health                              string
	since                               time.Time // when it got to its latest state
	// When it first started, first became healthy and first exited 0: when each depends_on condition
	// was first met.
	startedAt, healthyAt, completedAt time.Time
}

// metAt is when s first met a depends_on condition; zero if it never did.
func (s state) metAt(cond string) time.Time {
	switch cond {
	case "service_healthy":
		return s.healthyAt
	case "service_completed_successfully":
		return s.completedAt
	}
	return s.startedAt
}

func (s state) String() string {
	switch {
	case s.exited:
		return "exited " + strconv.Itoa(s.code)
	case s.unhealthy:
		return "unhealthy"
	case s.healthy:
		return "healthy"
	case s.started && s.health != "":
		return "running (health: " + s.health + ")"
	case s.started:
		return "running"
	}
	return "created"
}

// tracker follows the project's containers through engine events, so waiting needs no polling.
type tracker struct {
	mu      sync.Mutex
	states  map[string]*state
	changed chan struct{} // closed and replaced on every change
	err     error         // the event stream broke
	// onStart is called with each service's container the first time it starts (not on a restart).
	onStart func(svc, id string)
}

func newTracker(onStart func(svc, id string)) *tracker {
	return &tracker{states: map[string]*state{}, changed: make(chan struct{}), onStart: onStart}
}

// watch subscribes to the project's container events; call it before creating anything.
func (t *tracker) watch(ctx context.Context, cli client.APIClient, project string) {
	msgs, errs := cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", labelProject+"="+project),
	)})
	go func() {
		for {
			select {
			case m := <-msgs:
				t.apply(m)
			case err := <-errs:
				t.mu.Lock()
				if ctx.Err() == nil {
					t.err = fmt.Errorf("engine events stopped: %w", err)
				}
				t.notify()
				t.mu.Unlock()
				return
			}
		}
	}()
}

func (t *tracker) apply(m events.Message) {
	svc := m.Actor.Attributes[labelService]
	if svc == "" || m.Actor.Attributes[api.HookLabel] != "" {
		return // a pre_start hook's container is not its service's
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.states[svc]
	if s == nil {
		s = &state{}
		t.states[svc] = s
	}
	now := time.Now()
	switch action := string(m.Action); {
	case action == "start":
		first := s.startedAt.IsZero()
		*s = state{started: true, since: now, startedAt: s.startedAt, healthyAt: s.healthyAt, completedAt: s.completedAt}
		if first {
			s.startedAt = now
			if t.onStart != nil {
				t.onStart(svc, m.Actor.ID)
			}
		}
	case action == "die":
		s.exited, s.since = true, now
		s.code, _ = strconv.Atoi(m.Actor.Attributes["exitCode"])
		if s.code == 0 && s.completedAt.IsZero() {
			s.completedAt = now
		}
	case strings.HasPrefix(action, "health_status"):
		h := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(action, "health_status"), ":"))
		s.health, s.since = h, now
		s.healthy, s.unhealthy = h == "healthy", h == "unhealthy"
		if s.healthy && s.healthyAt.IsZero() {
			s.healthyAt = now
		}
	default:
		return
	}
	t.notify()
}

func (t *tracker) notify() {
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *tracker) get(svc string) (state, <-chan struct{}, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s state
	if p := t.states[svc]; p != nil {
		s = *p
	}
	return s, t.changed, t.err
}

// condition reports whether svc meets a depends_on condition, or why it never will.
func condition(s state, cond string) (bool, error) {
	switch cond {
	case "service_healthy":
		switch {
		case s.healthy:
			return true, nil
		case s.unhealthy:
			return false, fmt.Errorf("is unhealthy")
		case s.exited:
			return false, fmt.Errorf("exited %d before it was healthy", s.code)
		}
	case "service_completed_successfully":
		if s.exited {
			if s.code == 0 {
				return true, nil
			}
			return false, fmt.Errorf("exited %d", s.code)
		}
	default: // service_started
		if s.started || s.exited {
			return true, nil
		}
	}
	return false, nil
}

package compose

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// facts is what testdata/platform's facts command writes, by its JSON names.
type facts map[string]any

func (f facts) str(k string) string {
	s, _ := f[k].(string)
	return s
}

func (f facts) num(k string) uint64 {
	n, _ := f[k].(float64)
	return uint64(n)
}

func (f facts) list(k string) []string {
	var out []string
	items, _ := f[k].([]any)
	for _, it := range items {
		s, _ := it.(string)
		out = append(out, s)
	}
	return out
}

// Capability bits of CapEff (linux/capability.h).
const (
	capChown    = 0
	capNetAdmin = 12
)

// Each key docker compose honours is seen from inside the containers: the test service's settings,
// three services on network_mode none, host and service:db, and one in db's IPC namespace (which
// brings db's /dev/shm with it, so shm_size is the test service's). Their findings land in a volume
// the reports are copied from.
func TestRun_HonouredKeysAreSeenInsideTheContainers(t *testing.T) {
	t.Parallel()
	// A server on the host's loopback, for network_mode host.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("host")) })}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	r, s := project(t)
	img := composetest.PlatformImage(t, dockertest.Client(t))
	factsCmd := func(name string, extra ...string) string {
		return `[/platform, facts, -name, ` + name + `, -out, /facts` + strings.Join(extra, "") + `]`
	}
	compose := `services:
  db:
    image: ` + img + `
    command: [serve]
    ipc: shareable # docker compose needs it too for ipcpeer's ipc: service:db on an engine whose default is private
    healthcheck: {test: ["CMD", "/platform", "check"], interval: 200ms, retries: 100}
  netnone:
    image: ` + img + `
    network_mode: none
    entrypoint: ` + factsCmd("netnone") + `
    volumes: [facts:/facts]
  nethost:
    image: ` + img + `
    network_mode: host
    entrypoint: ` + factsCmd("nethost", ", -get, http://"+l.Addr().String()+"/") + `
    volumes: [facts:/facts]
  netsvc:
    image: ` + img + `
    network_mode: service:db
    depends_on: {db: {condition: service_healthy}}
    entrypoint: ` + factsCmd("netsvc", ", -get, http://127.0.0.1:8080/ns") + `
    volumes: [facts:/facts]
  ipcpeer:
    image: ` + img + `
    ipc: service:db
    depends_on: {db: {condition: service_healthy}}
    entrypoint: ` + factsCmd("ipcpeer", ", -get, http://db:8080/ns") + `
    volumes: [facts:/facts]
  e2e:
    image: ` + img + `
    depends_on:
      db: {condition: service_healthy}
      netnone: {condition: service_completed_successfully}
      nethost: {condition: service_completed_successfully}
      netsvc: {condition: service_completed_successfully}
      ipcpeer: {condition: service_completed_successfully}
    entrypoint: ` + factsCmd("e2e") + `
    volumes: [facts:/facts]
    shm_size: 96m
    extra_hosts: ["registry.test:10.1.2.3"]
    cap_add: [NET_ADMIN]
    cap_drop: [CHOWN]
    tmpfs: ["/scratch:size=8m"]
    ulimits: {nofile: {soft: 1234, hard: 2345}}
    init: true
    user: "0:1234"
    working_dir: /work
    labels: {dev.slipway.test.key: seen}
    sysctls: {net.core.somaxconn: "1024"}
    platform: linux/` + runtime.GOARCH + `
volumes:
  facts:
`
	if err := os.WriteFile(filepath.Join(s.WorkDir, "compose.yml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	// Labels are for the engine, not the container: seen in the engine's events.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, _ := r.Docker.Events(ctx, events.ListOptions{Filters: filters.NewArgs(
		filters.Arg("type", "container"), filters.Arg("event", "create"), filters.Arg("label", "dev.slipway.test.key=seen"))})
	reports := t.TempDir()
	res, err := run(t, r, s, Options{WaitTimeout: time.Minute, Reports: "/facts/*.json", ReportsDir: reports})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exit %d, %v; logs %v", res.ExitCode, err, res.Logs)
	}
	select {
	case m := <-msgs:
		if m.Actor.Attributes[labelService] != "e2e" {
			t.Errorf("the labelled container is %v", m.Actor.Attributes)
		}
	case <-time.After(10 * time.Second):
		t.Error("no container was created with the label dev.slipway.test.key=seen")
	}
	read := func(name string) facts {
		var f facts
		data, err := os.ReadFile(filepath.Join(reports, name+".json"))
		if err != nil {
			t.Fatalf("%s: %v (reports: %v)", name, err, res.Reports)
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	e2e := read("e2e")
	for key, ok := range map[string]bool{
		"shm_size 96m":                       e2e.num("shm_bytes") == 96<<20,
		"ipc service:db":                     read("ipcpeer").str("get") == "200 "+read("ipcpeer").str("ipc_ns"),
		"extra_hosts":                        strings.Contains(e2e.str("hosts"), "10.1.2.3\tregistry.test"),
		"cap_add NET_ADMIN":                  e2e.num("cap_eff")&(1<<capNetAdmin) != 0,
		"cap_drop CHOWN":                     e2e.num("cap_eff")&(1<<capChown) == 0,
		"tmpfs /scratch:size=8m":             hasMount(e2e.str("mounts"), "/scratch", "tmpfs", "size=8192k"),
		"ulimits nofile 1234/2345":           e2e.num("nofile_soft") == 1234 && e2e.num("nofile_hard") == 2345,
		"init: docker-init is PID 1":         strings.Contains(e2e.str("pid1"), "docker-init"),
		"user 0:1234":                        e2e.num("uid") == 0 && e2e.num("gid") == 1234,
		"working_dir /work":                  e2e.str("cwd") == "/work",
		"entrypoint":                         slices.Equal(e2e.list("args")[:3], []string{"/platform", "facts", "-name"}),
		"sysctls net.core.somaxconn":         e2e.str("somaxconn") == "1024",
		"platform linux/" + runtime.GOARCH:   e2e.str("arch") == runtime.GOARCH,
		"network_mode none: loopback only":   slices.Equal(read("netnone").list("interfaces"), []string{"lo"}),
		"network_mode host: host's loopback": read("nethost").str("get") == "200 host",
		"network_mode service:db":            strings.HasPrefix(read("netsvc").str("get"), "200 ipc:"), // db answers on netsvc's own loopback
	} {
		if !ok {
			t.Errorf("%s: not seen inside the container; e2e saw %v", key, e2e)
		}
	}
}

func hasMount(mounts, target, fstype, opt string) bool {
	for _, line := range strings.Split(mounts, "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[1] == target && f[2] == fstype && strings.Contains(f[3], opt) {
			return true
		}
	}
	return false
}

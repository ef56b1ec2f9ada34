package compose

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/pmezard/go-difflib/difflib"

	"github.com/slipway-actions/slipway/internal/compose/composetest"
	"github.com/slipway-actions/slipway/internal/dockertest"
)

// The differential tests run one project twice on the real engine, once with the Docker Compose CLI
// built from the very module version run-e2e links (the reference) and once with run-e2e, and compare
// what the engine holds: `docker inspect` of every container (everything but what the engine makes
// anew for each container: ids, addresses, paths named after the id, state) and the order in which
// the services started and became ready.

// differentialProject uses the keys users commonly write, each chosen to show one behaviour where a
// re-implementation of `up` went wrong (issue #24), in a Compose file in a subdirectory:
//   - e2e/.env and env_file, resolved in the Compose file's directory, as is ./data (a bind), and
//     COMPOSE_PROFILES from that .env (extra is enabled, web is not);
//   - extends, and an override file with !reset and !override;
//   - restart together with deploy.restart_policy (deploy wins: db is on-failure:2), and
//     deploy.restart_policy without a condition (migrate never restarts);
//   - ports without a host port, short and long syntax (published on an ephemeral port);
//   - flaky crashes once under restart: on-failure and then becomes healthy: api waits for it;
//   - secrets and configs from files, a config that is a directory, bind-mounted read-only, read by a
//     non-root user in a read_only container with a tmpfs on /run;
//   - security_opt with a seccomp file (read and inlined) and systempaths=unconfined;
//   - every depends_on condition; a second network with an alias.
var differentialProject = map[string]string{
	"e2e/docker-compose.yml": `services:
  db:
    extends: {file: common.yml, service: base}
    command: [serve, -delay, 300ms]
    restart: always
    deploy:
      restart_policy: {condition: on-failure, max_attempts: 2}
    ports: ["5432"]
  flaky:
    image: IMAGE
    command: [flaky, -delay, 300ms]
    restart: on-failure
    healthcheck: {test: ["CMD", "/platform", "check"], interval: 200ms, retries: 100}
  migrate:
    image: IMAGE
    command: [migrate, -exit, "0"]
    deploy:
      restart_policy: {max_attempts: 3}
    depends_on: {db: {condition: service_healthy}}
  api:
    extends: {file: common.yml, service: base}
    command: [serve, -delay, 300ms]
    env_file: [app.env]
    environment: {FROM_DOTENV: "${GREETING}"}
    ports:
      - "8080"
      - {target: 9090, host_ip: 127.0.0.1, protocol: tcp}
    read_only: true
    tmpfs: [/tmp]
    security_opt: ["seccomp:./seccomp.json", "no-new-privileges:true", "systempaths=unconfined"]
    volumes: ["./data:/data:ro"]
    secrets: [token]
    configs: [{source: settings, target: /etc/settings.ini}, confdir]
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
      flaky: {condition: service_healthy}
  reader:
    image: IMAGE
    user: "1234:1234"
    read_only: true
    tmpfs: [/run, /out]
    secrets: [{source: token, mode: 0400}]
    configs: [confdir]
    command: [copy, /run/secrets/token, /out/token]
  extra:
    image: IMAGE
    profiles: [extra]
    command: [serve]
  web:
    image: IMAGE
    profiles: [web]
    command: [serve]
  e2e:
    image: IMAGE
    command: [sleep]
    depends_on:
      api: {condition: service_healthy}
      reader: {condition: service_completed_successfully}
      extra: {condition: service_started}
    networks:
      default: {}
      back: {aliases: [tester]}
networks:
  back: {}
secrets:
  token: {file: ./token.txt}
configs:
  settings: {file: ./settings.ini}
  confdir: {file: ./conf.d}
`,
	"e2e/common.yml": `services:
  base:
    image: IMAGE
    labels: {tier: backend}
    environment: {COMMON: "1"}
    healthcheck: {test: ["CMD", "/platform", "check"], interval: 200ms, retries: 100}
`,
	"e2e/override.yml": `services:
  db:
    ports: !reset []
  api:
    labels: !override {tier: api}
`,
	"e2e/.env":            "GREETING=hello-from-dotenv\nCOMPOSE_PROFILES=extra\n",
	"e2e/app.env":         "FROM_ENV_FILE=yes\n",
	"e2e/seccomp.json":    "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\"\n}\n",
	"e2e/data/seed.sql":   "select 1;\n",
	"e2e/token.txt":       "s3cret-token\n",
	"e2e/settings.ini":    "[app]\nmode=e2e\n",
	"e2e/conf.d/app.ini":  "[conf]\nx=1\n",
	"docker-compose.yml":  "services:\n  decoy: {image: IMAGE}\n", // the workspace root's: not the project's
	".env":                "GREETING=from-the-workspace-root\n",
	"e2e/unused/.gitkeep": "",
}

var differentialFiles = []string{"e2e/docker-compose.yml", "e2e/override.yml"}

func TestDifferential_RunE2EMatchesTheComposeCLI(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	bin := composetest.ComposeCLI(t)
	img := composetest.PlatformImage(t, cli)
	dir := writeProject(t, differentialProject, img)
	name := strings.ToLower(dockertest.UniqueName(t, "diff"))
	t.Cleanup(func() { _ = Down(context.Background(), cli, name) })

	ref := referenceRun(t, cli, bin, dir, name, differentialFiles)
	// run-e2e sees the workspace under another path than the engine, as in a container action
	// (/github/workspace): every host path it gives the engine is rewritten, and must end up as
	// Compose's.
	ws := filepath.Join(t.TempDir(), "workspace")
	if err := os.Symlink(dir, ws); err != nil {
		t.Fatal(err)
	}
	ours := slipwayRun(t, cli, ws, dir, name, differentialFiles)

	if !slices.Equal(slices.Sorted(maps.Keys(ref.inspect)), slices.Sorted(maps.Keys(ours.inspect))) {
		t.Fatalf("containers: Compose made %v, run-e2e %v", slices.Sorted(maps.Keys(ref.inspect)), slices.Sorted(maps.Keys(ours.inspect)))
	}
	for svc, want := range ref.inspect {
		if got := ours.inspect[svc]; got != want {
			t.Errorf("service %s: docker inspect differs from Compose's (- Compose, + run-e2e):\n%s", svc, diff(want, got))
		}
	}
	for _, o := range []startOrder{ref.order, ours.order} {
		if err := o.respects(ours.deps); err != nil {
			t.Errorf("start order %v: %v", o.started, err)
		}
	}
	if !slices.Equal(ref.order.chain(), ours.order.chain()) {
		t.Errorf("start order: Compose %v, run-e2e %v", ref.order.chain(), ours.order.chain())
	}

	// The behaviours themselves, read from run-e2e's containers (equal to Compose's, above).
	facts := ours.facts
	for what, ok := range map[string]bool{
		"web is behind a profile .env does not enable":             !slices.Contains(ours.order.started, "web"),
		"extra is enabled by COMPOSE_PROFILES of e2e/.env":         slices.Contains(ours.order.started, "extra"),
		".env of the Compose file's directory is read":             slices.Contains(facts["api"].Config.Env, "FROM_DOTENV=hello-from-dotenv"),
		"env_file resolves in the Compose file's directory":        slices.Contains(facts["api"].Config.Env, "FROM_ENV_FILE=yes"),
		"./data binds the Compose file's directory's data":         hasBind(facts["api"], filepath.Join(dir, "e2e", "data"), "/data"),
		"extends brings the base's environment":                    slices.Contains(facts["db"].Config.Env, "COMMON=1"),
		"!override replaces the labels":                            facts["api"].Config.Labels["tier"] == "api",
		"!reset clears db's ports":                                 len(facts["db"].HostConfig.PortBindings) == 0,
		"deploy.restart_policy wins over restart":                  facts["db"].HostConfig.RestartPolicy.Name == "on-failure" && facts["db"].HostConfig.RestartPolicy.MaximumRetryCount == 2,
		"no condition: migrate never restarts":                     facts["migrate"].HostConfig.RestartPolicy.Name == "" || facts["migrate"].HostConfig.RestartPolicy.Name == "no",
		"ports without a host port are published (ephemeral)":      len(facts["api"].HostConfig.PortBindings["8080/tcp"]) == 1 && len(facts["api"].HostConfig.PortBindings["9090/tcp"]) == 1,
		"flaky crashed once and api waited for it":                 facts["flaky"].RestartCount == 1,
		"the secret file is bind-mounted read-only":                hasBind(facts["api"], filepath.Join(dir, "e2e", "token.txt"), "/run/secrets/token"),
		"the config directory is bind-mounted":                     hasBind(facts["api"], filepath.Join(dir, "e2e", "conf.d"), "/confdir"),
		"the seccomp file is read and inlined":                     slices.ContainsFunc(facts["api"].HostConfig.SecurityOpt, func(s string) bool { return strings.HasPrefix(s, `seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`) }),
		"systempaths=unconfined clears the masked paths":           len(facts["api"].HostConfig.MaskedPaths) == 0 && len(facts["db"].HostConfig.MaskedPaths) > 0,
		"reader (uid 1234, read_only, tmpfs /run) read the secret": facts["reader"].State.ExitCode == 0,
	} {
		if !ok {
			t.Errorf("%s: not so", what)
		}
	}
}

// runFacts is what one run left on the engine while the test service ran.
type runFacts struct {
	inspect map[string]string                    // service → its container's inspect, normalised, as JSON
	facts   map[string]container.InspectResponse // service → its container's inspect
	order   startOrder
	deps    map[string][]string // service → what it depends on, from the loaded project
}

// referenceRun runs the project with the Compose CLI: up -d, inspect, down -v -t 0.
func referenceRun(t *testing.T, cli *client.Client, bin, dir, name string, files []string) runFacts {
	t.Helper()
	rec := recordStarts(t, cli, name)
	args := []string{"-p", name}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	if out, err := composeCommand(bin, dir, append(args, "up", "-d")...); err != nil {
		t.Fatalf("docker compose up: %v\n%s", err, out)
	}
	composetest.WaitPrinted(t, cli, name, "e2e", "sleeping", 2*time.Minute)
	res := runFacts{order: rec.stop()}
	res.inspect, res.facts = inspectAll(t, cli, name)
	if out, err := composeCommand(bin, dir, append(args, "down", "-v", "-t", "0")...); err != nil {
		t.Fatalf("docker compose down: %v\n%s", err, out)
	}
	return res
}

// slipwayRun runs the project with run-e2e; once the test service runs, everything is inspected and
// the test service killed, which ends the run.
func slipwayRun(t *testing.T, cli *client.Client, dir, hostDir, name string, files []string) runFacts {
	t.Helper()
	p, notes, err := Load(context.Background(), Spec{Files: files, WorkDir: dir, ProjectName: name, TestService: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Check(p, "e2e"); err != nil {
		t.Fatalf("check: %v (notes %v)", err, notes)
	}
	rec := recordStarts(t, cli, name)
	r := &Runner{Docker: cli, Infof: t.Logf, Workspace: dir}
	if hostDir != dir {
		r.WorkspaceHost = hostDir
	}
	done := make(chan error, 1)
	var out *Result
	go func() {
		var err error
		out, err = r.Run(context.Background(), p, Options{TestService: "e2e", WaitTimeout: 2 * time.Minute})
		done <- err
	}()
	composetest.WaitPrinted(t, cli, name, "e2e", "sleeping", 2*time.Minute)
	res := runFacts{order: rec.stop(), deps: map[string][]string{}}
	res.inspect, res.facts = inspectAll(t, cli, name)
	// Compose's labels name the files as it read them: from the workspace as this process sees it.
	for svc, text := range res.inspect {
		res.inspect[svc] = strings.ReplaceAll(text, dir+"/", hostDir+"/")
	}
	for n, s := range p.Services {
		res.deps[n] = slices.Sorted(maps.Keys(s.DependsOn))
	}
	if err := cli.ContainerKill(context.Background(), res.facts["e2e"].ID, "KILL"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil || out.ExitCode != 137 {
			t.Fatalf("run-e2e: exit %d, %v", out.ExitCode, err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("run-e2e did not end after its test service was killed")
	}
	if n, err := Leftovers(context.Background(), cli, name); err != nil || n != 0 {
		t.Errorf("%d containers, networks and volumes left (%v)", n, err)
	}
	return res
}

func composeCommand(bin, dir string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	wait, err := dockertest.StartWithTest(cmd)
	if err != nil {
		return "", err
	}
	err = wait()
	return out.String(), err
}

// writeProject writes files (IMAGE standing for img) into a new directory.
func writeProject(t *testing.T, files map[string]string, img string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "IMAGE", img)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// inspectAll inspects every container of the project, by service.
func inspectAll(t *testing.T, cli *client.Client, project string) (map[string]string, map[string]container.InspectResponse) {
	t.Helper()
	ctx := context.Background()
	cs, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", labelProject+"="+project))})
	if err != nil {
		t.Fatal(err)
	}
	norm, facts := map[string]string{}, map[string]container.InspectResponse{}
	for _, c := range cs {
		info, raw, err := cli.ContainerInspectWithRaw(ctx, c.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		svc := c.Labels[labelService]
		facts[svc] = info
		norm[svc] = normalise(t, raw, info.ID)
	}
	return norm, facts
}

// hexID matches what the engine names after a container or volume it made: not the project's.
var hexID = regexp.MustCompile(`[0-9a-f]{64}`)

// normalise keeps of an inspect what the project decides: the engine's own per-container facts (ids,
// creation time, state, addresses, paths named after the id) go.
func normalise(t *testing.T, raw []byte, id string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Id", "Created", "State", "ResolvConfPath", "HostnamePath", "HostsPath", "LogPath", "GraphDriver",
		"SizeRw", "SizeRootFs", "ExecIDs"} { // ExecIDs: the healthchecks under way
		delete(m, k)
	}
	// Compose writes a map's entries in Go's random map order (environment, depends_on, mounts): the CLI
	// run twice differs there too, and the order means nothing to the engine.
	if cfg, ok := m["Config"].(map[string]any); ok {
		if cfg["Hostname"] == id[:12] {
			delete(cfg, "Hostname")
		}
		if env, ok := cfg["Env"].([]any); ok {
			slices.SortFunc(env, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		}
		if labels, ok := cfg["Labels"].(map[string]any); ok {
			if d, ok := labels["com.docker.compose.depends_on"].(string); ok {
				parts := strings.Split(d, ",")
				slices.Sort(parts)
				labels["com.docker.compose.depends_on"] = strings.Join(parts, ",")
			}
		}
	}
	// The mounts too come from a map (by target).
	byJSON := func(a, b any) int {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return strings.Compare(string(x), string(y))
	}
	if mounts, ok := m["Mounts"].([]any); ok {
		slices.SortFunc(mounts, byJSON)
	}
	if hc, ok := m["HostConfig"].(map[string]any); ok {
		for _, k := range []string{"Mounts", "Binds"} {
			if list, ok := hc[k].([]any); ok {
				slices.SortFunc(list, byJSON)
			}
		}
	}
	ns, _ := m["NetworkSettings"].(map[string]any)
	nets := map[string]any{}
	if n, ok := ns["Networks"].(map[string]any); ok {
		for name, v := range n {
			ep, _ := v.(map[string]any)
			aliases, _ := ep["Aliases"].([]any)
			aliases = slices.DeleteFunc(slices.Clone(aliases), func(a any) bool { return a == id[:12] }) // the engine's own
			nets[name] = map[string]any{"Aliases": aliases, "Links": ep["Links"], "IPAMConfig": ep["IPAMConfig"], "DriverOpts": ep["DriverOpts"]}
		}
	}
	m["NetworkSettings"] = map[string]any{"Networks": nets}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return hexID.ReplaceAllString(string(out), "<id>")
}

func diff(a, b string) string {
	d, _ := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{A: difflib.SplitLines(a), B: difflib.SplitLines(b), Context: 2})
	return d
}

func hasBind(c container.InspectResponse, source, target string) bool {
	for _, m := range c.Mounts {
		if m.Source == source && m.Destination == target && !m.RW {
			return true
		}
	}
	return false
}

// startOrder is the order in which a run's services first started.
type startOrder struct {
	started []string
}

// respects says whether every service started after each of its dependencies.
func (o startOrder) respects(deps map[string][]string) error {
	var errs []error
	for svc, ds := range deps {
		i := slices.Index(o.started, svc)
		for _, d := range ds {
			if j := slices.Index(o.started, d); i >= 0 && (j < 0 || j > i) {
				errs = append(errs, fmt.Errorf("%s started before its dependency %s", svc, d))
			}
		}
	}
	return errors.Join(errs...)
}

// chain is the start order of the services whose order depends_on decides (the rest start at once).
func (o startOrder) chain() []string {
	var out []string
	for _, s := range o.started {
		if s != "extra" && s != "reader" && s != "flaky" && s != "db" {
			out = append(out, s)
		}
	}
	return out
}

// recorder notes the project's container starts, from the engine's events.
type recorder struct {
	stop func() startOrder
}

func recordStarts(t *testing.T, cli *client.Client, project string) recorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	msgs, _ := cli.Events(ctx, events.ListOptions{Filters: filters.NewArgs(filters.Arg("type", "container"),
		filters.Arg("label", labelProject+"="+project))})
	var (
		mu sync.Mutex
		o  startOrder
	)
	sawLast := make(chan struct{}) // the test service started: every start before it was seen
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-msgs:
				svc := m.Actor.Attributes[labelService]
				mu.Lock()
				if m.Action == "start" && !slices.Contains(o.started, svc) {
					o.started = append(o.started, svc)
					if svc == "e2e" {
						close(sawLast)
					}
				}
				mu.Unlock()
			}
		}
	}()
	// The engine sends events in order: once the test service's start has arrived, so has every start
	// before it.
	return recorder{stop: func() startOrder {
		select {
		case <-sawLast:
		case <-time.After(time.Minute):
			t.Error("the engine never said the test service started")
		}
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		return startOrder{started: slices.Clone(o.started)}
	}}
}

// Keys that newer engines honour: what Compose makes of them on this engine run-e2e makes too —
// bind.recursive goes to the engine as Compose sends it, and interface_name is refused as Compose
// refuses it, as bad input naming the key (exit 2), nothing left behind.
func TestDifferential_KeysOfNewerEngines(t *testing.T) {
	t.Parallel()
	cli := dockertest.Client(t)
	bin := composetest.ComposeCLI(t)
	img := composetest.PlatformImage(t, cli)
	t.Run("bind.recursive", func(t *testing.T) {
		t.Parallel()
		dir := writeProject(t, map[string]string{"compose.yml": `services:
  e2e:
    image: IMAGE
    command: [sleep]
    volumes:
      - {type: bind, source: ./data, target: /data, read_only: true, bind: {recursive: readonly}}
`, "data/x": "x"}, img)
		name := strings.ToLower(dockertest.UniqueName(t, "diff"))
		t.Cleanup(func() { _ = Down(context.Background(), cli, name) })
		ref := referenceRun(t, cli, bin, dir, name, []string{"compose.yml"})
		ours := slipwayRun(t, cli, dir, dir, name, []string{"compose.yml"})
		if got, want := ours.inspect["e2e"], ref.inspect["e2e"]; got != want {
			t.Errorf("docker inspect differs from Compose's (- Compose, + run-e2e):\n%s", diff(want, got))
		}
	})
	t.Run("interface_name", func(t *testing.T) {
		t.Parallel()
		dir := writeProject(t, map[string]string{"compose.yml": `services:
  e2e:
    image: IMAGE
    command: [sleep]
    networks:
      default: {interface_name: eth7}
`}, img)
		name := strings.ToLower(dockertest.UniqueName(t, "diff"))
		t.Cleanup(func() { _ = Down(context.Background(), cli, name) })
		out, cerr := composeCommand(bin, dir, "-p", name, "-f", "compose.yml", "up", "-d")
		_, _ = composeCommand(bin, dir, "-p", name, "down", "-v", "-t", "0")
		p, _, err := Load(context.Background(), Spec{Files: []string{"compose.yml"}, WorkDir: dir, ProjectName: name, TestService: "e2e"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := (&Runner{Docker: cli, Infof: t.Logf}).Run(context.Background(), p, Options{TestService: "e2e", WaitTimeout: time.Minute})
		if n, lerr := Leftovers(context.Background(), cli, name); lerr != nil || n != 0 {
			t.Errorf("%d containers, networks and volumes left (%v)", n, lerr)
		}
		const says = "interface_name requires Docker Engine v28.1 or later"
		if cerr == nil || !strings.Contains(out, says) {
			if cerr == nil { // Docker Engine v28.1 or later honours it: Compose ran it, so must run-e2e
				if isInputError(err) {
					t.Errorf("Compose ran interface_name on this engine, run-e2e refused it: %v", err)
				}
				return
			}
			t.Fatalf("Compose: %v\n%s", cerr, out)
		}
		if !isInputError(err) || !strings.Contains(err.Error(), says) || res.ExitCode != -1 {
			t.Errorf("run-e2e: exit %d, %v; want bad input saying %q as Compose does", res.ExitCode, err, says)
		}
	})
}

// A service_healthy dependency whose healthcheck is disabled never becomes healthy: Compose says so at
// once rather than waiting out wait-timeout, and so does run-e2e.
func TestRun_HealthyConditionOnADisabledHealthcheckFailsAtOnce(t *testing.T) {
	t.Parallel()
	r, s := project(t, "command: [serve, -delay, 1s]\n    healthcheck: {test: [\"CMD\", \"/platform\", \"check\"], interval: 200ms, retries: 100}",
		"command: [serve, -delay, 1s]\n    healthcheck: {disable: true}")
	start := time.Now()
	_, err := run(t, r, s, Options{WaitTimeout: 5 * time.Minute})
	var nr *NotReadyError
	if !errors.As(err, &nr) || nr.Service != "api" || !strings.Contains(nr.Why, "has no healthcheck configured") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > time.Minute {
		t.Errorf("it took %s to fail, as if it waited for wait-timeout (5m)", took)
	}
}

package rollout

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/flagsmith"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"

	"github.com/slipway-actions/slipway/internal/failure"
)

// server is one kind of Flagsmith a rollout must work with.
type server struct {
	name              string
	future, versioned bool
}

var servers = []server{
	{"__future__, unversioned", true, false},
	{"__future__, versioning v2", true, true},
	{"no __future__, unversioned", false, false},
	{"no __future__, versioning v2", false, true},
}

// unversioned is the newest kind of server without feature versioning, for tests of one path.
var unversioned = servers[0]

// onEveryServer runs test on each kind of server, in parallel.
func onEveryServer(t *testing.T, test func(t *testing.T, s server)) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			test(t, s)
		})
	}
}

type world struct {
	fake    *flagsmithtest.Fake
	project int
	feature int
	client  *flagsmith.Client
}

const (
	envKey = "prodEnvKey123"
	devKey = "devEnvKey456"
)

var rolloutSegment = SegmentName("new-checkout", "Production")

// newWorld is a project with Development and Production (of the server's kind) and three
// features, and a client whose every request and answer is checked against Flagsmith's document.
func newWorld(t *testing.T, s server) *world {
	t.Helper()
	f := flagsmithtest.New(t)
	if !s.future {
		f.WithoutFuture()
	}
	p := f.AddProject("web")
	f.AddProject("mobile")
	f.AddEnvironment(p, "Development", devKey, s.versioned)
	f.AddEnvironment(p, "Production", envKey, s.versioned)
	f.AddFeature(p, "new-checkout-v2", false) // "new-checkout" is a substring of it
	id := f.AddFeature(p, "new-checkout", false)
	f.AddFeature(p, "dark-mode", true)
	k, err := flagsmithtest.NewChecker(func(err error) { t.Errorf("client: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	c, err := flagsmith.New(f.URL, f.Key, flagsmith.WithRetry(5, time.Millisecond, time.Minute),
		flagsmith.WithHTTPClient(&http.Client{Transport: k.Transport(http.DefaultTransport)}))
	if err != nil {
		t.Fatal(err)
	}
	return &world{fake: f, project: p, feature: id, client: c}
}

func (w *world) run(t *testing.T, cfg Config) (*Result, error) {
	t.Helper()
	return w.runCtx(context.Background(), t, cfg)
}

func (w *world) runCtx(ctx context.Context, t *testing.T, cfg Config) (*Result, error) {
	t.Helper()
	if cfg.Project == "" {
		cfg.Project, cfg.Feature = "web", "new-checkout"
	}
	if cfg.Environment == "" {
		cfg.Environment = "Production"
	}
	return Run(ctx, w.client, cfg, func(format string, args ...any) { t.Logf(format, args...) })
}

func (w *world) state() flagsmith.FeatureState { return w.fake.State(envKey, w.feature) }

// segment returns the project's segment of that name, or nil.
func (w *world) segment(name string) *flagsmith.Segment {
	for _, s := range w.fake.Segments(w.project) {
		if s.Name == name {
			return &s
		}
	}
	return nil
}

func pct(n int) *int { return &n }

func writes(f *flagsmithtest.Fake) []string {
	var out []string
	for _, r := range f.Writes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func isInput(err error) bool { return failure.Of(err) == failure.Input }

// featureWrite is the request that sets the override of a first step on each kind of server.
func (w *world) featureWrite(s server) string {
	id := strconv.Itoa(w.feature)
	switch {
	case s.future:
		return "PATCH /api/__future__/environments/" + envKey + "/features/" + id + "/"
	case s.versioned:
		return "POST /api/v1/environments/" + strconv.Itoa(w.envID()) + "/features/" + id + "/versions/"
	}
	return "POST /api/v1/environments/" + envKey + "/features/" + id + "/create-segment-override/"
}

func (w *world) envID() int {
	env, _ := w.client.Environment(context.Background(), w.project, envKey)
	return env.ID
}

func TestRun_FirstStepCreatesSegmentAndOverride(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		res, err := w.run(t, Config{Percentage: pct(10)})
		if err != nil {
			t.Fatal(err)
		}
		segs := w.fake.Segments(w.project)
		if len(segs) != 1 || segs[0].Name != "slipway-rollout-new-checkout (Production)" {
			t.Fatalf("segments = %+v, want the rollout segment of Production", segs)
		}
		if got := ruleText(segs[0].Rules); got != `ALL(ANY(PERCENTAGE_SPLIT "10"))` {
			t.Errorf("rules = %s", got)
		}
		st := w.state()
		o, ok := st.Override(segs[0].ID)
		if !ok || !o.Enabled || st.Default.Enabled {
			t.Errorf("state = %+v, want the segment's override on and the default off", st)
		}
		if res.Before.Override != nil || res.Before.Segment != nil || res.Before.Default.Enabled {
			t.Errorf("before = %+v, want off with no segment", res.Before)
		}
		if got := res.After.Describe(); got != "on for 10%, off for the rest" {
			t.Errorf("after = %q", got)
		}
		want := []string{"POST /api/v1/projects/101/segments/", w.featureWrite(s)}
		if got := writes(w.fake); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("writes = %q, want %q", got, want)
		}
		if s.future != strings.Contains(res.Endpoints, "__future__") {
			t.Errorf("endpoints = %q", res.Endpoints)
		}
	})
}

func TestRun_NextStepOnlyChangesThePercentage(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		if _, err := w.run(t, Config{Users: []string{"alice", "bob"}}); err != nil {
			t.Fatal(err)
		}
		n := len(w.fake.Writes())
		res, err := w.run(t, Config{Percentage: pct(25)})
		if err != nil {
			t.Fatal(err)
		}
		got := writes(w.fake)[n:]
		if len(got) != 1 || !strings.HasPrefix(got[0], "PUT /api/v1/projects/101/segments/") {
			t.Errorf("writes = %q, want one PUT of the segment", got)
		}
		// The users stay: ANY of them or the 25%.
		if r := ruleText(w.segment(rolloutSegment).Rules); r != `ALL(ANY(IN $.identity.identifier "alice,bob", PERCENTAGE_SPLIT "25"))` {
			t.Errorf("rules = %s", r)
		}
		if got := res.After.Describe(); got != "on for 25% and 2 named users, off for the rest" {
			t.Errorf("after = %q", got)
		}
	})
}

func TestRun_SameStepTwiceWritesNothing(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		cfg := Config{Percentage: pct(50), Users: []string{"alice"}, Value: "blue"}
		if _, err := w.run(t, cfg); err != nil {
			t.Fatal(err)
		}
		n := len(w.fake.Writes())
		res, err := w.run(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := writes(w.fake)[n:]; len(got) != 0 || len(res.Changes) != 0 {
			t.Errorf("re-run wrote %q (changes %q), want nothing", got, res.Changes)
		}
	})
}

func TestRun_StepsWithGateGoAllTheWay(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		var seen []string
		gate := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			seen = append(seen, ruleText(w.segment(rolloutSegment).Rules))
		}))
		defer gate.Close()
		res, err := w.run(t, Config{Steps: []int{1, 10, 50}, Gate: Gate{URL: gate.URL}, StepWait: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 3 || !strings.Contains(seen[0], `"1"`) || !strings.Contains(seen[2], `"50"`) {
			t.Errorf("gate saw %q, want 1%%, 10%%, 50%% in turn", seen)
		}
		if len(res.Steps) != 3 || res.Steps[2].Gate == nil || !res.Steps[2].Gate.OK {
			t.Errorf("steps = %+v", res.Steps)
		}
		// Per step after the first: one read of the feature state and one segment write.
		var reads, puts int
		for _, r := range w.fake.Requests() {
			if r.Method == http.MethodGet && r.Status == http.StatusOK && (strings.Contains(r.Path, "__future__") || strings.HasSuffix(r.Path, "/featurestates/")) {
				reads++
			}
			if r.Method == http.MethodPut {
				puts++
			}
		}
		if reads != 3 || puts != 2 {
			t.Errorf("feature-state reads = %d, segment updates = %d; want 3 and 2", reads, puts)
		}
	})
}

func TestRun_FailingGateRestoresTheStateBeforeTheRun(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		if _, err := w.run(t, Config{Percentage: pct(5)}); err != nil {
			t.Fatal(err)
		}
		before := w.state()
		beforeSeg := ruleText(w.segment(rolloutSegment).Rules)
		res, err := w.run(t, Config{Steps: []int{10, 50}, Gate: Gate{Command: `test "$SLIPWAY_PERCENTAGE" -lt 50`}})
		var ge *GateError
		if !errors.As(err, &ge) || ge.Result.Detail != "gate-command exited 1" || !strings.Contains(err.Error(), "restored to its state before the run") {
			t.Fatalf("err = %v, want the gate's failure", err)
		}
		if !res.RolledBack || res.Left != LeftPrevious || len(res.Steps) != 2 || !res.Steps[0].Gate.OK {
			t.Errorf("result = %+v, want 10%% passed, 50%% failed, rolled back", res)
		}
		if got := ruleText(w.segment(rolloutSegment).Rules); got != beforeSeg {
			t.Errorf("segment = %s, want it back at %s", got, beforeSeg)
		}
		if after := w.state(); len(after.Overrides) != len(before.Overrides) || after.Default != before.Default {
			t.Errorf("state = %+v, want %+v", after, before)
		}
	})
}

func TestRun_ErrorMidRolloutRestoresTheStateBeforeTheRun(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		// The segment is created, then setting the override fails (after retries, where it may).
		write := strings.Fields(w.featureWrite(s))
		w.fake.Fail(write[0], write[1], http.StatusInternalServerError, 5)
		res, err := w.run(t, Config{Percentage: pct(10)})
		if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "restored to its state before the run") {
			t.Fatalf("err = %v", err)
		}
		if segs := w.fake.Segments(w.project); len(segs) != 0 || !res.RolledBack {
			t.Errorf("segments = %+v, want the new segment deleted again", segs)
		}
		if st := w.state(); len(st.Overrides) != 0 || st.Default.Enabled {
			t.Errorf("state = %+v, want untouched", st)
		}
	})
}

func TestRun_FinalizeTurnsTheDefaultOnAndRemovesTheRollout(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		if _, err := w.run(t, Config{Percentage: pct(100), Value: "v2"}); err != nil {
			t.Fatal(err)
		}
		res, err := w.run(t, Config{Finalize: true})
		if err != nil {
			t.Fatal(err)
		}
		st := w.state()
		if !st.Default.Enabled || st.Default.Value == nil || st.Default.Value.Value != "v2" || len(st.Overrides) != 0 {
			t.Errorf("state = %+v, want on for everyone with the rollout's value", st)
		}
		if len(w.fake.Segments(w.project)) != 0 {
			t.Errorf("the rollout segment is still there")
		}
		if got := res.After.Describe(); got != `on for everyone (value "v2")` {
			t.Errorf("after = %q", got)
		}
	})
}

func TestRun_RollbackRestoresPreviousState(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		first, err := w.run(t, Config{Percentage: pct(10)})
		if err != nil {
			t.Fatal(err)
		}
		// A finalize, then a rollback with the previous-state of the finalize run.
		fin, err := w.run(t, Config{Finalize: true})
		if err != nil {
			t.Fatal(err)
		}
		prev, err := ParseState(fin.Before.JSON())
		if err != nil {
			t.Fatal(err)
		}
		res, err := w.run(t, Config{Rollback: true, PreviousState: prev})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.After.Describe(), first.After.Describe(); got != want {
			t.Errorf("after rollback: %q, want %q", got, want)
		}
		st := w.state()
		segs := w.fake.Segments(w.project)
		if len(segs) != 1 || st.Default.Enabled || len(st.Overrides) != 1 || st.Overrides[0].SegmentID != segs[0].ID {
			t.Errorf("state = %+v with segments %+v, want the 10%% rollout back on a new segment", st, segs)
		}
		// Without previous-state, rollback removes the rollout and keeps the default.
		if _, err := w.run(t, Config{Rollback: true}); err != nil {
			t.Fatal(err)
		}
		if st := w.state(); len(st.Overrides) != 0 || len(w.fake.Segments(w.project)) != 0 || st.Default.Enabled {
			t.Errorf("state = %+v, want the rollout removed", st)
		}
	})
}

func TestRun_DryRunWritesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	res, err := w.run(t, Config{Steps: []int{1, 50, 100}, Users: []string{"alice"}, DryRun: true, Gate: Gate{Command: "exit 1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := writes(w.fake); len(got) != 0 {
		t.Errorf("dry run wrote %q", got)
	}
	if len(res.Changes) < 3 || !strings.HasPrefix(res.Changes[0], "would create segment") {
		t.Errorf("plan = %q", res.Changes)
	}
}

func TestRun_OtherOverridesAreUntouchedAndKeepPriority(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	blocked := w.fake.AddSegment(flagsmith.Segment{Name: "blocked-regions", Project: w.project, Rules: segmentRules([]string{"x"}, nil)})
	w.fake.SetState(envKey, w.feature, flagsmith.FeatureState{Overrides: []flagsmith.SegmentOverride{{SegmentID: blocked, Priority: 0}}})
	if _, err := w.run(t, Config{Percentage: pct(20)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.run(t, Config{Rollback: true}); err != nil {
		t.Fatal(err)
	}
	st := w.state()
	if len(st.Overrides) != 1 || st.Overrides[0].SegmentID != blocked {
		t.Errorf("overrides = %+v, want only blocked-regions", st.Overrides)
	}
}

func TestRun_NewOverrideGoesAfterExistingOnes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	blocked := w.fake.AddSegment(flagsmith.Segment{Name: "blocked-regions", Project: w.project, Rules: segmentRules([]string{"x"}, nil)})
	w.fake.SetState(envKey, w.feature, flagsmith.FeatureState{Overrides: []flagsmith.SegmentOverride{{SegmentID: blocked, Priority: 3}}})
	res, err := w.run(t, Config{Percentage: pct(20)})
	if err != nil {
		t.Fatal(err)
	}
	if res.After.Override.Priority != 4 {
		t.Errorf("priority = %d, want 4 (after blocked-regions)", res.After.Override.Priority)
	}
}

func TestRun_VersionedEnvironment(t *testing.T) {
	t.Parallel()
	for _, s := range []server{servers[1], servers[3]} {
		w := newWorld(t, s)
		if _, err := w.run(t, Config{Percentage: pct(10)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.run(t, Config{Finalize: true}); err != nil {
			t.Fatal(err)
		}
		// One version for the override; finalize's default and removal are one more through a
		// version of its own, two through __future__ (a version per request).
		if v, want := w.fake.Versions(envKey, w.feature), map[bool]int{true: 3, false: 2}[s.future]; v != want {
			t.Errorf("%s: versions = %d, want %d", s.name, v, want)
		}
		if st := w.state(); !st.Default.Enabled {
			t.Errorf("%s: state = %+v, want on", s.name, st)
		}
	}
}

func TestRun_RetriesThrottledRequests(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	w.fake.Throttle(2, "1")
	start := time.Now()
	if _, err := w.run(t, Config{Percentage: pct(10)}); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 2*time.Second {
		t.Errorf("took %s, want at least the two Retry-After seconds", time.Since(start))
	}
	if n := w.fake.Requests(); n[0].Status != 429 || n[1].Status != 429 || n[2].Status != 200 {
		t.Errorf("requests = %+v", n[:3])
	}
}

func TestRun_BadNamesAreInputErrorsThatNameCloseOnes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Project: "webb", Environment: "Production", Feature: "new-checkout"}, `project "webb" not found; close names: web`},
		{Config{Project: "web", Environment: "Prod", Feature: "new-checkout"}, `project "web": environment "Prod" not found; close names: Production`},
		{Config{Project: "web", Environment: "Production", Feature: "new-chekout"}, `feature "new-chekout" not found; close names: new-checkout`},
		{Config{Project: "999", Environment: "Production", Feature: "x"}, `project "999" not found`},
	} {
		_, err := w.run(t, tc.cfg)
		if !isInput(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want an input error with %q", tc.cfg, err, tc.want)
		}
	}
	if got := writes(w.fake); len(got) != 0 {
		t.Errorf("wrote %q", got)
	}
}

func TestRun_WrongKeyIsAnInputErrorWithoutTheKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	c, _ := flagsmith.New(w.fake.URL, "ser.wrongKeyValue")
	_, err := Run(context.Background(), c, Config{Project: "web", Environment: "Production", Feature: "new-checkout", Percentage: pct(1)}, t.Logf)
	if !isInput(err) || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), `"api-key"`) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "wrongKeyValue") {
		t.Errorf("the error shows the key: %v", err)
	}
}

func TestRun_PreviousStateOfAnotherFlagIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	other := &State{Feature: "dark-mode", FeatureID: 1, Environment: "Production", EnvironmentKey: envKey}
	_, err := w.run(t, Config{Rollback: true, PreviousState: other})
	if !isInput(err) || !strings.Contains(err.Error(), `previous-state is of feature "dark-mode"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestRun_PreviewMatchesTheHash(t *testing.T) {
	t.Parallel()
	w := newWorld(t, unversioned)
	res, err := w.run(t, Config{Percentage: pct(30), Users: []string{"carol"}, Preview: []string{"alice", "bob", "carol"}})
	if err != nil {
		t.Fatal(err)
	}
	seg := res.After.Segment.ID
	for _, e := range res.Preview {
		h := flagsmith.HashedPercentage(strconv.Itoa(seg), envKey+"_"+e.Identifier)
		want := e.Identifier == "carol" || h <= 30
		if e.Inside != want || e.Hash != h {
			t.Errorf("%+v: want inside=%v hash=%v", e, want, h)
		}
	}
	if len(res.Preview) != 3 {
		t.Errorf("preview = %+v", res.Preview)
	}
}

// Every call path of a rollout — lookup, create and update the segment, set and remove the
// override, finalize, rollback — goes through Flagsmith's document on every kind of server: the
// client's transport and the fake check each request and answer, and these are the operations.
func TestRun_EveryCallPathIsOneTheDocumentHas(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		w := newWorld(t, s)
		for _, cfg := range []Config{{Users: []string{"alice"}, Percentage: pct(10)}, {Percentage: pct(50)}, {Finalize: true}} {
			if _, err := w.run(t, cfg); err != nil {
				t.Fatal(err)
			}
		}
		w.fake.SetState(envKey, w.feature, flagsmith.FeatureState{})
		first, err := w.run(t, Config{Percentage: pct(5)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.run(t, Config{Rollback: true, PreviousState: &first.Before}); err != nil {
			t.Fatal(err)
		}
		want := []string{"api_v1_projects_list", "list_environments", "list_project_features", "list_project_segments",
			"create_project_segment", "update_project_segment", "api_v1_projects_segments_destroy"}
		switch {
		case s.future:
			want = append(want, "api___future___environments_features_retrieve", "api___future___environments_features_partial_update",
				"api___future___environments_features_segment_overrides_destroy")
		case s.versioned:
			want = append(want, "api_v1_features_featurestates_list", "list_feature_segments", "create_environment_feature_version")
		default:
			want = append(want, "api_v1_features_featurestates_list", "list_feature_segments", "create_segment_override",
				"api_v1_features_featurestates_partial_update", "delete_feature_segment")
		}
		got := w.fake.Operations()
		for _, op := range want {
			if !slices.Contains(got, op) {
				t.Errorf("no %s among %q", op, got)
			}
		}
	})
}

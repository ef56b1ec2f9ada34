package flagsmith_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/flagsmith"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
)

// checked is a client whose every request and answer is checked against Flagsmith's OpenAPI
// document; a violation fails the test.
func checked(t *testing.T, url, key string) (*flagsmith.Client, *flagsmithtest.Checker) {
	t.Helper()
	k, err := flagsmithtest.NewChecker(func(err error) { t.Errorf("client: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	c, err := flagsmith.New(url, key, flagsmith.WithRetry(3, time.Millisecond, time.Second),
		flagsmith.WithHTTPClient(&http.Client{Transport: k.Transport(http.DefaultTransport)}))
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func fast(t *testing.T, url, key string) *flagsmith.Client {
	c, _ := checked(t, url, key)
	return c
}

// server is one kind of Flagsmith the client must work with.
type server struct {
	name              string
	future, versioned bool
	wantOperations    []string // of writing a flag, beyond the lookups and segments
}

var servers = []server{
	{"__future__, unversioned", true, false, []string{"api___future___environments_features_partial_update",
		"api___future___environments_features_retrieve", "api___future___environments_features_segment_overrides_destroy"}},
	{"__future__, versioning v2", true, true, []string{"api___future___environments_features_partial_update",
		"api___future___environments_features_retrieve", "api___future___environments_features_segment_overrides_destroy"}},
	{"no __future__, unversioned", false, false, []string{"api_v1_features_featurestates_list", "api_v1_features_featurestates_partial_update",
		"create_segment_override", "delete_feature_segment", "list_feature_segments"}},
	{"no __future__, versioning v2", false, true, []string{"api_v1_features_featurestates_list", "create_environment_feature_version",
		"list_feature_segments"}},
}

// onEveryServer runs test on each kind of server, in parallel.
func onEveryServer(t *testing.T, test func(t *testing.T, s server)) {
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			test(t, s)
		})
	}
}

// flag is a fake of the server's kind with feature "x" in Production, and a checked client that
// has resolved the environment.
func (s server) flag(t *testing.T) (*flagsmithtest.Fake, *flagsmith.Client, flagsmith.Environment, int) {
	f, p := s.fake(t)
	id := f.AddFeature(p, "x", false)
	c := fast(t, f.URL, f.Key)
	env, err := c.Environment(context.Background(), p, "prodKey")
	if err != nil {
		t.Fatal(err)
	}
	return f, c, env, id
}

func (s server) fake(t *testing.T) (*flagsmithtest.Fake, int) {
	f := flagsmithtest.New(t)
	if !s.future {
		f.WithoutFuture()
	}
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", s.versioned)
	return f, p
}

// Every call path of a rollout, on every kind of server, checked against the document both ways
// (by the client's transport and by the fake): lookups, create and update a segment, set an
// override (create, then update), finalize (the default on, the override removed, the segment
// deleted), and a rollback's removal of an override that is gone.
func TestClient_EveryCallPathFollowsTheContract(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		f, _ := s.fake(t)
		featureID := f.AddFeature(101, "new-checkout", false)
		c, k := checked(t, f.URL, f.Key)
		ctx := context.Background()

		p, err := c.Project(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Project(ctx, "101"); err != nil {
			t.Fatal(err)
		}
		env, err := c.Environment(ctx, p.ID, "Production")
		if err != nil || env.Versioned != s.versioned {
			t.Fatalf("Environment = %+v, %v", env, err)
		}
		ft, err := c.Feature(ctx, p.ID, "new-checkout")
		if err != nil || ft.ID != featureID {
			t.Fatalf("Feature = %+v, %v", ft, err)
		}
		if seg, err := c.Segment(ctx, p.ID, "rollout"); err != nil || seg != nil {
			t.Fatalf("Segment = %+v, %v; want none", seg, err)
		}
		seg, err := c.CreateSegment(ctx, flagsmith.Segment{Name: "rollout", Project: p.ID, Rules: percent("10")})
		if err != nil {
			t.Fatal(err)
		}
		seg.Rules = percent("50")
		if seg, err = c.UpdateSegment(ctx, seg); err != nil {
			t.Fatal(err)
		}
		if found, err := c.Segment(ctx, p.ID, "rollout"); err != nil || found == nil || found.ID != seg.ID {
			t.Fatalf("Segment = %+v, %v", found, err)
		}

		st, err := c.ReadFeature(ctx, env, ft.ID)
		if err != nil || st.Default.Enabled || len(st.Overrides) != 0 {
			t.Fatalf("ReadFeature = %+v, %v", st, err)
		}
		if got := c.Endpoints(env); s.future != strings.Contains(got, "__future__") || s.versioned != strings.Contains(got, "version") && !s.future {
			t.Errorf("Endpoints = %q", got)
		}
		blue := &flagsmith.Value{Type: flagsmith.TypeString, Value: "blue"}
		on := flagsmith.SegmentOverride{SegmentID: seg.ID, Priority: 0, FlagValue: flagsmith.FlagValue{Enabled: true, Value: blue}}
		if err := c.WriteFeature(ctx, env, ft.ID, flagsmith.FeatureChange{Set: []flagsmith.SegmentOverride{on}}); err != nil {
			t.Fatal(err)
		}
		on.Value = &flagsmith.Value{Type: flagsmith.TypeInteger, Value: "7"}
		if err := c.WriteFeature(ctx, env, ft.ID, flagsmith.FeatureChange{Set: []flagsmith.SegmentOverride{on}}); err != nil {
			t.Fatal(err)
		}
		if got := f.State("prodKey", ft.ID); len(got.Overrides) != 1 || !got.Overrides[0].Enabled || *got.Overrides[0].Value != *on.Value {
			t.Fatalf("after setting the override: %+v", got)
		}
		if st, err := c.ReadFeature(ctx, env, ft.ID); err != nil || !reflect.DeepEqual(st, f.State("prodKey", ft.ID)) {
			t.Fatalf("ReadFeature = %+v, %v; the fake holds %+v", st, err, f.State("prodKey", ft.ID))
		}

		finalize := flagsmith.FeatureChange{Default: &flagsmith.FlagValue{Enabled: true, Value: blue}, Remove: []int{seg.ID}}
		if err := c.WriteFeature(ctx, env, ft.ID, finalize); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteSegment(ctx, p.ID, seg.ID); err != nil {
			t.Fatal(err)
		}
		got := f.State("prodKey", ft.ID)
		if !got.Default.Enabled || got.Default.Value == nil || got.Default.Value.Value != "blue" || len(got.Overrides) != 0 || len(f.Segments(p.ID)) != 0 {
			t.Fatalf("after finalize: %+v, segments %+v", got, f.Segments(p.ID))
		}
		if err := c.WriteFeature(ctx, env, ft.ID, flagsmith.FeatureChange{Remove: []int{seg.ID}}); err != nil {
			t.Errorf("removing an override that is gone: %v", err)
		}
		if err := c.DeleteSegment(ctx, p.ID, seg.ID); err != nil {
			t.Errorf("deleting a segment that is gone: %v", err)
		}

		ops := k.Operations()
		for _, want := range append([]string{"api_v1_projects_list", "get_project", "list_environments", "list_project_features",
			"list_project_segments", "create_project_segment", "update_project_segment", "api_v1_projects_segments_destroy"}, s.wantOperations...) {
			if !slices.Contains(ops, want) {
				t.Errorf("the client never called %s; it called %q", want, ops)
			}
		}
		// One version per write request: __future__ writes finalize's default and removal in two.
		if want := map[bool]int{true: 4, false: 3}[s.future]; s.versioned && f.Versions("prodKey", ft.ID) != want {
			t.Errorf("versions = %d, want %d", f.Versions("prodKey", ft.ID), want)
		}
	})
}

// isAPIError reports whether err is Flagsmith's answer with that status, saying what it should.
func isAPIError(err error, status int, says string) bool {
	var ae *flagsmith.APIError
	return errors.As(err, &ae) && ae.Status == status && strings.Contains(err.Error(), says)
}

func percent(p string) []flagsmith.Rule {
	return []flagsmith.Rule{{Type: flagsmith.RuleAll, Rules: []flagsmith.Rule{{Type: flagsmith.RuleAny, Rules: []flagsmith.Rule{},
		Conditions: []flagsmith.Condition{{Operator: flagsmith.OpPercentSplit, Value: p}}}}, Conditions: []flagsmith.Condition{}}}
}

// A new override goes where it is told; writing it again keeps the place, and so does another
// override set beside it.
func TestWriteFeature_PrioritiesAndOtherOverrides(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		f, c, env, id := s.flag(t)
		blocked := f.AddSegment(flagsmith.Segment{Name: "blocked", Project: env.Project, Rules: percent("1")})
		mine := f.AddSegment(flagsmith.Segment{Name: "mine", Project: env.Project, Rules: percent("1")})
		f.SetState("prodKey", id, flagsmith.FeatureState{Overrides: []flagsmith.SegmentOverride{{SegmentID: blocked, Priority: 0}}})
		ctx := context.Background()
		if _, err := c.ReadFeature(ctx, env, id); err != nil {
			t.Fatal(err)
		}
		set := flagsmith.FeatureChange{Set: []flagsmith.SegmentOverride{{SegmentID: mine, Priority: 1, FlagValue: flagsmith.FlagValue{Enabled: true}}}}
		for range 2 {
			if err := c.WriteFeature(ctx, env, id, set); err != nil {
				t.Fatal(err)
			}
		}
		got := f.State("prodKey", id)
		if len(got.Overrides) != 2 || got.Overrides[0].SegmentID != blocked || got.Overrides[1].SegmentID != mine || got.Overrides[1].Priority != 1 {
			t.Errorf("overrides = %+v, want blocked-regions first, then mine at 1", got.Overrides)
		}
	})
}

// A flag's value keeps its type through every kind of server.
func TestWriteFeature_ValuesKeepTheirType(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		_, c, env, id := s.flag(t)
		ctx := context.Background()
		for _, v := range []flagsmith.Value{{Type: "integer", Value: "42"}, {Type: "boolean", Value: "true"}, {Type: "string", Value: "a b"}, {Type: "string", Value: ""}} {
			if err := c.WriteFeature(ctx, env, id, flagsmith.FeatureChange{Default: &flagsmith.FlagValue{Enabled: true, Value: &v}}); err != nil {
				t.Fatal(err)
			}
			st, err := c.ReadFeature(ctx, env, id)
			if err != nil || st.Default.Value == nil || *st.Default.Value != v {
				t.Errorf("wrote %+v, read %+v, %v", v, st.Default.Value, err)
			}
		}
	})
}

// The client settles on the stable endpoints at the first 404 of `__future__` and asks it no more.
func TestReadFeature_FallsBackOnceToTheStableEndpoints(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t).WithoutFuture()
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", false)
	id := f.AddFeature(p, "x", true)
	c := fast(t, f.URL, f.Key)
	env, _ := c.Environment(context.Background(), p, "Production")
	for range 3 {
		if st, err := c.ReadFeature(context.Background(), env, id); err != nil || !st.Default.Enabled {
			t.Fatalf("ReadFeature = %+v, %v", st, err)
		}
	}
	future := 0
	for _, r := range f.Requests() {
		if strings.Contains(r.Path, "__future__") {
			future++
		}
	}
	if future != 1 {
		t.Errorf("asked __future__ %d times, want once", future)
	}
	if !strings.Contains(c.Endpoints(env), "stable endpoints") {
		t.Errorf("Endpoints = %q", c.Endpoints(env))
	}
}

// A change request environment's 409 says what to do.
func TestWriteFeature_ChangeRequestsAreAClearError(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", false)
	f.RequireChangeRequests("prodKey", 1)
	id := f.AddFeature(p, "x", false)
	c := fast(t, f.URL, f.Key)
	env, _ := c.Environment(context.Background(), p, "Production")
	if env.ChangeRequestApprovals == nil || *env.ChangeRequestApprovals != 1 {
		t.Errorf("environment = %+v, want its change request setting", env)
	}
	env.ChangeRequestApprovals = nil // as an environment read before change requests were turned on
	err := c.WriteFeature(context.Background(), env, id, flagsmith.FeatureChange{Default: &flagsmith.FlagValue{Enabled: true}})
	if !isAPIError(err, http.StatusConflict, "minimum_change_request_approvals") {
		t.Fatalf("err = %v", err)
	}
}

// Where the environment requires change requests the client writes nothing directly, on every kind
// of server: the stable endpoints would take the write and bypass the approvals.
func TestWriteFeature_NeverBypassesChangeRequests(t *testing.T) {
	t.Parallel()
	onEveryServer(t, func(t *testing.T, s server) {
		f, c, env, id := s.flag(t)
		f.RequireChangeRequests("prodKey", 1)
		env, err := c.Environment(context.Background(), env.Project, "prodKey")
		if err != nil {
			t.Fatal(err)
		}
		err = c.WriteFeature(context.Background(), env, id, flagsmith.FeatureChange{Default: &flagsmith.FlagValue{Enabled: true}})
		var cr *flagsmith.ChangeRequestsRequiredError
		if !errors.As(err, &cr) || !strings.Contains(err.Error(), "requires change requests") {
			t.Errorf("err = %v", err)
		}
		if len(f.Writes()) != 0 || f.State("prodKey", id).Default.Enabled {
			t.Errorf("writes %+v", f.Writes())
		}
	})
}

func TestFeature_FollowsPagesAndPicksTheExactName(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	for _, n := range []string{"checkout-a", "checkout-b", "checkout", "checkout-c", "checkout-d"} {
		f.AddFeature(p, n, false)
	}
	c := fast(t, f.URL, f.Key)
	got, err := c.Feature(context.Background(), p, "checkout")
	if err != nil || got.Name != "checkout" {
		t.Fatalf("Feature = %+v, %v", got, err)
	}
	pages := 0
	for _, r := range f.Requests() {
		if strings.HasSuffix(r.Path, "/features/") {
			pages++
		}
	}
	if pages != 3 { // five results, two per page
		t.Errorf("read %d pages, want 3", pages)
	}
}

func TestSegment_SubstringMatchesAreNotTheSegment(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.AddSegment(flagsmith.Segment{Name: "slipway-rollout-checkout-v2", Project: p, Rules: percent("1")})
	c := fast(t, f.URL, f.Key)
	s, err := c.Segment(context.Background(), p, "slipway-rollout-checkout")
	if err != nil || s != nil {
		t.Fatalf("Segment = %+v, %v; want none", s, err)
	}
}

// A next link on another host (a misconfigured proxy, or a hostile answer) is followed on the
// API's own host, so the key is never sent elsewhere.
func TestList_NextLinkStaysOnTheAPIHost(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("page") == "2" {
			_, _ = w.Write([]byte(`{"count":2,"next":null,"previous":null,"results":[{"id":2,"name":"b"}]}`))
			return
		}
		_, _ = w.Write([]byte(`{"count":2,"next":"` + other.URL + r.URL.Path + `?page=2","previous":null,"results":[{"id":1,"name":"a"}]}`))
	}))
	defer srv.Close()
	got, err := fast(t, srv.URL+"/api/v1/", "k").Feature(context.Background(), 1, "b")
	if err != nil || got.ID != 2 {
		t.Fatalf("Feature = %+v, %v", got, err)
	}
	if elsewhere.Load() != 0 {
		t.Errorf("a request went to the other host")
	}
}

func TestDo_RetriesServerErrorsButNotAPost(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.Fail(http.MethodGet, "/api/v1/projects/", http.StatusBadGateway, 2)
	c := fast(t, f.URL, f.Key)
	if _, err := c.Project(context.Background(), "web"); err != nil {
		t.Fatalf("GET after two 502s: %v", err)
	}
	f.Fail(http.MethodPost, "/api/v1/projects/", http.StatusBadGateway, 1)
	_, err := c.CreateSegment(context.Background(), flagsmith.Segment{Name: "s", Project: p, Rules: percent("1")})
	if !isAPIError(err, http.StatusBadGateway, "") {
		t.Fatalf("POST after a 502: %v, want the 502 (a retry could create it twice)", err)
	}
	if n := len(f.Segments(p)); n != 0 {
		t.Errorf("%d segments created", n)
	}
}

func TestDo_ServerErrorsAfterTheLastAttemptAreTheError(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	f.Fail(http.MethodGet, "/api/v1/projects/", http.StatusServiceUnavailable, -1)
	_, err := fast(t, f.URL, f.Key).Project(context.Background(), "web")
	if !isAPIError(err, http.StatusServiceUnavailable, "") || len(f.Requests()) != 3 {
		t.Fatalf("err = %v after %d requests, want the 503 after 3", err, len(f.Requests()))
	}
}

func TestDo_ValidationErrorsReadLikeDRF(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	_, err := fast(t, f.URL, f.Key).CreateSegment(context.Background(), flagsmith.Segment{Name: " ", Project: p, Rules: []flagsmith.Rule{}})
	if err == nil || !strings.Contains(err.Error(), "400 Bad Request: name: This field may not be blank.; rules: Segment cannot be created without any rules.") {
		t.Fatalf("err = %v", err)
	}
}

func TestDo_WaitsOutRetryAfter(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	f.AddProject("web")
	f.Throttle(1, "1")
	start := time.Now()
	if _, err := fast(t, f.URL, f.Key).Project(context.Background(), "web"); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("took %s, want the second Retry-After asks for", took)
	}
}

// A 429 is waited out as long as Retry-After is within the limit and attempts are left.
func TestDo_ThrottledToTheEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		times      int
		retryAfter string
		want       string
	}{
		{1, "3600", "Retry-After 1h0m0s is longer than 1s"},
		{5, "0", "still rate limited after 3 attempts"},
	} {
		f := flagsmithtest.New(t)
		f.Throttle(tc.times, tc.retryAfter)
		_, err := fast(t, f.URL, f.Key).Project(context.Background(), "web")
		if !isAPIError(err, http.StatusTooManyRequests, tc.want) {
			t.Errorf("Retry-After %s: err = %v, want %q", tc.retryAfter, err, tc.want)
		}
	}
}

func TestDo_CancelledWhileWaiting(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	f.Throttle(1, "30")
	c, err := flagsmith.New(f.URL, f.Key, flagsmith.WithRetry(3, time.Millisecond, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Project(ctx, "web"); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %s, want the deadline at once", err, time.Since(start))
	}
}

func TestRequests_CountsReadsAndWrites(t *testing.T) {
	t.Parallel()
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	c := fast(t, f.URL, f.Key)
	_, _ = c.Project(context.Background(), "web")
	_ = c.DeleteSegment(context.Background(), p, 1)
	if r, w := c.Requests(); r != 1 || w != 1 {
		t.Errorf("reads, writes = %d, %d; want 1, 1", r, w)
	}
}

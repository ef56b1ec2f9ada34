package flagsmithtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// call sends one request to the fake as a client would and returns the status and body. The fake
// checks both against the contract and fails the test on a violation.
func call(t *testing.T, f *Fake, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(f.URL, "/api/v1/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Api-Key "+f.Key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type world struct {
	f                         *Fake
	project, env, feature     int
	segment, otherSegment     int
	futurePath, versionsPath  string
	statesQuery, segmentQuery string
}

func newWorld(t *testing.T, versioned bool) *world {
	f := New(t)
	w := &world{f: f, project: f.AddProject("web")}
	w.env = f.AddEnvironment(w.project, "Production", "prodKey", versioned)
	w.feature = f.AddFeature(w.project, "x", false)
	rules := []flagsmith.Rule{{Type: "ALL", Rules: []flagsmith.Rule{}, Conditions: []flagsmith.Condition{{Operator: "PERCENTAGE_SPLIT", Value: "5"}}}}
	w.segment = f.AddSegment(flagsmith.Segment{Name: "a", Project: w.project, Rules: rules})
	w.otherSegment = f.AddSegment(flagsmith.Segment{Name: "b", Project: w.project, Rules: rules})
	id := strconv.Itoa
	w.futurePath = "/api/__future__/environments/prodKey/features/" + id(w.feature) + "/"
	w.versionsPath = "/api/v1/environments/" + id(w.env) + "/features/" + id(w.feature) + "/versions/"
	w.statesQuery = "/api/v1/features/featurestates/?environment=" + id(w.env) + "&feature=" + id(w.feature)
	w.segmentQuery = "/api/v1/features/feature-segments/?environment=" + id(w.env) + "&feature=" + id(w.feature)
	return w
}

func (w *world) override(segment int, rest string) string {
	return `{"segment_overrides":[{"segment":{"id":` + strconv.Itoa(segment) + `}` + rest + `}]}`
}

// The `__future__` endpoint as features/future/ at the contract's commit: PATCH upserts, a new
// override inherits the default and takes its place in the list as priority, priorities are unique,
// a removed override answers the flag, one that is not there 404.
func TestFake_FutureEndpoint(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	f := w.f
	if code, body := call(t, f, http.MethodPatch, w.futurePath, `{"environment_default":{"enabled":true,"value":{"type":"integer","value":"3"}}}`); code != 200 {
		t.Fatalf("PATCH default: %d %s", code, body)
	}
	if code, body := call(t, f, http.MethodPatch, w.futurePath, w.override(w.segment, "")); code != 200 ||
		!strings.Contains(body, `"segment_overrides":[{"segment":{"id":`+strconv.Itoa(w.segment)+`},"priority":0,"enabled":true,"value":{"type":"integer","value":"3"},"variants":[]}]`) {
		t.Fatalf("PATCH a new override: %d %s; want it to inherit the default", code, body)
	}
	if code, body := call(t, f, http.MethodPatch, w.futurePath, w.override(w.otherSegment, `,"priority":0`)); code != 400 || !strings.Contains(body, "Duplicate priority: 0.") {
		t.Errorf("a shared priority: %d %s", code, body)
	}
	if code, body := call(t, f, http.MethodPatch, w.futurePath, w.override(99999, "")); code != 400 || !strings.Contains(body, "Segment not found.") {
		t.Errorf("an unknown segment: %d %s", code, body)
	}
	if code, body := call(t, f, http.MethodPatch, w.futurePath, w.override(w.segment, `,"value":{"type":"integer","value":"x"}`)); code != 400 || !strings.Contains(body, "not a valid integer") {
		t.Errorf("a value that is not its type: %d %s", code, body)
	}
	if code, _ := call(t, f, http.MethodPatch, w.futurePath, w.override(w.segment, `,"enabled":false`)); code != 200 || f.State("prodKey", w.feature).Overrides[0].Enabled {
		t.Errorf("updating the override: %d, %+v", code, f.State("prodKey", w.feature))
	}
	del := w.futurePath + "segment-overrides/" + strconv.Itoa(w.segment) + "/"
	if code, body := call(t, f, http.MethodDelete, del, ""); code != 200 || !strings.Contains(body, `"segment_overrides":[]`) {
		t.Errorf("DELETE: %d %s", code, body)
	}
	if code, body := call(t, f, http.MethodDelete, del, ""); code != 404 || !strings.Contains(body, "Segment override not found.") {
		t.Errorf("DELETE again: %d %s", code, body)
	}
}

func TestFake_FutureRefusesWritesWhereChangeRequestsAreRequired(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	w.f.RequireChangeRequests("prodKey", 2)
	if code, body := call(t, w.f, http.MethodPatch, w.futurePath, `{"environment_default":{"enabled":true}}`); code != 409 || !strings.Contains(body, `"code":"change_requests_enabled"`) {
		t.Errorf("PATCH: %d %s", code, body)
	}
	if code, _ := call(t, w.f, http.MethodGet, w.futurePath, ""); code != 200 {
		t.Errorf("GET: %d, want reads allowed", code)
	}
	if code, body := call(t, w.f, http.MethodGet, "/api/v1/environments/?project="+strconv.Itoa(w.project), ""); !strings.Contains(body, `"minimum_change_request_approvals":2`) {
		t.Errorf("environments: %d %s", code, body)
	}
}

// A Flagsmith from before 2026-08 has no such route: Django's 404 page.
func TestFake_WithoutFuture(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	w.f.WithoutFuture()
	if code, body := call(t, w.f, http.MethodGet, w.futurePath, ""); code != 404 || !strings.Contains(body, "<h1>Not Found</h1>") {
		t.Errorf("GET: %d %s", code, body)
	}
	if code, _ := call(t, w.f, http.MethodGet, w.statesQuery, ""); code != 200 {
		t.Errorf("the stable endpoints: %d", code)
	}
}

// The stable endpoints of an unversioned environment: one override created with its feature
// segment, its state patched, its feature segment deleted; the lists show it meanwhile.
func TestFake_StableEndpointsUnversioned(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	f := w.f
	create := "/api/v1/environments/prodKey/features/" + strconv.Itoa(w.feature) + "/create-segment-override/"
	code, body := call(t, f, http.MethodPost, create, `{"enabled":true,"feature_state_value":{"type":"unicode","string_value":"v"},"feature_segment":{"segment":`+strconv.Itoa(w.segment)+`,"priority":0}}`)
	if code != 201 {
		t.Fatalf("create-segment-override: %d %s", code, body)
	}
	var created struct {
		ID             int              `json:"id"`
		FeatureSegment struct{ ID int } `json:"feature_segment"`
	}
	_ = json.Unmarshal([]byte(body), &created)
	if code, body := call(t, f, http.MethodPost, create, `{"feature_state_value":{"type":"unicode"},"feature_segment":{"segment":`+strconv.Itoa(w.segment)+`}}`); code != 400 {
		t.Errorf("a second override of the segment: %d %s", code, body)
	}
	if code, body := call(t, f, http.MethodPatch, "/api/v1/features/featurestates/"+strconv.Itoa(created.ID)+"/", `{"environment":`+strconv.Itoa(w.env)+`,"enabled":false,"feature_state_value":{"type":"int","integer_value":4}}`); code != 200 {
		t.Errorf("PATCH the override's state: %d %s", code, body)
	}
	if o := f.State("prodKey", w.feature).Overrides; len(o) != 1 || o[0].Enabled || o[0].Value == nil || *o[0].Value != (flagsmith.Value{Type: "integer", Value: "4"}) {
		t.Errorf("overrides = %+v", o)
	}
	if _, body := call(t, f, http.MethodGet, w.statesQuery, ""); !strings.Contains(body, `"feature_segment":`+strconv.Itoa(created.FeatureSegment.ID)) {
		t.Errorf("featurestates: %s", body)
	}
	if _, body := call(t, f, http.MethodGet, w.segmentQuery, ""); !strings.Contains(body, `"segment":`+strconv.Itoa(w.segment)) {
		t.Errorf("feature-segments: %s", body)
	}
	if code, body := call(t, f, http.MethodPost, w.versionsPath, `{"publish_immediately":true}`); code != 400 || !strings.Contains(body, "must use v2 feature versioning") {
		t.Errorf("a version of an unversioned environment: %d %s", code, body)
	}
	if code, _ := call(t, f, http.MethodDelete, "/api/v1/features/feature-segments/"+strconv.Itoa(created.FeatureSegment.ID)+"/", ""); code != 204 || len(f.State("prodKey", w.feature).Overrides) != 0 {
		t.Errorf("DELETE the feature segment: %d, %+v", code, f.State("prodKey", w.feature))
	}
}

// featurestates/{id}/ refuses what WritableNestedFeatureStateSerializer refuses: a PATCH without
// "environment" is the server's 500 (its validate reads the view's context, which has none), and
// neither the environment nor the feature may be null or change; nothing is written. (A PUT without
// them the document itself refuses: WritableNestedFeatureState requires both, its Patched form
// neither.)
func TestFake_FeatureStateWritesNeedTheirEnvironment(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	f := w.f
	var states struct{ Results []struct{ ID int } }
	_, body := call(t, f, http.MethodGet, w.statesQuery, "")
	if err := json.Unmarshal([]byte(body), &states); err != nil || len(states.Results) != 1 {
		t.Fatalf("featurestates: %s", body)
	}
	path := "/api/v1/features/featurestates/" + strconv.Itoa(states.Results[0].ID) + "/"
	env, feature := strconv.Itoa(w.env), strconv.Itoa(w.feature)
	for _, c := range []struct {
		method, body string
		code         int
		says         string
	}{
		{http.MethodPatch, `{"enabled":true}`, 500, "Server Error (500)"},
		{http.MethodPatch, `{"enabled":true,"feature":` + feature + `}`, 500, "Server Error (500)"},
		{http.MethodPatch, `{"enabled":true,"environment":null}`, 400, `{"environment":["Environment may not be null."]}`},
		{http.MethodPatch, `{"enabled":true,"environment":` + strconv.Itoa(w.project) + `}`, 400, "object does not exist"},
		{http.MethodPatch, `{"enabled":true,"environment":` + env + `,"feature":` + strconv.Itoa(w.segment) + `}`, 400, "object does not exist"},
	} {
		if code, body := call(t, f, c.method, path, c.body); code != c.code || !strings.Contains(body, c.says) {
			t.Errorf("%s %s: %d %s; want %d %s", c.method, c.body, code, body, c.code, c.says)
		}
	}
	if f.State("prodKey", w.feature).Default.Enabled {
		t.Fatal("a refused write changed the flag")
	}
	for _, method := range []string{http.MethodPatch, http.MethodPut} {
		if code, body := call(t, f, method, path, `{"enabled":true,"environment":`+env+`,"feature":`+feature+`}`); code != 200 || !f.State("prodKey", w.feature).Default.Enabled {
			t.Errorf("%s with its environment and feature: %d %s", method, code, body)
		}
	}
	other := f.AddEnvironment(w.project, "Staging", "stagingKey", false)
	if code, body := call(t, f, http.MethodPatch, path, `{"enabled":true,"environment":`+strconv.Itoa(other)+`}`); code != 400 || !strings.Contains(body, "Cannot change the environment of a feature state") {
		t.Errorf("another environment: %d %s", code, body)
	}
}

// A versioned environment takes a change only as a new version and refuses direct writes.
func TestFake_StableEndpointsVersioned(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	f := w.f
	seg := strconv.Itoa(w.segment)
	code, body := call(t, f, http.MethodPost, w.versionsPath, `{"publish_immediately":true,`+
		`"feature_states_to_update":[{"enabled":true,"feature_state_value":{"type":"bool","boolean_value":true}}],`+
		`"feature_states_to_create":[{"enabled":true,"feature_state_value":{"type":"unicode","string_value":"v"},"feature_segment":{"segment":`+seg+`,"priority":0}}]}`)
	if code != 201 || f.Versions("prodKey", w.feature) != 1 {
		t.Fatalf("create a version: %d %s, versions %d", code, body, f.Versions("prodKey", w.feature))
	}
	st := f.State("prodKey", w.feature)
	if !st.Default.Enabled || len(st.Overrides) != 1 || st.Overrides[0].Value.Value != "v" {
		t.Errorf("state = %+v", st)
	}
	if _, body := call(t, f, http.MethodGet, w.statesQuery, ""); !strings.Contains(body, `"environment_feature_version":"`) {
		t.Errorf("featurestates of a versioned environment: %s", body)
	}
	var states struct{ Results []struct{ ID int } }
	_, body = call(t, f, http.MethodGet, w.statesQuery, "")
	_ = json.Unmarshal([]byte(body), &states)
	if code, body := call(t, f, http.MethodPatch, "/api/v1/features/featurestates/"+strconv.Itoa(states.Results[0].ID)+"/", `{"enabled":false}`); code != 400 || !strings.Contains(body, "v2 feature versioning") {
		t.Errorf("a direct write: %d %s", code, body)
	}
	create := "/api/v1/environments/prodKey/features/" + strconv.Itoa(w.feature) + "/create-segment-override/"
	if code, _ := call(t, f, http.MethodPost, create, `{"feature_state_value":{"type":"unicode"},"feature_segment":{"segment":`+strconv.Itoa(w.otherSegment)+`}}`); code != 400 {
		t.Errorf("create-segment-override: %d", code)
	}
	if code, body := call(t, f, http.MethodPost, w.versionsPath, `{"publish_immediately":true,"segment_ids_to_delete_overrides":[`+seg+`]}`); code != 201 || len(f.State("prodKey", w.feature).Overrides) != 0 {
		t.Errorf("a version without the override: %d %s", code, body)
	}
	if code, body := call(t, f, http.MethodPost, w.versionsPath, `{"publish_immediately":true,"feature_states_to_update":[{"feature_state_value":{"type":"unicode"},"feature_segment":{"segment":`+seg+`}}]}`); code != 400 || !strings.Contains(body, "does not exist") {
		t.Errorf("updating an override that is not there: %d %s", code, body)
	}
}

// reporter is a test's Errorf that only records.
type reporter struct {
	mu   sync.Mutex
	errs []string
}

func (r *reporter) Cleanup(func()) {}
func (r *reporter) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, format)
}

// A request the document does not allow fails the test that sent it, and Flagsmith's serializer
// would refuse it: the fake answers 400 and changes nothing.
func TestFake_ReportsRequestsTheDocumentDoesNotAllow(t *testing.T) {
	t.Parallel()
	var r reporter
	f := New(&r)
	defer f.Close()
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", false)
	id := f.AddFeature(p, "x", false)
	seg := f.AddSegment(flagsmith.Segment{Name: "a", Project: p, Rules: []flagsmith.Rule{{Type: "ALL"}}})
	code, _ := call(t, f, http.MethodPatch, "/api/__future__/environments/prodKey/features/"+strconv.Itoa(id)+"/",
		`{"segment_overrides":[{"segment_id":`+strconv.Itoa(seg)+`,"enabled":true}]}`)
	if code != 400 || len(r.errs) != 1 || len(f.State("prodKey", id).Overrides) != 0 {
		t.Errorf("answered %d with %d violations reported, overrides %+v", code, len(r.errs), f.State("prodKey", id).Overrides)
	}
	nilFake := New(nil)
	defer nilFake.Close()
	call(t, nilFake, http.MethodGet, "/api/v1/projects/?x", "")
	call(t, nilFake, http.MethodGet, "/api/v2/nothing/", "")
	if v := nilFake.Violations(); len(v) != 1 || !strings.Contains(v[0].Error(), "no such operation") {
		t.Errorf("violations = %v, want the unknown operation", v)
	}
}

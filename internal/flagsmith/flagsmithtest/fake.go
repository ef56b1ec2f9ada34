// Package flagsmithtest is a fake Flagsmith Admin API for tests: the endpoints package flagsmith
// calls, with Flagsmith's authentication, pagination, Django REST framework error shapes, versioned
// and unversioned environments, and injected 429s and failures. It records every request so tests
// can assert what was (not) written.
//
// The shapes follow the public Admin API docs
// (https://docs.flagsmith.com/integrating-with-flagsmith/flagsmith-api-overview/admin-api):
// projects and environments are listed as plain arrays; features and segments are paginated as
// {count, next, previous, results} with absolute next links; a feature's state in an environment is
// read and patched at /api/__future__/environments/{env_api_key}/features/{feature_id}/.
package flagsmithtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// Request is one request the fake answered.
type Request struct {
	Method, Path string
	Status       int
}

// Fake is the fake API; make one with New.
type Fake struct {
	URL      string // the api-url to give the client: …/api/v1/
	Key      string // the Organisation API key it accepts
	PageSize int

	mu       sync.Mutex
	srv      *httptest.Server
	nextID   int
	projects []flagsmith.Project
	envs     []flagsmith.Environment
	features []feature
	segments []flagsmith.Segment
	states   map[string]*flagsmith.FeatureState // env key + "/" + feature id
	versions map[string]int
	log      []Request
	throttle int
	retry    string
	faults   []*fault
}

type feature struct {
	flagsmith.Feature
	project int
}

type fault struct {
	match  func(method, path string) bool
	status int
	times  int
}

// Cleaner is what New needs of a test: somewhere to close the server (testing.TB, or a benchmark's own).
type Cleaner interface{ Cleanup(func()) }

// New starts a fake that accepts one Organisation key; it is closed when the test ends (or by Close
// when t is nil, as in a benchmark program).
func New(t Cleaner) *Fake {
	f := &Fake{Key: "ser.fake-org-key", PageSize: 2, nextID: 100,
		states: map[string]*flagsmith.FeatureState{}, versions: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	if t != nil {
		t.Cleanup(f.srv.Close)
	}
	f.URL = f.srv.URL + "/api/v1/"
	return f
}

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

func (f *Fake) id() int { f.nextID++; return f.nextID }

// AddProject adds a project and returns its id.
func (f *Fake) AddProject(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := flagsmith.Project{ID: f.id(), Name: name, Organisation: 1}
	f.projects = append(f.projects, p)
	return p.ID
}

// AddEnvironment adds an environment of the project with its client API key; versioned
// environments publish a new version on every change of a feature state.
func (f *Fake) AddEnvironment(project int, name, key string, versioned bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.envs = append(f.envs, flagsmith.Environment{ID: f.id(), Name: name, APIKey: key, Project: project, Versioned: versioned})
	for _, ft := range f.features {
		if ft.project == project {
			f.states[key+"/"+strconv.Itoa(ft.ID)] = &flagsmith.FeatureState{Feature: ft.Feature, EnvironmentDefault: flagsmith.FlagValue{Enabled: ft.DefaultEnabled}}
		}
	}
}

// AddFeature adds a feature to a project, with its default state in every environment of it.
func (f *Fake) AddFeature(project int, name string, enabled bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := feature{flagsmith.Feature{ID: f.id(), Name: name, Type: "STANDARD", DefaultEnabled: enabled}, project}
	f.features = append(f.features, ft)
	for _, e := range f.envs {
		if e.Project == project {
			f.states[e.APIKey+"/"+strconv.Itoa(ft.ID)] = &flagsmith.FeatureState{Feature: ft.Feature, EnvironmentDefault: flagsmith.FlagValue{Enabled: enabled}}
		}
	}
	return ft.ID
}

// AddSegment adds a segment as if someone had made it in the dashboard; it returns its id.
func (f *Fake) AddSegment(s flagsmith.Segment) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.ID = f.id()
	f.segments = append(f.segments, s)
	return s.ID
}

// SetState replaces a feature's state in an environment, as a dashboard user would.
func (f *Fake) SetState(envKey string, featureID int, s flagsmith.FeatureState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.states[envKey+"/"+strconv.Itoa(featureID)]
	s.Feature = cur.Feature
	*cur = s
}

// State returns a feature's state in an environment.
func (f *Fake) State(envKey string, featureID int) flagsmith.FeatureState {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := *f.states[envKey+"/"+strconv.Itoa(featureID)]
	s.SegmentOverrides = slices.Clone(s.SegmentOverrides)
	return s
}

// Segments returns the segments of a project.
func (f *Fake) Segments(project int) []flagsmith.Segment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []flagsmith.Segment
	for _, s := range f.segments {
		if s.Project == project {
			out = append(out, s)
		}
	}
	return out
}

// Versions returns how many versions a versioned environment has published for the feature.
func (f *Fake) Versions(envKey string, featureID int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.versions[envKey+"/"+strconv.Itoa(featureID)]
}

// Requests returns every request answered so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// Writes returns the requests that were not reads and that the fake accepted.
func (f *Fake) Writes() []Request {
	var out []Request
	for _, r := range f.Requests() {
		if r.Method != http.MethodGet && r.Status < 300 {
			out = append(out, r)
		}
	}
	return out
}

// Throttle answers the next n requests with 429 and the given Retry-After.
func (f *Fake) Throttle(n int, retryAfter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle, f.retry = n, retryAfter
}

// Fail answers the next `times` requests that match method and a path prefix with status
// (times < 0: always), before they change anything.
func (f *Fake) Fail(method, pathPrefix string, status, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault{func(m, p string) bool {
		return (method == "" || m == method) && strings.HasPrefix(p, pathPrefix)
	}, status, times})
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	f.route(rec, r)
	f.log = append(f.log, Request{Method: r.Method, Path: r.URL.Path, Status: rec.status})
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(s int) { r.status = s; r.ResponseWriter.WriteHeader(s) }

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func detail(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]string{"detail": msg})
}

func (f *Fake) route(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		detail(w, http.StatusUnauthorized, "Authentication credentials were not provided.")
		return
	case auth != "Api-Key "+f.Key:
		detail(w, http.StatusUnauthorized, "Invalid API key.")
		return
	}
	if f.throttle > 0 {
		f.throttle--
		w.Header().Set("Retry-After", f.retry)
		detail(w, http.StatusTooManyRequests, "Request was throttled. Expected available in "+f.retry+" seconds.")
		return
	}
	for _, ft := range f.faults {
		if ft.times != 0 && ft.match(r.Method, r.URL.Path) {
			ft.times--
			detail(w, ft.status, "Injected failure.")
			return
		}
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api" && parts[1] == "v1":
		f.v1(w, r, parts[2:])
	case len(parts) >= 5 && parts[0] == "api" && parts[1] == "__future__" && parts[2] == "environments" && parts[4] == "features":
		f.future(w, r, parts[3], parts[5:])
	default:
		detail(w, http.StatusNotFound, "Not found.")
	}
}

func (f *Fake) v1(w http.ResponseWriter, r *http.Request, p []string) {
	switch {
	case len(p) == 1 && p[0] == "projects" && r.Method == http.MethodGet:
		reply(w, http.StatusOK, f.projects)
	case len(p) == 1 && p[0] == "environments" && r.Method == http.MethodGet:
		project, err := strconv.Atoi(r.URL.Query().Get("project"))
		if err != nil {
			reply(w, http.StatusBadRequest, map[string][]string{"project": {"This field is required."}})
			return
		}
		out := []flagsmith.Environment{}
		for _, e := range f.envs {
			if e.Project == project {
				out = append(out, e)
			}
		}
		reply(w, http.StatusOK, out)
	case len(p) >= 2 && p[0] == "projects":
		id, _ := strconv.Atoi(p[1])
		i := slices.IndexFunc(f.projects, func(x flagsmith.Project) bool { return x.ID == id })
		if i < 0 {
			detail(w, http.StatusNotFound, "Not found.")
			return
		}
		switch {
		case len(p) == 2 && r.Method == http.MethodGet:
			reply(w, http.StatusOK, f.projects[i])
		case len(p) == 3 && p[2] == "features" && r.Method == http.MethodGet:
			q := r.URL.Query().Get("search")
			var out []flagsmith.Feature
			for _, ft := range f.features {
				if ft.project == id && strings.Contains(strings.ToLower(ft.Name), strings.ToLower(q)) {
					out = append(out, ft.Feature)
				}
			}
			page(f, w, r, out)
		case len(p) >= 3 && p[2] == "segments":
			f.segmentsAPI(w, r, id, p[3:])
		default:
			detail(w, http.StatusNotFound, "Not found.")
		}
	default:
		detail(w, http.StatusNotFound, "Not found.")
	}
}

// page answers a DRF page of items, with absolute next/previous links.
func page[T any](f *Fake, w http.ResponseWriter, r *http.Request, items []T) {
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	n = max(n, 1)
	lo, hi := min((n-1)*f.PageSize, len(items)), min(n*f.PageSize, len(items))
	link := func(k int) *string {
		if k < 1 || (k-1)*f.PageSize >= len(items) {
			return nil
		}
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(k))
		s := f.srv.URL + r.URL.Path + "?" + q.Encode()
		return &s
	}
	results := items[lo:hi]
	if results == nil {
		results = []T{}
	}
	reply(w, http.StatusOK, map[string]any{"count": len(items), "next": link(n + 1), "previous": link(n - 1), "results": results})
}

var operators = []string{"EQUAL", "GREATER_THAN", "LESS_THAN", "LESS_THAN_INCLUSIVE", "CONTAINS",
	"GREATER_THAN_INCLUSIVE", "NOT_CONTAINS", "NOT_EQUAL", "REGEX", "PERCENTAGE_SPLIT", "MODULO",
	"IS_SET", "IS_NOT_SET", "IN"}

// validSegment checks a segment body the way Flagsmith's serializer does, in DRF's error shape.
func validSegment(s flagsmith.Segment) map[string]any {
	errs := map[string]any{}
	if strings.TrimSpace(s.Name) == "" {
		errs["name"] = []string{"This field may not be blank."}
	}
	if len(s.Rules) == 0 {
		errs["rules"] = []string{"Segment cannot be created without any rules."}
	}
	var walk func([]flagsmith.Rule)
	walk = func(rules []flagsmith.Rule) {
		for _, rule := range rules {
			if !slices.Contains([]string{"ALL", "ANY", "NONE"}, rule.Type) {
				errs["rules"] = []map[string][]string{{"type": {`"` + rule.Type + `" is not a valid choice.`}}}
			}
			for _, c := range rule.Conditions {
				if !slices.Contains(operators, c.Operator) {
					errs["rules"] = []map[string][]string{{"operator": {`"` + c.Operator + `" is not a valid choice.`}}}
				}
				if c.Operator == flagsmith.OpPercentSplit {
					v, err := strconv.ParseFloat(c.Value, 64)
					if err != nil || v < 0 || v > 100 {
						errs["rules"] = []map[string][]string{{"value": {"Percentage split value must be a number from 0 to 100."}}}
					}
				}
			}
			walk(rule.Rules)
		}
	}
	walk(s.Rules)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// readSegment decodes and validates a segment body, answering 400 when it is not one.
func readSegment(w http.ResponseWriter, r *http.Request) (flagsmith.Segment, bool) {
	var s flagsmith.Segment
	if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
		reply(w, http.StatusBadRequest, map[string][]string{"non_field_errors": {"Invalid data."}})
		return s, false
	}
	if errs := validSegment(s); errs != nil {
		reply(w, http.StatusBadRequest, errs)
		return s, false
	}
	return s, true
}

func (f *Fake) segmentsAPI(w http.ResponseWriter, r *http.Request, project int, p []string) {
	if len(p) == 0 {
		switch r.Method {
		case http.MethodGet:
			q := strings.ToLower(r.URL.Query().Get("q"))
			out := []flagsmith.Segment{}
			for _, s := range f.segments {
				if s.Project == project && strings.Contains(strings.ToLower(s.Name), q) {
					out = append(out, s)
				}
			}
			page(f, w, r, out)
		case http.MethodPost:
			s, ok := readSegment(w, r)
			if !ok {
				return
			}
			s.ID, s.Project = f.id(), project
			f.segments = append(f.segments, s)
			reply(w, http.StatusCreated, s)
		default:
			detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
		}
		return
	}
	id, _ := strconv.Atoi(p[0])
	i := slices.IndexFunc(f.segments, func(s flagsmith.Segment) bool { return s.ID == id && s.Project == project })
	if i < 0 {
		detail(w, http.StatusNotFound, "Not found.")
		return
	}
	switch r.Method {
	case http.MethodGet:
		reply(w, http.StatusOK, f.segments[i])
	case http.MethodPut:
		s, ok := readSegment(w, r)
		if !ok {
			return
		}
		s.ID, s.Project = id, project
		f.segments[i] = s
		reply(w, http.StatusOK, s)
	case http.MethodDelete:
		f.segments = slices.Delete(f.segments, i, i+1)
		// Deleting a segment deletes its overrides in every environment.
		for key, st := range f.states {
			n := len(st.SegmentOverrides)
			st.SegmentOverrides = slices.DeleteFunc(st.SegmentOverrides, func(o flagsmith.SegmentOverride) bool { return o.SegmentID == id })
			if len(st.SegmentOverrides) != n {
				f.bump(key)
			}
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
	}
}

// bump publishes a new version when the environment of the state key is versioned.
func (f *Fake) bump(key string) {
	envKey, _, _ := strings.Cut(key, "/")
	for _, e := range f.envs {
		if e.APIKey == envKey && e.Versioned {
			f.versions[key]++
		}
	}
}

func (f *Fake) future(w http.ResponseWriter, r *http.Request, envKey string, p []string) {
	if len(p) == 0 {
		detail(w, http.StatusNotFound, "Not found.")
		return
	}
	key := envKey + "/" + p[0]
	st, ok := f.states[key]
	if !ok {
		detail(w, http.StatusNotFound, "Not found.")
		return
	}
	switch {
	case len(p) == 1 && r.Method == http.MethodGet:
		reply(w, http.StatusOK, st)
	case len(p) == 1 && r.Method == http.MethodPatch:
		var patch flagsmith.FeatureStatePatch
		if err := json.NewDecoder(r.Body).Decode(&patch); err != nil {
			reply(w, http.StatusBadRequest, map[string][]string{"non_field_errors": {"Invalid data."}})
			return
		}
		var project int
		for _, e := range f.envs {
			if e.APIKey == envKey {
				project = e.Project
			}
		}
		for _, o := range patch.SegmentOverrides {
			i := slices.IndexFunc(f.segments, func(s flagsmith.Segment) bool { return s.ID == o.SegmentID && s.Project == project })
			if i < 0 {
				reply(w, http.StatusBadRequest, map[string]any{"segment_overrides": []map[string][]string{{"segment_id": {"Segment " + strconv.Itoa(o.SegmentID) + " does not exist in this project."}}}})
				return
			}
		}
		if patch.EnvironmentDefault != nil {
			st.EnvironmentDefault = *patch.EnvironmentDefault
		}
		for _, o := range patch.SegmentOverrides {
			for _, s := range f.segments {
				if s.ID == o.SegmentID {
					o.SegmentName = s.Name
				}
			}
			if i := slices.IndexFunc(st.SegmentOverrides, func(x flagsmith.SegmentOverride) bool { return x.SegmentID == o.SegmentID }); i >= 0 {
				st.SegmentOverrides[i] = o
			} else {
				st.SegmentOverrides = append(st.SegmentOverrides, o)
			}
		}
		slices.SortStableFunc(st.SegmentOverrides, func(a, b flagsmith.SegmentOverride) int { return a.Priority - b.Priority })
		f.bump(key)
		reply(w, http.StatusOK, st)
	case len(p) == 3 && p[1] == "segment-overrides" && r.Method == http.MethodDelete:
		id, _ := strconv.Atoi(p[2])
		i := slices.IndexFunc(st.SegmentOverrides, func(o flagsmith.SegmentOverride) bool { return o.SegmentID == id })
		if i < 0 {
			detail(w, http.StatusNotFound, "Not found.")
			return
		}
		st.SegmentOverrides = slices.Delete(st.SegmentOverrides, i, i+1)
		f.bump(key)
		w.WriteHeader(http.StatusNoContent)
	default:
		detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
	}
}

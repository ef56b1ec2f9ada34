// Package flagsmithtest is a fake Flagsmith Admin API for tests: the endpoints package flagsmith
// calls, with Flagsmith's authentication (an Organisation API key, and users' tokens for reviewers),
// pagination, Django REST framework error shapes, versioned and unversioned environments,
// environments that require change requests and their change requests (changerequest.go), servers
// with and without the `__future__` endpoints, and injected 429s, failures and lost answers. It
// records every request so tests can assert what was (not) written.
//
// Contract: Flagsmith's own OpenAPI document, openapi.yaml of Flagsmith/flagsmith at commit
// 1ad8487ba7aabedd3cdfbcf3e7d772784d3e1aae (2026-08-21); testdata/flagsmith-openapi.yaml holds the
// parts the fake serves. Every request the fake is asked and every answer it gives is checked
// against it with kin-openapi (Checker.Handler), and a violation fails the test. What the document
// leaves open follows the server's source at that commit: api/features/future/ (PATCH upserts
// overrides, priorities are unique, 409 where change requests are required),
// api/features/versioning/ (a change is a new version; no direct feature-state writes in a
// versioned environment), api/features/feature_segments/, and api/features/serializers.py with
// api/features/views.py (what a feature-state write must name: see validStateWrite).
package flagsmithtest

import (
	"encoding/json"
	"fmt"
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

	mu         sync.Mutex
	srv        *httptest.Server
	checker    *Checker
	report     func(error)
	violations []error
	noFuture   bool
	nextID     int
	projects   []flagsmith.Project
	envs       []flagsmith.Environment
	features   []feature
	segments   []flagsmith.Segment
	flags      map[flagKey]*flagState
	log        []Request
	throttle   int
	retry      string
	faults     []*fault
	losses     []*loss
	users      map[string]int // user tokens ("Authorization: Token …") and their user ids
	caller     *int           // the user of the request being answered; nil for the API key
	changes    []*changeRequest
}

type feature struct {
	flagsmith.Feature
	project int
}

// flagKey is a feature in an environment, by ids.
type flagKey struct{ env, feature int }

// flagState is what a feature serves in one environment, as Flagsmith stores it: the default's feature
// state and one feature segment and feature state per override.
type flagState struct {
	stateID   int
	def       flagsmith.FlagValue
	overrides []override
	versions  int // published versions, in a versioned environment
}

type override struct {
	featureSegment, state int
	segment, priority     int
	flagsmith.FlagValue
}

type fault struct {
	match  func(method, path string) bool
	status int
	times  int
}

// loss is a write whose answer never arrives: it is applied, then the connection is cut.
type loss struct {
	match   func(method, path string) bool
	applied chan struct{}
	wait    bool // until the client gives up, rather than at once
}

// Cleaner is what New needs of a test: somewhere to close the server (testing.TB, or a benchmark's
// own). If it can also Errorf (testing.TB can), every contract violation fails the test.
type Cleaner interface{ Cleanup(func()) }

// New starts a fake that accepts one Organisation key and plays the Flagsmith of the contract
// (with `__future__`); it is closed when the test ends (or by Close when t is nil, as in a
// benchmark program, which then reads Violations).
func New(t Cleaner) *Fake {
	f := &Fake{Key: "ser.fake-org-key", PageSize: 2, nextID: 100, flags: map[flagKey]*flagState{}, users: map[string]int{}}
	f.report = func(err error) {
		f.mu.Lock()
		f.violations = append(f.violations, err)
		f.mu.Unlock()
	}
	if e, ok := t.(interface{ Errorf(string, ...any) }); ok {
		f.report = func(err error) { e.Errorf("fake Flagsmith: %v", err) }
	}
	checker, err := NewChecker(func(err error) { f.report(err) })
	if err != nil {
		panic(err) // the embedded contract is broken: every test would be wrong
	}
	f.checker = checker
	f.srv = httptest.NewServer(checker.Handler(http.HandlerFunc(f.serve)))
	if t != nil {
		t.Cleanup(f.srv.Close)
	}
	f.URL = f.srv.URL + "/api/v1/"
	return f
}

// Close stops the server.
func (f *Fake) Close() { f.srv.Close() }

// WithoutFuture makes the fake a Flagsmith from before 2026-08, whose router has no
// /api/__future__/ routes: they answer 404 with Django's page, and the stable endpoints are
// the only way to read and write feature states.
func (f *Fake) WithoutFuture() *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noFuture = true
	return f
}

// Violations returns what the fake was asked or answered that Flagsmith's document does not
// allow, when New had no test to report them to.
func (f *Fake) Violations() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.violations)
}

// Operations returns the ids of the document's operations the fake was asked, sorted.
func (f *Fake) Operations() []string { return f.checker.Operations() }

func (f *Fake) id() int { f.nextID++; return f.nextID }

// AddProject adds a project and returns its id.
func (f *Fake) AddProject(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := flagsmith.Project{ID: f.id(), Name: name, Organisation: 1}
	f.projects = append(f.projects, p)
	return p.ID
}

// AddEnvironment adds an environment of the project with its client API key and returns its
// id; versioned environments (feature versioning v2) publish a new version on every change.
func (f *Fake) AddEnvironment(project int, name, key string, versioned bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := flagsmith.Environment{ID: f.id(), Name: name, APIKey: key, Project: project, Versioned: versioned}
	f.envs = append(f.envs, e)
	for _, ft := range f.features {
		if ft.project == project {
			f.flags[flagKey{e.ID, ft.ID}] = &flagState{stateID: f.id(), def: flagsmith.FlagValue{Enabled: ft.DefaultEnabled}}
		}
	}
	return e.ID
}

// RequireChangeRequests sets the environment's minimum_change_request_approvals, as turning on
// change requests in its settings does.
func (f *Fake) RequireChangeRequests(envKey string, approvals int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.envs[f.envIndex(envKey)].ChangeRequestApprovals = &approvals
}

// AddUser adds a dashboard user and returns the token it authenticates with
// ("Authorization: Token <token>", DRF's TokenAuthentication) and its id: a reviewer who approves
// change requests through the API.
func (f *Fake) AddUser(name string) (token string, id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id = f.id()
	token = fmt.Sprintf("%s-token-%d", name, id)
	f.users[token] = id
	return token, id
}

// AddFeature adds a feature to a project, with its default state in every environment of it.
func (f *Fake) AddFeature(project int, name string, enabled bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	ft := feature{flagsmith.Feature{ID: f.id(), Name: name, Type: "STANDARD", DefaultEnabled: enabled}, project}
	f.features = append(f.features, ft)
	for _, e := range f.envs {
		if e.Project == project {
			f.flags[flagKey{e.ID, ft.ID}] = &flagState{stateID: f.id(), def: flagsmith.FlagValue{Enabled: enabled}}
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

// SetState replaces what a feature serves in an environment, as a dashboard user would.
func (f *Fake) SetState(envKey string, featureID int, s flagsmith.FeatureState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.flags[flagKey{f.envs[f.envIndex(envKey)].ID, featureID}]
	fl.def, fl.overrides = s.Default, nil
	for _, o := range s.Overrides {
		fl.overrides = append(fl.overrides, override{featureSegment: f.id(), state: f.id(), segment: o.SegmentID, priority: o.Priority, FlagValue: o.FlagValue})
	}
	fl.sort()
}

// State returns what a feature serves in an environment.
func (f *Fake) State(envKey string, featureID int) flagsmith.FeatureState {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.flags[flagKey{f.envs[f.envIndex(envKey)].ID, featureID}]
	s := flagsmith.FeatureState{Default: fl.def}
	for _, o := range fl.overrides {
		s.Overrides = append(s.Overrides, flagsmith.SegmentOverride{SegmentID: o.segment, Priority: o.priority, FlagValue: o.FlagValue})
	}
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
	return f.flags[flagKey{f.envs[f.envIndex(envKey)].ID, featureID}].versions
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
	f.faults = append(f.faults, &fault{matcher(method, pathPrefix), status, times})
}

// Hold applies the next request that matches method and a path prefix, then sends no answer
// until the client gives up (its context is cancelled, as a SIGTERM cancels a run): a write
// Flagsmith made whose answer never arrived. The channel is closed once the write is applied.
func (f *Fake) Hold(method, pathPrefix string) <-chan struct{} {
	return f.addLoss(method, pathPrefix, true)
}

// Drop applies the next request that matches method and a path prefix and cuts the connection
// at once, as a proxy that drops an answer does. The channel is closed once the write is applied.
func (f *Fake) Drop(method, pathPrefix string) <-chan struct{} {
	return f.addLoss(method, pathPrefix, false)
}

func (f *Fake) addLoss(method, pathPrefix string, wait bool) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := &loss{match: matcher(method, pathPrefix), applied: make(chan struct{}), wait: wait}
	f.losses = append(f.losses, l)
	return l.applied
}

func matcher(method, pathPrefix string) func(m, p string) bool {
	return func(m, p string) bool { return (method == "" || m == method) && strings.HasPrefix(p, pathPrefix) }
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	f.route(rec, r)
	f.log = append(f.log, Request{Method: r.Method, Path: r.URL.Path, Status: rec.status})
	var lost *loss
	if i := slices.IndexFunc(f.losses, func(l *loss) bool { return l.match(r.Method, r.URL.Path) }); i >= 0 && rec.status < 300 {
		lost = f.losses[i]
		f.losses = slices.Delete(f.losses, i, i+1)
	}
	f.mu.Unlock()
	if lost != nil {
		close(lost.applied)
		if lost.wait {
			<-r.Context().Done()
		}
		panic(http.ErrAbortHandler) // net/http cuts the connection without an answer
	}
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

// fieldError answers 400 with DRF's field errors: {"field": ["message"]}.
func fieldError(w http.ResponseWriter, field, msg string) {
	reply(w, http.StatusBadRequest, map[string][]string{field: {msg}})
}

// notFoundPage is Django's answer for a path no route matches.
func notFoundPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n"))
}

func (f *Fake) route(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	f.caller = nil
	token, isUser := strings.CutPrefix(auth, "Token ")
	switch user, known := f.users[token]; {
	case auth == "":
		detail(w, http.StatusUnauthorized, "Authentication credentials were not provided.")
		return
	case isUser && !known:
		detail(w, http.StatusUnauthorized, "Invalid token.")
		return
	case isUser:
		f.caller = &user
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
	case len(parts) >= 6 && parts[0] == "api" && parts[1] == "__future__" && parts[2] == "environments" && parts[4] == "features" && !f.noFuture:
		f.future(w, r, parts[3], parts[5:])
	default:
		notFoundPage(w)
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

// decode reads a JSON body, answering 400 as DRF does when it is not JSON.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		reply(w, http.StatusBadRequest, map[string]string{"detail": fmt.Sprintf("JSON parse error - %v", err)})
		return false
	}
	return true
}

// flagOf finds the environment a path names (by API key, or by id where byID) and the feature of
// its project, answering 404 as Flagsmith does when either is not there.
func (f *Fake) flagOf(w http.ResponseWriter, env, featureID string, byID bool) (flagsmith.Environment, flagKey, bool) {
	ei := f.envIndex(env)
	feature, _ := strconv.Atoi(featureID)
	if ei < 0 || (byID && strconv.Itoa(f.envs[ei].ID) != env) || (!byID && f.envs[ei].APIKey != env) ||
		f.featureIndex(f.envs[ei].Project, feature) < 0 {
		detail(w, http.StatusNotFound, "Not found.")
		return flagsmith.Environment{}, flagKey{}, false
	}
	return f.envs[ei], flagKey{f.envs[ei].ID, feature}, true
}

func (f *Fake) envIndex(keyOrID string) int {
	return slices.IndexFunc(f.envs, func(e flagsmith.Environment) bool { return e.APIKey == keyOrID || strconv.Itoa(e.ID) == keyOrID })
}

func (f *Fake) featureIndex(project, id int) int {
	return slices.IndexFunc(f.features, func(ft feature) bool { return ft.ID == id && ft.project == project })
}

func (f *Fake) segmentIndex(project, id int) int {
	return slices.IndexFunc(f.segments, func(s flagsmith.Segment) bool { return s.ID == id && s.Project == project })
}

// changed records a change of the flag: in a versioned environment it is a new published
// version, whose feature states and feature segments are new objects.
func (f *Fake) changed(k flagKey) {
	i := slices.IndexFunc(f.envs, func(e flagsmith.Environment) bool { return e.ID == k.env })
	if i < 0 || !f.envs[i].Versioned {
		return
	}
	fl := f.flags[k]
	fl.versions++
	fl.stateID = f.id()
	for j := range fl.overrides {
		fl.overrides[j].featureSegment, fl.overrides[j].state = f.id(), f.id()
	}
}

func (fl *flagState) sort() {
	slices.SortStableFunc(fl.overrides, func(a, b override) int {
		if a.priority != b.priority {
			return a.priority - b.priority
		}
		return a.segment - b.segment
	})
}

// remove deletes the override of a segment; as Flagsmith's ordered feature segments do, every
// greater priority moves up by one. It reports whether there was one.
func (fl *flagState) remove(segment int) bool {
	i := slices.IndexFunc(fl.overrides, func(o override) bool { return o.segment == segment })
	if i < 0 {
		return false
	}
	p := fl.overrides[i].priority
	fl.overrides = slices.Delete(fl.overrides, i, i+1)
	for j := range fl.overrides {
		if fl.overrides[j].priority > p {
			fl.overrides[j].priority--
		}
	}
	return true
}

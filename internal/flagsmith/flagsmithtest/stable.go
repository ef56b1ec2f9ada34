package flagsmithtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// featureState is WritableNestedFeatureState as the featurestates endpoints answer it.
type featureState struct {
	ID             int               `json:"id"`
	Enabled        bool              `json:"enabled"`
	Value          featureStateValue `json:"feature_state_value"`
	Feature        int               `json:"feature"`
	Environment    int               `json:"environment"`
	Identity       *int              `json:"identity"`
	FeatureSegment *int              `json:"feature_segment"`
	Version        *string           `json:"environment_feature_version"`
}

// featureSegment is FeatureSegmentList.
type featureSegment struct {
	ID          int    `json:"id"`
	Segment     int    `json:"segment"`
	Priority    int    `json:"priority"`
	Environment int    `json:"environment"`
	SegmentName string `json:"segment_name"`
}

// stateWrite is a feature-state write body (WritableNestedFeatureState,
// CustomCreateSegmentOverrideFeatureState, CustomEnvironmentFeatureVersionFeatureState).
// Environment and Feature are raw so that a field left out differs from null: only
// WritableNestedFeatureState has them writable.
type stateWrite struct {
	Environment    json.RawMessage    `json:"environment"`
	Feature        json.RawMessage    `json:"feature"`
	Enabled        *bool              `json:"enabled"`
	Value          *featureStateValue `json:"feature_state_value"`
	FeatureSegment *struct {
		Segment  int  `json:"segment"`
		Priority *int `json:"priority"`
	} `json:"feature_segment"`
}

func (w stateWrite) apply(v *flagsmith.FlagValue) {
	if w.Enabled != nil {
		v.Enabled = *w.Enabled
	}
	if w.Value != nil {
		v.Value = typedValue(*w.Value)
	}
}

// versionUUID is the uuid of the flag's live version in a versioned environment.
func (fl *flagState) versionUUID(env flagsmith.Environment, feature int) *string {
	if !env.Versioned {
		return nil
	}
	s := fmt.Sprintf("%08x-0000-4000-8000-%012x", env.ID*10000+feature, fl.versions)
	return &s
}

// envFeature reads ?environment=&feature= of the stable lists; feature is 0 when not given.
func (f *Fake) envFeature(w http.ResponseWriter, r *http.Request) (flagsmith.Environment, int, bool) {
	q := r.URL.Query()
	ei := f.envIndex(q.Get("environment"))
	if ei < 0 || q.Get("environment") != strconv.Itoa(f.envs[ei].ID) {
		detail(w, http.StatusNotFound, "Environment not found.")
		return flagsmith.Environment{}, 0, false
	}
	feature, _ := strconv.Atoi(q.Get("feature"))
	return f.envs[ei], feature, true
}

// featureStates serves features/featurestates/ (the live feature states of an environment) and
// features/featurestates/{id}/ (PATCH, PUT), which a versioned environment refuses.
func (f *Fake) featureStates(w http.ResponseWriter, r *http.Request, p []string) {
	if len(p) == 0 && r.Method == http.MethodGet {
		env, feature, ok := f.envFeature(w, r)
		if !ok {
			return
		}
		out := []featureState{}
		for _, ft := range f.features {
			fl := f.flags[flagKey{env.ID, ft.ID}]
			if fl == nil || (feature != 0 && ft.ID != feature) {
				continue
			}
			v := fl.versionUUID(env, ft.ID)
			out = append(out, featureState{ID: fl.stateID, Enabled: fl.def.Enabled, Value: stableValue(fl.def.Value), Feature: ft.ID, Environment: env.ID, Version: v})
			for _, o := range fl.overrides {
				out = append(out, featureState{ID: o.state, Enabled: o.Enabled, Value: stableValue(o.Value), Feature: ft.ID, Environment: env.ID, FeatureSegment: &o.featureSegment, Version: v})
			}
		}
		page(f, w, r, out)
		return
	}
	if len(p) != 1 || (r.Method != http.MethodPatch && r.Method != http.MethodPut) {
		detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
		return
	}
	id, _ := strconv.Atoi(p[0])
	for k, fl := range f.flags {
		target := &fl.def
		if fl.stateID != id {
			i := slices.IndexFunc(fl.overrides, func(o override) bool { return o.state == id })
			if i < 0 {
				continue
			}
			target = &fl.overrides[i].FlagValue
		}
		body, ok := directWrite(w, r, f.envs[f.envIndex(strconv.Itoa(k.env))])
		if !ok || !f.validStateWrite(w, body, k, r.Method == http.MethodPatch) {
			return
		}
		body.apply(target)
		reply(w, http.StatusOK, featureState{ID: id, Enabled: target.Enabled, Value: stableValue(target.Value), Feature: k.feature, Environment: k.env})
		return
	}
	detail(w, http.StatusNotFound, "No FeatureState matches the given query.")
}

// validStateWrite checks a featurestates/{id}/ body as Flagsmith's WritableNestedFeatureStateSerializer
// does (api/features/serializers.py at the contract's commit, SourceCommit), answering as the
// server would when it refuses it. The view, SimpleFeatureStateViewSet (api/features/views.py),
// is DRF's UpdateModelMixin: PUT validates every field, PATCH (partial_update) only those sent.
//   - Meta.extra_kwargs makes "environment" required, and the model's "feature" is: a PUT
//     without them is DRF's 400 "This field is required.";
//   - validate_environment and validate_feature refuse null and a change of either (400);
//   - FeatureStateSerializerBasic.validate starts with
//     `environment = attrs.get("environment") or self.context["environment"]`, and this view's
//     serializer context (GenericAPIView.get_serializer_context: request, format, view) has no
//     "environment": a PATCH without it raises KeyError, which Django answers 500. That is the
//     500 slipway's finalize met on a real Flagsmith v2.265.0.
func (f *Fake) validStateWrite(w http.ResponseWriter, body stateWrite, k flagKey, partial bool) bool {
	errs := map[string][]string{}
	check := func(field string, raw json.RawMessage, want int, exists func(int) bool) {
		var id *int
		switch {
		case raw == nil && !partial:
			errs[field] = []string{"This field is required."}
		case raw == nil:
		case json.Unmarshal(raw, &id) != nil:
			errs[field] = []string{"Incorrect type. Expected pk value, received " + string(raw) + "."}
		case id == nil:
			errs[field] = []string{strings.ToUpper(field[:1]) + field[1:] + " may not be null."}
		case !exists(*id):
			errs[field] = []string{`Invalid pk "` + strconv.Itoa(*id) + `" - object does not exist.`}
		case *id != want:
			errs[field] = []string{"Cannot change the " + field + " of a feature state"}
		}
	}
	check("environment", body.Environment, k.env, func(id int) bool {
		return slices.ContainsFunc(f.envs, func(e flagsmith.Environment) bool { return e.ID == id })
	})
	check("feature", body.Feature, k.feature, func(id int) bool {
		return slices.ContainsFunc(f.features, func(ft feature) bool { return ft.ID == id })
	})
	if len(errs) > 0 {
		reply(w, http.StatusBadRequest, errs)
		return false
	}
	if body.Environment == nil {
		serverError(w)
		return false
	}
	return true
}

// serverError is Django's answer to an exception a view does not handle (DEBUG off).
func serverError(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write([]byte("\n<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n"))
}

// directWrite reads the body of a feature-state write that bypasses versioning, which a versioned
// environment refuses (DirectFeatureStateWriteNotAllowedError, since 2026-05).
func directWrite(w http.ResponseWriter, r *http.Request, env flagsmith.Environment) (stateWrite, bool) {
	var body stateWrite
	if env.Versioned {
		detail(w, http.StatusBadRequest, "This environment uses v2 feature versioning. Use the environment feature version endpoint instead.")
		return body, false
	}
	return body, decode(w, r, &body)
}

// featureSegments serves features/feature-segments/ (an environment's overrides of a feature, in
// the live version) and features/feature-segments/{id}/ (DELETE, which takes its feature state).
func (f *Fake) featureSegments(w http.ResponseWriter, r *http.Request, p []string) {
	if len(p) == 0 && r.Method == http.MethodGet {
		env, feature, ok := f.envFeature(w, r)
		if !ok {
			return
		}
		if feature == 0 {
			fieldError(w, "feature", "This field is required.")
			return
		}
		out := []featureSegment{}
		if fl := f.flags[flagKey{env.ID, feature}]; fl != nil {
			for _, o := range fl.overrides {
				out = append(out, featureSegment{ID: o.featureSegment, Segment: o.segment, Priority: o.priority, Environment: env.ID, SegmentName: f.segments[f.segmentIndex(env.Project, o.segment)].Name})
			}
		}
		page(f, w, r, out)
		return
	}
	if len(p) != 1 || r.Method != http.MethodDelete {
		detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
		return
	}
	id, _ := strconv.Atoi(p[0])
	for _, fl := range f.flags {
		if i := slices.IndexFunc(fl.overrides, func(o override) bool { return o.featureSegment == id }); i >= 0 {
			fl.remove(fl.overrides[i].segment)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	detail(w, http.StatusNotFound, "No FeatureSegment matches the given query.")
}

// createSegmentOverride serves environments/{key}/features/{id}/create-segment-override/: a
// feature segment and its feature state in one request, refused in a versioned environment.
func (f *Fake) createSegmentOverride(w http.ResponseWriter, r *http.Request, envKey, featureID string) {
	env, k, ok := f.flagOf(w, envKey, featureID, false)
	if !ok {
		return
	}
	body, ok := directWrite(w, r, env)
	if !ok {
		return
	}
	fl := f.flags[k]
	o, msg := f.newOverride(env, fl, body)
	if msg != "" {
		fieldError(w, "feature_segment", msg)
		return
	}
	fl.overrides = append(fl.overrides, o)
	fl.sort()
	reply(w, http.StatusCreated, map[string]any{"id": o.state, "feature": k.feature, "environment": env.ID, "identity": nil,
		"enabled": o.Enabled, "feature_state_value": stableValue(o.Value),
		"feature_segment": map[string]int{"id": o.featureSegment, "segment": o.segment, "priority": o.priority}})
}

// newOverride makes the override a create body asks for; a value left out is the default's. The
// message says why Flagsmith would refuse it.
func (f *Fake) newOverride(env flagsmith.Environment, fl *flagState, body stateWrite) (override, string) {
	switch {
	case body.FeatureSegment == nil:
		return override{}, "Cannot create FeatureState objects that are not segment overrides."
	case f.segmentIndex(env.Project, body.FeatureSegment.Segment) < 0:
		return override{}, `Invalid pk "` + strconv.Itoa(body.FeatureSegment.Segment) + `" - object does not exist.`
	case slices.ContainsFunc(fl.overrides, func(o override) bool { return o.segment == body.FeatureSegment.Segment }):
		return override{}, "An unresolvable conflict occurred: segment override already exists for segment " + strconv.Itoa(body.FeatureSegment.Segment) + "."
	}
	o := override{featureSegment: f.id(), state: f.id(), segment: body.FeatureSegment.Segment, priority: len(fl.overrides), FlagValue: fl.def}
	if body.FeatureSegment.Priority != nil {
		o.priority = *body.FeatureSegment.Priority
	}
	body.apply(&o.FlagValue)
	return o, ""
}

// nextVersion is the flag as a new version cloned from fl with req's changes would serve it
// (versioning_service.py); the message says why Flagsmith would refuse the changes.
func (f *Fake) nextVersion(env flagsmith.Environment, fl *flagState, req versionRequest) (flagState, string) {
	next := *fl
	next.overrides = slices.Clone(fl.overrides)
	for _, c := range req.Create {
		o, msg := f.newOverride(env, &next, c)
		if msg != "" {
			return next, msg
		}
		next.overrides = append(next.overrides, o)
	}
	for _, u := range req.Update {
		if u.FeatureSegment == nil {
			u.apply(&next.def)
			continue
		}
		i := slices.IndexFunc(next.overrides, func(o override) bool { return o.segment == u.FeatureSegment.Segment })
		if i < 0 {
			return next, "An unresolvable conflict occurred: segment override does not exist for segment " + strconv.Itoa(u.FeatureSegment.Segment) + "."
		}
		u.apply(&next.overrides[i].FlagValue)
	}
	for _, s := range req.Delete {
		next.remove(s)
	}
	next.sort()
	return next, ""
}

// versionRequest is EnvironmentFeatureVersionCreate's writable fields.
type versionRequest struct {
	Create  []stateWrite `json:"feature_states_to_create"`
	Update  []stateWrite `json:"feature_states_to_update"`
	Delete  []int        `json:"segment_ids_to_delete_overrides"`
	Publish bool         `json:"publish_immediately"`
}

// createVersion serves environments/{id}/features/{id}/versions/ (POST): a new version cloned
// from the live one with the changes the request lists, published at once when it asks; only a
// versioned environment has versions.
func (f *Fake) createVersion(w http.ResponseWriter, r *http.Request, envID, featureID string) {
	env, k, ok := f.flagOf(w, envID, featureID, true)
	if !ok {
		return
	}
	var req versionRequest
	if !decode(w, r, &req) {
		return
	}
	if !env.Versioned {
		fieldError(w, "environment", "Environment must use v2 feature versioning.")
		return
	}
	fl := f.flags[k]
	next, msg := f.nextVersion(env, fl, req)
	if msg != "" {
		reply(w, http.StatusBadRequest, map[string]string{"message": msg})
		return
	}
	if req.Publish {
		*fl = next
		f.changed(k)
	}
	now := "2026-08-21T10:00:00Z"
	reply(w, http.StatusCreated, map[string]any{"uuid": *fl.versionUUID(env, k.feature), "published": req.Publish, "is_live": req.Publish,
		"live_from": now, "created_at": now, "updated_at": now, "published_by": nil, "created_by": nil, "description": nil})
}

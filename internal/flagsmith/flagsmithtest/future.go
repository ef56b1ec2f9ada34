package flagsmithtest

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// futureFlag and futureOverride are the `__future__` API's shapes (features/future/types.py):
// an override's segment is {"id": N}; a response always has every field, value null when none.
type futureFlag struct {
	Enabled  bool             `json:"enabled"`
	Value    *flagsmith.Value `json:"value"`
	Variants []any            `json:"variants"`
}

type futureOverride struct {
	Segment  futureSegment    `json:"segment"`
	Priority int              `json:"priority"`
	Enabled  bool             `json:"enabled"`
	Value    *flagsmith.Value `json:"value"`
	Variants []any            `json:"variants"`
}

type futureSegment struct {
	ID int `json:"id"`
}

type futureState struct {
	EnvironmentDefault futureFlag       `json:"environment_default"`
	SegmentOverrides   []futureOverride `json:"segment_overrides"`
}

// futureRequest is PatchedUpdateFlagRequest; pointers tell a field left out from a zero.
type futureRequest struct {
	EnvironmentDefault *struct {
		Enabled  *bool            `json:"enabled"`
		Value    *flagsmith.Value `json:"value"`
		Variants []any            `json:"variants"`
	} `json:"environment_default"`
	SegmentOverrides []struct {
		Segment  futureSegment    `json:"segment"`
		Enabled  *bool            `json:"enabled"`
		Priority *int             `json:"priority"`
		Value    *flagsmith.Value `json:"value"`
		Variants []any            `json:"variants"`
	} `json:"segment_overrides"`
}

func (fl *flagState) future() futureState {
	s := futureState{EnvironmentDefault: futureFlag{fl.def.Enabled, fl.def.Value, []any{}}, SegmentOverrides: []futureOverride{}}
	for _, o := range fl.overrides {
		s.SegmentOverrides = append(s.SegmentOverrides, futureOverride{futureSegment{o.segment}, o.priority, o.Enabled, o.Value, []any{}})
	}
	return s
}

// future serves /api/__future__/environments/{key}/features/{id}/ and its segment-overrides/{id}/.
func (f *Fake) future(w http.ResponseWriter, r *http.Request, envKey string, p []string) {
	env, k, ok := f.flagOf(w, envKey, p[0], false)
	if !ok {
		return
	}
	fl := f.flags[k]
	write := r.Method != http.MethodGet
	if write && env.ChangeRequestApprovals != nil {
		reply(w, http.StatusConflict, map[string]string{"detail": "Cannot update flags in an environment with change requests enabled.", "code": "change_requests_enabled"})
		return
	}
	switch {
	case len(p) == 1 && r.Method == http.MethodGet:
		reply(w, http.StatusOK, fl.future())
	case len(p) == 1 && r.Method == http.MethodPatch:
		var req futureRequest
		if !decode(w, r, &req) || !f.patch(w, env, fl, req) {
			return
		}
		f.changed(k)
		reply(w, http.StatusOK, fl.future())
	case len(p) == 3 && p[1] == "segment-overrides" && r.Method == http.MethodDelete:
		segment, _ := strconv.Atoi(p[2])
		if !fl.remove(segment) {
			detail(w, http.StatusNotFound, "Segment override not found.")
			return
		}
		f.changed(k)
		reply(w, http.StatusOK, fl.future())
	default:
		detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
	}
}

// patch applies a PATCH as features/future/services.py does, after validating all of it: the
// default's fields given; each override upserted, a new one inheriting from the default what it
// leaves out and taking its position in the list as priority when it has none; no two overrides
// may share a priority.
func (f *Fake) patch(w http.ResponseWriter, env flagsmith.Environment, fl *flagState, req futureRequest) bool {
	next := *fl
	next.overrides = slices.Clone(fl.overrides)
	if d := req.EnvironmentDefault; d != nil {
		if msg := valueError(d.Value); msg != "" {
			reply(w, http.StatusBadRequest, map[string]any{"environment_default": map[string][]string{"value": {msg}}})
			return false
		}
		if len(d.Variants) > 0 {
			reply(w, http.StatusBadRequest, map[string]any{"environment_default": map[string][]string{"variants": {"Feature is not multivariate."}}})
			return false
		}
		if d.Enabled != nil {
			next.def.Enabled = *d.Enabled
		}
		if d.Value != nil {
			next.def.Value = d.Value
		}
	}
	seen := map[int]bool{}
	for pos, o := range req.SegmentOverrides {
		switch {
		case f.segmentIndex(env.Project, o.Segment.ID) < 0:
			reply(w, http.StatusBadRequest, map[string]any{"segment_overrides": []any{map[string]any{"segment": map[string][]string{"id": {"Segment not found."}}}}})
			return false
		case seen[o.Segment.ID]:
			fieldError(w, "segment_overrides", "Duplicate segment: "+strconv.Itoa(o.Segment.ID)+".")
			return false
		case valueError(o.Value) != "":
			reply(w, http.StatusBadRequest, map[string]any{"segment_overrides": []any{map[string][]string{"value": {valueError(o.Value)}}}})
			return false
		}
		seen[o.Segment.ID] = true
		i := slices.IndexFunc(next.overrides, func(x override) bool { return x.segment == o.Segment.ID })
		if i < 0 {
			next.overrides = append(next.overrides, override{featureSegment: f.id(), state: f.id(), segment: o.Segment.ID, priority: pos, FlagValue: next.def})
			i = len(next.overrides) - 1
		}
		ov := &next.overrides[i]
		if o.Priority != nil {
			ov.priority = *o.Priority
		}
		if o.Enabled != nil {
			ov.Enabled = *o.Enabled
		}
		if o.Value != nil {
			ov.Value = o.Value
		}
	}
	priorities := map[int]bool{}
	for _, o := range next.overrides {
		if priorities[o.priority] {
			detail(w, http.StatusBadRequest, "Duplicate priority: "+strconv.Itoa(o.priority)+".")
			return false
		}
		priorities[o.priority] = true
	}
	next.sort()
	*fl = next
	return true
}

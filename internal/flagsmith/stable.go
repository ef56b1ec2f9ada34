package flagsmith

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

// stableAPI is the feature-state API every Flagsmith of the last years has: the live feature
// states from /api/v1/features/featurestates/ and their segments from
// /api/v1/features/feature-segments/; writes through create-segment-override, featurestates and
// feature-segments in an unversioned environment, and through one new, immediately published
// version (/api/v1/environments/{id}/features/{id}/versions/, since 2024-06) in an environment
// with feature versioning v2, where Flagsmith refuses direct feature-state writes.
type stableAPI struct{}

// stableState is WritableNestedFeatureState, as the featurestates list returns it.
type stableState struct {
	ID             int         `json:"id"`
	Enabled        bool        `json:"enabled"`
	Value          stableValue `json:"feature_state_value"`
	FeatureSegment *int        `json:"feature_segment"`
	Identity       *int        `json:"identity"`
}

// stableWrite is the body of a feature-state write (WritableNestedFeatureState and
// CustomEnvironmentFeatureVersionFeatureState share these fields). Environment and Feature are
// read-only in the create-segment-override and version bodies, and left out there: the view takes
// them from the path (create_segment_override in api/features/views.py saves with the URL's
// environment and feature; CreateSegmentOverrideFeatureStateSerializer, flagsmith-common's
// common/features/serializers.py, lists both as read_only_fields; a version's feature states get
// the version's environment in api/features/versioning/serializers.py). A write to
// featurestates/{id}/ needs them in the body (see patchState).
type stableWrite struct {
	Environment    int                   `json:"environment,omitempty"`
	Feature        int                   `json:"feature,omitempty"`
	Enabled        bool                  `json:"enabled"`
	Value          *stableValue          `json:"feature_state_value,omitempty"`
	FeatureSegment *stableFeatureSegment `json:"feature_segment,omitempty"`
}

// stableFeatureSegment is which segment an override is for, and its priority: FeatureSegmentList
// as read, CustomCreateSegmentOverrideFeatureSegment as written (where the id is read-only).
type stableFeatureSegment struct {
	ID       int  `json:"id,omitempty"`
	Segment  int  `json:"segment"`
	Priority *int `json:"priority,omitempty"`
}

// stableVersion is EnvironmentFeatureVersionCreate's writable part.
type stableVersion struct {
	Create      []stableWrite `json:"feature_states_to_create,omitempty"`
	Update      []stableWrite `json:"feature_states_to_update,omitempty"`
	Delete      []int         `json:"segment_ids_to_delete_overrides,omitempty"`
	PublishNow  bool          `json:"publish_immediately"`
	Description string        `json:"description,omitempty"`
}

// stateKey names a flag in one environment.
type stateKey struct{ env, feature int }

// stableIDs is what the client remembers of a flag read through the stable endpoints: the state,
// and the ids of the objects an unversioned environment's writes address.
type stableIDs struct {
	state     FeatureState
	defaultID int                   // the default's feature state
	overrides map[int]stableObjects // by segment id
}

type stableObjects struct{ state, featureSegment int }

func (stableAPI) read(ctx context.Context, c *Client, env Environment, featureID int) (FeatureState, error) {
	q := "?environment=" + strconv.Itoa(env.ID) + "&feature=" + strconv.Itoa(featureID)
	states, err := list[stableState](ctx, c, "features/featurestates/"+q)
	if err != nil {
		return FeatureState{}, err
	}
	segments, err := list[stableFeatureSegment](ctx, c, "features/feature-segments/"+q)
	if err != nil {
		return FeatureState{}, err
	}
	ids := stableIDs{overrides: map[int]stableObjects{}}
	found := false
	for _, s := range states {
		flag := FlagValue{Enabled: s.Enabled, Value: fromStable(s.Value)}
		switch {
		case s.Identity != nil:
		case s.FeatureSegment == nil:
			ids.state.Default, ids.defaultID, found = flag, s.ID, true
		default:
			i := slices.IndexFunc(segments, func(fs stableFeatureSegment) bool { return fs.ID == *s.FeatureSegment })
			if i < 0 {
				return FeatureState{}, fmt.Errorf("flagsmith: feature state %d is an override of feature segment %d, which the feature-segments list lacks; try again", s.ID, *s.FeatureSegment)
			}
			fs := segments[i]
			ids.state.Overrides = append(ids.state.Overrides, SegmentOverride{SegmentID: fs.Segment, Priority: deref(fs.Priority), FlagValue: flag})
			ids.overrides[fs.Segment] = stableObjects{state: s.ID, featureSegment: fs.ID}
		}
	}
	if !found {
		return FeatureState{}, &APIError{Method: http.MethodGet, Path: "features/featurestates/" + q, Status: http.StatusNotFound,
			Detail: "the environment has no feature state for the feature"}
	}
	ids.state.sortOverrides()
	c.remember(env, featureID, ids)
	return ids.state, nil
}

func (s stableAPI) write(ctx context.Context, c *Client, env Environment, featureID int, ch FeatureChange) error {
	ids, ok := c.remembered(env, featureID)
	if !ok {
		if _, err := s.read(ctx, c, env, featureID); err != nil {
			return err
		}
		ids, _ = c.remembered(env, featureID)
	}
	var err error
	if env.Versioned {
		err = s.publish(ctx, c, env, featureID, ids, ch)
	} else {
		err = s.writeObjects(ctx, c, env, featureID, ids, ch)
	}
	if err != nil {
		c.forget(env, featureID) // what was written before the error is unknown: read again
		return err
	}
	ids.state = ids.state.apply(ch)
	c.remember(env, featureID, ids)
	return nil
}

// publish writes the change as one new version of the flag, published at once.
func (stableAPI) publish(ctx context.Context, c *Client, env Environment, featureID int, ids stableIDs, ch FeatureChange) error {
	v, err := ids.version(ch)
	if err != nil || len(v.Create)+len(v.Update)+len(v.Delete) == 0 {
		return err
	}
	v.PublishNow, v.Description = true, "slipway flag-rollout"
	return c.do(ctx, http.MethodPost, "environments/"+strconv.Itoa(env.ID)+"/features/"+strconv.Itoa(featureID)+"/versions/", v, nil)
}

// version is the change as a new version's feature states to create and update and overrides to
// delete, from the state last read; a change request's change set carries the same lists.
func (ids stableIDs) version(ch FeatureChange) (stableVersion, error) {
	var v stableVersion
	for _, id := range ch.Remove {
		if _, exists := ids.state.Override(id); exists { // one that is gone is not removed again
			v.Delete = append(v.Delete, id)
		}
	}
	if ch.Default != nil {
		w, err := stableFlag(*ch.Default, ids.state.Default.Value)
		if err != nil {
			return v, err
		}
		v.Update = append(v.Update, w)
	}
	for _, o := range ch.Set {
		w, exists, err := ids.overrideWrite(o)
		if err != nil {
			return v, err
		}
		w.FeatureSegment = &stableFeatureSegment{Segment: o.SegmentID}
		if exists {
			v.Update = append(v.Update, w)
		} else {
			w.FeatureSegment.Priority = &o.Priority
			v.Create = append(v.Create, w)
		}
	}
	return v, nil
}

// writeObjects writes the change object by object: the default's feature state, each override's
// feature state (created with its feature segment in one request), and each removed override's
// feature segment, which takes its feature state with it.
func (stableAPI) writeObjects(ctx context.Context, c *Client, env Environment, featureID int, ids stableIDs, ch FeatureChange) error {
	if ch.Default != nil {
		w, err := stableFlag(*ch.Default, ids.state.Default.Value)
		if err != nil {
			return err
		}
		if err := patchState(ctx, c, env, featureID, ids.defaultID, w); err != nil {
			return err
		}
	}
	for _, o := range ch.Set {
		w, _, err := ids.overrideWrite(o)
		if err != nil {
			return err
		}
		if obj, exists := ids.overrides[o.SegmentID]; exists {
			if err := patchState(ctx, c, env, featureID, obj.state, w); err != nil {
				return err
			}
			continue
		}
		w.FeatureSegment = &stableFeatureSegment{Segment: o.SegmentID, Priority: &o.Priority}
		var created struct {
			ID             int                  `json:"id"`
			FeatureSegment stableFeatureSegment `json:"feature_segment"`
		}
		path := "environments/" + env.APIKey + "/features/" + strconv.Itoa(featureID) + "/create-segment-override/"
		if err := c.do(ctx, http.MethodPost, path, w, &created); err != nil {
			return err
		}
		ids.overrides[o.SegmentID] = stableObjects{state: created.ID, featureSegment: created.FeatureSegment.ID}
	}
	for _, id := range ch.Remove {
		obj, exists := ids.overrides[id]
		if !exists {
			continue // not there when last read
		}
		err := c.do(ctx, http.MethodDelete, "features/feature-segments/"+strconv.Itoa(obj.featureSegment)+"/", nil, nil)
		if err != nil && !IsNotFound(err) {
			return err
		}
		delete(ids.overrides, id)
	}
	return nil
}

// patchState writes one feature state (the default's or an override's) through
// features/featurestates/{id}/. The body names its environment and feature: Flagsmith's
// serializer for this route (WritableNestedFeatureStateSerializer, api/features/serializers.py)
// validates with `attrs.get("environment") or self.context["environment"]`, and this view
// (SimpleFeatureStateViewSet, api/features/views.py) puts no environment in the context, so a
// PATCH without it is a 500 (Flagsmith/flagsmith 1ad8487b, v2.265.0). The feature is checked
// against the state's own (validate_feature), so sending it costs nothing and a PUT needs it.
func patchState(ctx context.Context, c *Client, env Environment, featureID, stateID int, w stableWrite) error {
	w.Environment, w.Feature = env.ID, featureID
	return c.do(ctx, http.MethodPatch, "features/featurestates/"+strconv.Itoa(stateID)+"/", w, nil)
}

// overrideWrite is the body that sets o, and whether the override exists (as last read).
func (ids stableIDs) overrideWrite(o SegmentOverride) (stableWrite, bool, error) {
	cur, exists := ids.state.Override(o.SegmentID)
	if !exists {
		cur.FlagValue = ids.state.Default
	}
	w, err := stableFlag(o.FlagValue, cur.Value)
	return w, exists, err
}

// stableFlag is the body that writes flag; a nil value keeps the one there is (cur: the
// override's, or the default's for a new override), as the `__future__` API does when a value is
// left out.
func stableFlag(flag FlagValue, cur *Value) (stableWrite, error) {
	v := flag.Value
	if v == nil {
		v = cur
	}
	sv, err := toStable(v)
	if err != nil {
		return stableWrite{}, err
	}
	return stableWrite{Enabled: flag.Enabled, Value: &sv}, nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func (stableAPI) endpoints(env Environment) string {
	if env.Versioned {
		return "the stable endpoints (features/featurestates/ and features/feature-segments/ to read; a new published version at environments/{id}/features/{id}/versions/ to write, as feature versioning v2 requires)"
	}
	return "the stable endpoints (features/featurestates/ and features/feature-segments/ to read; featurestates/{id}/, create-segment-override/ and feature-segments/{id}/ to write)"
}

func (c *Client) remember(env Environment, featureID int, ids stableIDs) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stable[stateKey{env.ID, featureID}] = ids
}

func (c *Client) remembered(env Environment, featureID int) (stableIDs, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids, ok := c.stable[stateKey{env.ID, featureID}]
	ids.overrides = maps.Clone(ids.overrides)
	return ids, ok
}

func (c *Client) forget(env Environment, featureID int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.stable, stateKey{env.ID, featureID})
}

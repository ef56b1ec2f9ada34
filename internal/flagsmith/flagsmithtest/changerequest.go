package flagsmithtest

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/slipway-actions/slipway/internal/flagsmith"
)

// Change requests. The document gives their shapes (ChangeRequestCreate, ChangeRequestRetrieve,
// VersionChangeSet, WorkflowsError); their views are Flagsmith's private workflows_logic package,
// so what they do follows the open models and services of the contract's commit:
//   - api/features/workflows/core/models.py: ChangeRequest.is_approved_via_environment (approved
//     once minimum_change_request_approvals users have approved), approve (a user, never the
//     author: CannotApproveOwnChangeRequest, 400), soft deletion (SoftDeleteExportableModel: a
//     deleted one is gone from the API) that refuses a committed one (ChangeRequestDeletionError);
//   - api/core/workflows_services.py: ChangeRequestCommitService.commit refuses one that is not
//     approved (ChangeRequestNotApprovedError, 400) and makes its feature states the live ones (new
//     feature-state objects) or publishes its change sets (a new version);
//   - the dashboard (frontend/common/stores/feature-list-store.ts) sends feature_states in an
//     unversioned environment and change_sets in a versioned one; the fake refuses the other.
//
// The fake's choices where the open code says nothing: an Organisation API key is not a user
// (ChangeRequestApproval.user is an FFAdminUser), so it cannot approve (403); a change request
// made with the key has no author (user null); errors of approve and commit are WorkflowsError
// ({"message": …}), as the document lists them.
type changeRequest struct {
	id, env       int
	title         string
	description   *string
	author        *int
	states        []crState
	changeSets    []crChangeSet
	approvals     []crApproval
	committedAt   *string
	committedBy   *int
	deleted       bool
	created, upd  string
	changeSetsNil bool
}

// crState is CreateChangeRequestFeatureState.
type crState struct {
	ID             int                `json:"id"`
	Feature        int                `json:"feature"`
	FeatureSegment *int               `json:"feature_segment"`
	Enabled        bool               `json:"enabled"`
	Value          *featureStateValue `json:"feature_state_value,omitempty"`
}

// crChangeSet is VersionChangeSet.
type crChangeSet struct {
	ID      int          `json:"id"`
	Feature int          `json:"feature"`
	Create  []stateWrite `json:"feature_states_to_create"`
	Update  []stateWrite `json:"feature_states_to_update"`
	Delete  []int        `json:"segment_ids_to_delete_overrides"`
}

// crApproval is ChangeRequestApproval.
type crApproval struct {
	ID         int     `json:"id"`
	User       int     `json:"user"`
	ApprovedAt *string `json:"approved_at"`
}

// crCreate is ChangeRequestCreate's writable fields.
type crCreate struct {
	Title         string  `json:"title"`
	Description   *string `json:"description"`
	FeatureStates []struct {
		Feature        int                `json:"feature"`
		FeatureSegment *int               `json:"feature_segment"`
		Enabled        bool               `json:"enabled"`
		Value          *featureStateValue `json:"feature_state_value"`
	} `json:"feature_states"`
	ChangeSets []crChangeSet `json:"change_sets"`
}

const crTime = "2026-08-21T10:00:00Z"

func workflowsError(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]string{"message": msg})
}

// createChangeRequest serves environments/{key}/create-change-request/.
func (f *Fake) createChangeRequest(w http.ResponseWriter, r *http.Request, envKey string) {
	ei := f.envIndex(envKey)
	if ei < 0 || f.envs[ei].APIKey != envKey {
		detail(w, http.StatusNotFound, "Not found.")
		return
	}
	env := f.envs[ei]
	var req crCreate
	if !decode(w, r, &req) {
		return
	}
	switch {
	case req.Title == "":
		fieldError(w, "title", "This field may not be blank.")
		return
	case env.Versioned && len(req.FeatureStates) > 0:
		workflowsError(w, http.StatusBadRequest, "This environment uses v2 feature versioning: a change request carries change_sets.")
		return
	case !env.Versioned && len(req.ChangeSets) > 0:
		workflowsError(w, http.StatusBadRequest, "Environment must use v2 feature versioning.")
		return
	}
	cr := &changeRequest{id: f.id(), env: env.ID, title: req.Title, description: req.Description, author: f.caller,
		created: crTime, upd: crTime, changeSetsNil: req.ChangeSets == nil}
	for _, s := range req.FeatureStates {
		fl := f.flags[flagKey{env.ID, s.Feature}]
		if fl == nil {
			fieldError(w, "feature_states", `Invalid pk "`+strconv.Itoa(s.Feature)+`" - object does not exist.`)
			return
		}
		if s.FeatureSegment != nil && !slices.ContainsFunc(fl.overrides, func(o override) bool { return o.featureSegment == *s.FeatureSegment }) {
			fieldError(w, "feature_states", `Invalid pk "`+strconv.Itoa(*s.FeatureSegment)+`" - object does not exist.`)
			return
		}
		cr.states = append(cr.states, crState{ID: f.id(), Feature: s.Feature, FeatureSegment: s.FeatureSegment, Enabled: s.Enabled, Value: s.Value})
	}
	for _, c := range req.ChangeSets {
		if f.flags[flagKey{env.ID, c.Feature}] == nil {
			fieldError(w, "change_sets", `Invalid pk "`+strconv.Itoa(c.Feature)+`" - object does not exist.`)
			return
		}
		c.ID = f.id()
		cr.changeSets = append(cr.changeSets, c)
	}
	f.changes = append(f.changes, cr)
	reply(w, http.StatusCreated, f.crBody(cr, false))
}

// crBody is ChangeRequestCreate (create) or ChangeRequestRetrieve. The document types is_approved
// and is_committed as strings where the model's values are booleans; the fake leaves them out
// (they are not required), and the client decides from approvals and committed_at.
func (f *Fake) crBody(cr *changeRequest, retrieve bool) map[string]any {
	approvals := []crApproval{}
	approvals = append(approvals, cr.approvals...)
	states := []crState{}
	states = append(states, cr.states...)
	var sets any = cr.changeSets
	if cr.changeSetsNil {
		sets = nil
	}
	env := cr.env
	b := map[string]any{"id": cr.id, "created_at": cr.created, "updated_at": cr.upd, "title": cr.title, "description": cr.description,
		"feature_states": states, "environment": &env, "approvals": approvals, "user": cr.author, "committed_at": cr.committedAt,
		"committed_by": cr.committedBy, "deleted_at": nil, "group_assignments": []any{}, "change_sets": sets, "ignore_conflicts": false}
	if retrieve {
		b["environment_feature_versions"], b["segments"], b["conflicts"] = []any{}, []any{}, []any{}
	} else {
		b["environment_feature_versions"] = []string{}
	}
	return b
}

// changeRequestAPI serves features/workflows/change-requests/{id}/ (GET, DELETE) and its approve/
// and commit/ actions.
func (f *Fake) changeRequestAPI(w http.ResponseWriter, r *http.Request, p []string) {
	id, _ := strconv.Atoi(p[0])
	i := slices.IndexFunc(f.changes, func(cr *changeRequest) bool { return cr.id == id && !cr.deleted })
	if i < 0 {
		detail(w, http.StatusNotFound, "No ChangeRequest matches the given query.")
		return
	}
	cr := f.changes[i]
	switch {
	case len(p) == 1 && r.Method == http.MethodGet:
		reply(w, http.StatusOK, f.crBody(cr, true))
	case len(p) == 1 && r.Method == http.MethodDelete:
		if cr.committedAt != nil {
			detail(w, http.StatusBadRequest, "Cannot delete a Change Request that has been committed.")
			return
		}
		cr.deleted = true
		w.WriteHeader(http.StatusNoContent)
	case len(p) == 2 && p[1] == "approve" && r.Method == http.MethodPost:
		f.approve(w, cr)
	case len(p) == 2 && p[1] == "commit" && r.Method == http.MethodPost:
		f.commit(w, cr)
	default:
		detail(w, http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
	}
}

func (f *Fake) approve(w http.ResponseWriter, cr *changeRequest) {
	switch {
	case f.caller == nil:
		workflowsError(w, http.StatusForbidden, "An API key is not a user and cannot approve a change request.")
		return
	case cr.author != nil && *cr.author == *f.caller:
		workflowsError(w, http.StatusBadRequest, "User cannot approve their own Change Request.")
		return
	}
	at := crTime
	if j := slices.IndexFunc(cr.approvals, func(a crApproval) bool { return a.User == *f.caller }); j >= 0 {
		cr.approvals[j].ApprovedAt = &at
	} else {
		cr.approvals = append(cr.approvals, crApproval{ID: f.id(), User: *f.caller, ApprovedAt: &at})
	}
	reply(w, http.StatusOK, f.crBody(cr, true))
}

func (f *Fake) approved(cr *changeRequest) bool {
	env := f.envs[slices.IndexFunc(f.envs, func(e flagsmith.Environment) bool { return e.ID == cr.env })]
	n := 0
	for _, a := range cr.approvals {
		if a.ApprovedAt != nil {
			n++
		}
	}
	return env.ChangeRequestApprovals == nil || n >= *env.ChangeRequestApprovals
}

// commit applies the change request: its feature states become the live ones (new objects, so new
// ids), or its change sets are published as a new version each.
func (f *Fake) commit(w http.ResponseWriter, cr *changeRequest) {
	if cr.committedAt != nil {
		workflowsError(w, http.StatusBadRequest, "Change request has already been committed.")
		return
	}
	if !f.approved(cr) {
		workflowsError(w, http.StatusBadRequest, "Change request has not been approved by all required approvers.")
		return
	}
	env := f.envs[slices.IndexFunc(f.envs, func(e flagsmith.Environment) bool { return e.ID == cr.env })]
	next := map[flagKey]flagState{}
	for _, c := range cr.changeSets {
		k := flagKey{env.ID, c.Feature}
		cur, ok := next[k]
		if !ok {
			cur = *f.flags[k]
		}
		v, msg := f.nextVersion(env, &cur, versionRequest{Create: c.Create, Update: c.Update, Delete: c.Delete})
		if msg != "" {
			workflowsError(w, http.StatusBadRequest, msg)
			return
		}
		next[k] = v
	}
	for _, s := range cr.states {
		k := flagKey{env.ID, s.Feature}
		fl := f.flags[k]
		write := stateWrite{Enabled: &s.Enabled, Value: s.Value}
		if s.FeatureSegment == nil {
			write.apply(&fl.def)
			fl.stateID = s.ID
			continue
		}
		if j := slices.IndexFunc(fl.overrides, func(o override) bool { return o.featureSegment == *s.FeatureSegment }); j >= 0 {
			write.apply(&fl.overrides[j].FlagValue)
			fl.overrides[j].state = s.ID
		}
	}
	for k, v := range next {
		*f.flags[k] = v
		f.changed(k)
	}
	at := crTime
	cr.committedAt, cr.committedBy = &at, f.caller
	reply(w, http.StatusOK, f.crBody(cr, true))
}

// ChangeRequestIDs returns the ids of the change requests not deleted, oldest first.
func (f *Fake) ChangeRequestIDs() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []int
	for _, cr := range f.changes {
		if !cr.deleted {
			ids = append(ids, cr.id)
		}
	}
	return ids
}

package flagsmith

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Change requests are how a flag changes in an environment that requires approvals (its
// minimum_change_request_approvals is set): a change request carries the change, reviewers
// approve it in the dashboard, and it changes the flag when it is committed. Flagsmith's rules,
// from api/features/workflows/core/models.py and api/core/workflows_services.py of
// Flagsmith/flagsmith (commit 1ad8487ba7aabedd3cdfbcf3e7d772784d3e1aae):
//   - it is approved once at least minimum_change_request_approvals users have approved it
//     (ChangeRequest.is_approved_via_environment); nobody may approve their own
//     (CannotApproveOwnChangeRequest);
//   - commit refuses a change request that is not approved (ChangeRequestNotApprovedError, 400)
//     and otherwise makes its feature states (or its change sets, in a versioned environment)
//     the live ones;
//   - deleting one is soft: it is gone from the API (404), and a committed one cannot be deleted.
// The client never approves: it creates, reads and commits.

// ChangeRequest is a change request as a rollout follows it.
type ChangeRequest struct {
	ID          int
	Title       string
	URL         string // the dashboard page where reviewers approve it, for the summary
	Environment int
	Required    int        // approvals the environment requires
	Approvals   []Approval // every approval asked for or given
	CommittedAt *time.Time
	CommittedBy *int // the user who committed it; nil when an API key did
	Deleted     bool // deleted (closed, rejected): it will never change the flag
}

// Approval is one user's approval of a change request; ApprovedAt is nil while it is only asked for.
type Approval struct {
	User       int        `json:"user"`
	ApprovedAt *time.Time `json:"approved_at"`
}

// ChangeRequestState is where a change request is on its way to the flag.
type ChangeRequestState string

// The states of a change request.
const (
	ChangeRequestPending   ChangeRequestState = "pending"   // waiting for approvals
	ChangeRequestApproved  ChangeRequestState = "approved"  // approved, not yet committed
	ChangeRequestCommitted ChangeRequestState = "committed" // the flag has changed
	ChangeRequestDeleted   ChangeRequestState = "deleted"   // closed without changing the flag
)

// ApprovedBy returns the users who have approved the change request.
func (cr ChangeRequest) ApprovedBy() []int {
	var users []int
	for _, a := range cr.Approvals {
		if a.ApprovedAt != nil {
			users = append(users, a.User)
		}
	}
	return users
}

// State says whether the change request waits for approvals, may be committed, has changed the
// flag, or never will.
func (cr ChangeRequest) State() ChangeRequestState {
	switch {
	case cr.Deleted:
		return ChangeRequestDeleted
	case cr.CommittedAt != nil:
		return ChangeRequestCommitted
	case len(cr.ApprovedBy()) >= cr.Required:
		return ChangeRequestApproved
	}
	return ChangeRequestPending
}

// RequiresChangeRequests reports whether Flagsmith changes the environment's flags only through
// change requests (Environment.is_workflow_enabled: minimum_change_request_approvals is set).
func (e Environment) RequiresChangeRequests() bool { return e.ChangeRequestApprovals != nil }

// ChangeRequestsRequiredError is WriteFeature's refusal to change a flag directly where the
// environment requires change requests.
type ChangeRequestsRequiredError struct{ Environment Environment }

func (e *ChangeRequestsRequiredError) Error() string {
	return fmt.Sprintf("environment %q requires change requests (its minimum_change_request_approvals setting is %d): "+
		"a flag changes there only through an approved change request", e.Environment.Name, deref(e.Environment.ChangeRequestApprovals))
}

// NotApprovedError is CommitChangeRequest's answer when the change request lacks approvals or
// was deleted: nothing was committed.
type NotApprovedError struct{ ChangeRequest ChangeRequest }

func (e *NotApprovedError) Error() string {
	cr := e.ChangeRequest
	if cr.Deleted {
		return fmt.Sprintf("change request %d (%s) was deleted: it will not change the flag", cr.ID, cr.URL)
	}
	return fmt.Sprintf("change request %d %q (%s) has %d of the %d approvals it needs: it can be committed once reviewers approve it there",
		cr.ID, cr.Title, cr.URL, len(cr.ApprovedBy()), cr.Required)
}

// crFeatureState is CreateChangeRequestFeatureState: a new feature state of the default
// (feature_segment null) or of an existing override (its feature segment's id).
type crFeatureState struct {
	Feature        int          `json:"feature"`
	FeatureSegment *int         `json:"feature_segment"`
	Enabled        bool         `json:"enabled"`
	Value          *stableValue `json:"feature_state_value,omitempty"`
}

// crChangeSet is VersionChangeSet: a versioned environment's change, as a new version's lists.
type crChangeSet struct {
	Feature int           `json:"feature"`
	Create  []stableWrite `json:"feature_states_to_create"`
	Update  []stableWrite `json:"feature_states_to_update"`
	Delete  []int         `json:"segment_ids_to_delete_overrides"`
}

// crCreate is ChangeRequestCreate's writable part that slipway sends.
type crCreate struct {
	Title         string           `json:"title"`
	Description   string           `json:"description,omitempty"`
	FeatureStates []crFeatureState `json:"feature_states"`
	ChangeSets    []crChangeSet    `json:"change_sets,omitempty"`
}

// crRead is what ChangeRequestCreate and ChangeRequestRetrieve answer that slipway reads.
type crRead struct {
	ID          int        `json:"id"`
	Title       string     `json:"title"`
	Environment *int       `json:"environment"`
	Approvals   []Approval `json:"approvals"`
	CommittedAt *time.Time `json:"committed_at"`
	CommittedBy *int       `json:"committed_by"`
	DeletedAt   *time.Time `json:"deleted_at"`
}

func changeRequestPath(id int) string {
	return "features/workflows/change-requests/" + strconv.Itoa(id) + "/"
}

// CreateChangeRequest opens a change request titled title that makes the change ch to the flag in
// env, read against the flag's state now (a value left nil keeps the one there is). In a versioned
// environment it carries the whole change (a change set); without feature versioning v2 Flagsmith's
// change requests carry feature states only, so there it can change the default and existing
// overrides but not create or remove one. It changes nothing until reviewers approve it and
// CommitChangeRequest commits it.
func (c *Client) CreateChangeRequest(ctx context.Context, env Environment, featureID int, ch FeatureChange, title, description string) (ChangeRequest, error) {
	if ch.Empty() {
		return ChangeRequest{}, errors.New("flagsmith: a change request that changes nothing")
	}
	if _, err := (stableAPI{}).read(ctx, c, env, featureID); err != nil {
		return ChangeRequest{}, err
	}
	ids, _ := c.remembered(env, featureID)
	body := crCreate{Title: title, Description: description, FeatureStates: []crFeatureState{}}
	var err error
	if env.Versioned {
		var v stableVersion
		if v, err = ids.version(ch); err == nil {
			body.ChangeSets = []crChangeSet{{Feature: featureID, Create: nonNil(v.Create), Update: nonNil(v.Update), Delete: nonNil(v.Delete)}}
		}
	} else {
		body.FeatureStates, err = ids.changeRequestStates(env, featureID, ch)
	}
	if err != nil {
		return ChangeRequest{}, err
	}
	var out crRead
	if err := c.do(ctx, http.MethodPost, "environments/"+url.PathEscape(env.APIKey)+"/create-change-request/", body, &out); err != nil {
		return ChangeRequest{}, err
	}
	return c.changeRequest(env, out), nil
}

// changeRequestStates is an unversioned environment's change as a change request's feature states.
func (ids stableIDs) changeRequestStates(env Environment, featureID int, ch FeatureChange) ([]crFeatureState, error) {
	var out []crFeatureState
	if ch.Default != nil {
		w, err := stableFlag(*ch.Default, ids.state.Default.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, crFeatureState{Feature: featureID, Enabled: w.Enabled, Value: w.Value})
	}
	for _, o := range ch.Set {
		obj, exists := ids.overrides[o.SegmentID]
		if !exists {
			return nil, fmt.Errorf("environment %q has no feature versioning v2, where a Flagsmith change request carries feature states only: "+
				"it cannot create the override of segment %d — turn on feature versioning v2 in the environment's settings, "+
				"where a change request carries the whole change", env.Name, o.SegmentID)
		}
		w, _, err := ids.overrideWrite(o)
		if err != nil {
			return nil, err
		}
		out = append(out, crFeatureState{Feature: featureID, FeatureSegment: &obj.featureSegment, Enabled: w.Enabled, Value: w.Value})
	}
	for _, id := range ch.Remove {
		if _, exists := ids.overrides[id]; exists {
			return nil, fmt.Errorf("environment %q has no feature versioning v2, where a Flagsmith change request carries feature states only: "+
				"it cannot remove the override of segment %d — turn on feature versioning v2 in the environment's settings", env.Name, id)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("flagsmith: a change request that changes nothing (its overrides to remove are gone)")
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// ChangeRequest reads a change request of env: who approved it, whether it is committed. One that
// was deleted is reported as such (State ChangeRequestDeleted), not as an error.
func (c *Client) ChangeRequest(ctx context.Context, env Environment, id int) (ChangeRequest, error) {
	var out crRead
	err := c.do(ctx, http.MethodGet, changeRequestPath(id), nil, &out)
	if IsNotFound(err) {
		cr := c.changeRequest(env, crRead{ID: id})
		cr.Deleted = true
		return cr, nil
	}
	if err != nil {
		return ChangeRequest{}, err
	}
	return c.changeRequest(env, out), nil
}

// AwaitChangeRequest reads the change request every interval until it is no longer pending
// (approved, committed or deleted) and returns it; seen is called with each reading, for progress.
// When ctx ends first it returns the last reading and ctx's error: the caller decides whether to
// end the run with the change request's link and resume later.
func (c *Client) AwaitChangeRequest(ctx context.Context, env Environment, id int, interval time.Duration, seen func(ChangeRequest)) (ChangeRequest, error) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var last ChangeRequest
	for {
		cr, err := c.ChangeRequest(ctx, env, id)
		if ctx.Err() != nil && last.ID != 0 {
			return last, ctx.Err()
		}
		if err != nil {
			return cr, err
		}
		if seen != nil {
			seen(cr)
		}
		if cr.State() != ChangeRequestPending {
			return cr, nil
		}
		last = cr
		select {
		case <-ctx.Done():
			return cr, ctx.Err()
		case <-ticker.C:
		}
	}
}

// CommitChangeRequest commits an approved change request, which changes the flag; one already
// committed is success. One that lacks approvals or was deleted is a *NotApprovedError and is not
// sent: the client never approves, and never commits what reviewers have not approved.
func (c *Client) CommitChangeRequest(ctx context.Context, env Environment, id int) (ChangeRequest, error) {
	cr, err := c.ChangeRequest(ctx, env, id)
	if err != nil {
		return cr, err
	}
	switch cr.State() {
	case ChangeRequestCommitted:
		return cr, nil
	case ChangeRequestPending, ChangeRequestDeleted:
		return cr, &NotApprovedError{cr}
	}
	var out crRead
	err = c.do(ctx, http.MethodPost, changeRequestPath(id)+"commit/", nil, &out)
	// The committed feature states are new objects: what the stable endpoints remember is stale.
	c.forgetEnvironment(env)
	if err != nil {
		return cr, err
	}
	return c.changeRequest(env, out), nil
}

func (c *Client) forgetEnvironment(env Environment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.stable {
		if k.env == env.ID {
			delete(c.stable, k)
		}
	}
}

func (c *Client) changeRequest(env Environment, r crRead) ChangeRequest {
	return ChangeRequest{ID: r.ID, Title: r.Title, URL: c.ChangeRequestURL(env, r.ID), Environment: env.ID, Required: deref(env.ChangeRequestApprovals),
		Approvals: r.Approvals, CommittedAt: r.CommittedAt, CommittedBy: r.CommittedBy, Deleted: r.DeletedAt != nil}
}

// ChangeRequestURL is the dashboard page of a change request, as Flagsmith's ChangeRequest.url
// makes it: <site>/project/<id>/environment/<key>/change-requests/<id>. The site is
// app.flagsmith.com for api.flagsmith.com, the dashboard set WithDashboardURL, or else the API's
// own host, where a self-hosted Flagsmith serves both.
func (c *Client) ChangeRequestURL(env Environment, id int) string {
	site := c.dashboard
	if site == "" {
		u := *c.base
		u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v1")
		u.RawQuery, u.Fragment = "", ""
		if u.Host == "api.flagsmith.com" {
			u.Host, u.Path = "app.flagsmith.com", ""
		}
		site = u.String()
	}
	return strings.TrimSuffix(site, "/") + "/project/" + strconv.Itoa(env.Project) + "/environment/" + url.PathEscape(env.APIKey) +
		"/change-requests/" + strconv.Itoa(id)
}

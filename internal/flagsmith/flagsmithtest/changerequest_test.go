package flagsmithtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// callAs sends one request as the user of token (DRF's "Authorization: Token …").
func callAs(t *testing.T, f *Fake, token, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, strings.TrimSuffix(f.URL, "/api/v1/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token "+token)
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

// The change-request operations as workflows/core/models.py and core/workflows_services.py
// decide: approvals by users other than the author, no commit before enough approvals, a
// committed one cannot be deleted, a deleted one is gone; the committed default is a new feature
// state. Every exchange is checked against the document.
func TestFake_ChangeRequests(t *testing.T) {
	t.Parallel()
	w := newWorld(t, false)
	f := w.f
	f.RequireChangeRequests("prodKey", 1)
	author, _ := f.AddUser("author")
	reviewer, reviewerID := f.AddUser("reviewer")
	feature := strconv.Itoa(w.feature)
	create := "/api/v1/environments/prodKey/create-change-request/"
	body := `{"title":"on","feature_states":[{"feature":` + feature + `,"feature_segment":null,"enabled":true,"feature_state_value":{"type":"unicode","string_value":"v"}}]}`

	if code, body := call(t, f, http.MethodPost, create, `{"title":"x","feature_states":[],"change_sets":[{"feature":`+feature+
		`,"feature_states_to_create":[],"feature_states_to_update":[],"segment_ids_to_delete_overrides":[]}]}`); code != 400 {
		t.Errorf("change sets in an unversioned environment: %d %s", code, body)
	}
	if code, body := call(t, f, http.MethodPost, create, `{"title":"x","feature_states":[{"feature":`+feature+`,"feature_segment":9999,"enabled":true}]}`); code != 400 || !strings.Contains(body, "does not exist") {
		t.Errorf("an unknown feature segment: %d %s", code, body)
	}
	code, out := callAs(t, f, author, http.MethodPost, create, body)
	var cr struct {
		ID   int  `json:"id"`
		User *int `json:"user"`
	}
	if err := json.Unmarshal([]byte(out), &cr); code != 201 || err != nil || cr.User == nil {
		t.Fatalf("create: %d %s", code, out)
	}
	path := "/api/v1/features/workflows/change-requests/" + strconv.Itoa(cr.ID) + "/"
	if code, out := call(t, f, http.MethodPost, path+"commit/", ""); code != 400 || !strings.Contains(out, `"message":"Change request has not been approved by all required approvers."`) {
		t.Errorf("commit before approval: %d %s", code, out)
	}
	if code, out := callAs(t, f, author, http.MethodPost, path+"approve/", ""); code != 400 || !strings.Contains(out, "cannot approve their own") {
		t.Errorf("the author approves: %d %s", code, out)
	}
	if code, out := call(t, f, http.MethodPost, path+"approve/", ""); code != 403 {
		t.Errorf("the API key approves: %d %s", code, out)
	}
	if code, out := callAs(t, f, "nobody", http.MethodPost, path+"approve/", ""); code != 401 {
		t.Errorf("an unknown token: %d %s", code, out)
	}
	if f.State("prodKey", w.feature).Default.Enabled {
		t.Fatal("the flag changed before the change request was committed")
	}
	if code, out := callAs(t, f, reviewer, http.MethodPost, path+"approve/", ""); code != 200 || !strings.Contains(out, `"user":`+strconv.Itoa(reviewerID)) {
		t.Fatalf("approve: %d %s", code, out)
	}
	_, before := call(t, f, http.MethodGet, w.statesQuery, "")
	if code, out := call(t, f, http.MethodPost, path+"commit/", ""); code != 200 || !strings.Contains(out, `"committed_at":"`) {
		t.Fatalf("commit: %d %s", code, out)
	}
	st := f.State("prodKey", w.feature)
	if !st.Default.Enabled || st.Default.Value == nil || st.Default.Value.Value != "v" {
		t.Errorf("flag after commit = %+v", st)
	}
	if _, after := call(t, f, http.MethodGet, w.statesQuery, ""); after == before {
		t.Errorf("featurestates after commit = %s: want the change request's feature state live, a new id", after)
	}
	if code, out := call(t, f, http.MethodDelete, path, ""); code != 400 || !strings.Contains(out, "has been committed") {
		t.Errorf("delete a committed change request: %d %s", code, out)
	}

	_, out = call(t, f, http.MethodPost, create, body)
	_ = json.Unmarshal([]byte(out), &cr)
	path = "/api/v1/features/workflows/change-requests/" + strconv.Itoa(cr.ID) + "/"
	if code, _ := callAs(t, f, reviewer, http.MethodDelete, path, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	for _, m := range [][2]string{{http.MethodGet, path}, {http.MethodPost, path + "commit/"}, {http.MethodPost, path + "approve/"}} {
		if code, _ := callAs(t, f, reviewer, m[0], m[1], ""); code != 404 {
			t.Errorf("%s %s of a deleted change request: %d, want 404", m[0], m[1], code)
		}
	}
}

// A versioned environment's change request carries change sets; feature states are refused.
func TestFake_ChangeRequestsVersioned(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	f := w.f
	create := "/api/v1/environments/prodKey/create-change-request/"
	feature := strconv.Itoa(w.feature)
	if code, out := call(t, f, http.MethodPost, create, `{"title":"x","feature_states":[{"feature":`+feature+`,"enabled":true}]}`); code != 400 {
		t.Errorf("feature states in a versioned environment: %d %s", code, out)
	}
	code, out := call(t, f, http.MethodPost, create, `{"title":"x","feature_states":[],"change_sets":[{"feature":`+feature+
		`,"feature_states_to_create":[{"enabled":true,"feature_state_value":{"type":"unicode"},"feature_segment":{"segment":`+strconv.Itoa(w.segment)+`,"priority":0}}],`+
		`"feature_states_to_update":[],"segment_ids_to_delete_overrides":[]}]}`)
	var cr struct{ ID int }
	if err := json.Unmarshal([]byte(out), &cr); code != 201 || err != nil {
		t.Fatalf("create: %d %s", code, out)
	}
	// No approvals required: Flagsmith's is_approved holds when minimum_change_request_approvals is null.
	if code, out := call(t, f, http.MethodPost, "/api/v1/features/workflows/change-requests/"+strconv.Itoa(cr.ID)+"/commit/", ""); code != 200 {
		t.Fatalf("commit: %d %s", code, out)
	}
	if st := f.State("prodKey", w.feature); len(st.Overrides) != 1 || f.Versions("prodKey", w.feature) != 1 {
		t.Errorf("flag = %+v, versions %d", st, f.Versions("prodKey", w.feature))
	}
}

package flagsmith_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slipway-actions/slipway/internal/flagsmith"
	"github.com/slipway-actions/slipway/internal/flagsmith/flagsmithtest"
)

// review sends a reviewer's request to the fake with the reviewer's user token, as the dashboard
// does (not through the client under test, which never approves).
func review(t *testing.T, f *flagsmithtest.Fake, token, method string, id int, action string) int {
	t.Helper()
	req, err := http.NewRequest(method, f.URL+"features/workflows/change-requests/"+strconv.Itoa(id)+"/"+action, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// crWorld is an environment that requires two approvals, with flag "x" served by its default
// and an override of segment "rollout".
type crWorld struct {
	f        *flagsmithtest.Fake
	c        *flagsmith.Client
	k        *flagsmithtest.Checker
	env      flagsmith.Environment
	id, seg  int
	reviewer [2]string
	users    [2]int
}

func newCRWorld(t *testing.T, versioned bool) *crWorld {
	f := flagsmithtest.New(t)
	p := f.AddProject("web")
	f.AddEnvironment(p, "Production", "prodKey", versioned)
	f.RequireChangeRequests("prodKey", 2)
	w := &crWorld{f: f, id: f.AddFeature(p, "x", false)}
	w.seg = f.AddSegment(flagsmith.Segment{Name: "rollout", Project: p, Rules: percent("5")})
	f.SetState("prodKey", w.id, flagsmith.FeatureState{Overrides: []flagsmith.SegmentOverride{{SegmentID: w.seg, FlagValue: flagsmith.FlagValue{Enabled: true}}}})
	for i := range w.reviewer {
		w.reviewer[i], w.users[i] = f.AddUser("reviewer" + strconv.Itoa(i))
	}
	w.c, w.k = checked(t, f.URL, f.Key)
	env, err := w.c.Environment(context.Background(), p, "Production")
	if err != nil || !env.RequiresChangeRequests() {
		t.Fatalf("Environment = %+v, %v; want it to require change requests", env, err)
	}
	w.env = env
	return w
}

// A change request changes nothing until two other users approve it; the client reads who
// approved, refuses to commit before, commits after, and the flag then serves the change.
func TestChangeRequest_ApprovedByOthersThenCommitted(t *testing.T) {
	t.Parallel()
	for _, versioned := range []bool{false, true} {
		t.Run(map[bool]string{false: "unversioned", true: "versioning v2"}[versioned], func(t *testing.T) {
			t.Parallel()
			w := newCRWorld(t, versioned)
			ctx := context.Background()
			green := &flagsmith.Value{Type: flagsmith.TypeString, Value: "green"}
			ch := flagsmith.FeatureChange{Default: &flagsmith.FlagValue{Enabled: true, Value: green},
				Set: []flagsmith.SegmentOverride{{SegmentID: w.seg, FlagValue: flagsmith.FlagValue{Enabled: false}}}}
			before := w.f.State("prodKey", w.id)
			cr, err := w.c.CreateChangeRequest(ctx, w.env, w.id, ch, "flag-rollout x: finalize", "by slipway")
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(w.f.URL, "/api/v1/") + "/project/" + strconv.Itoa(w.env.Project) + "/environment/prodKey/change-requests/" + strconv.Itoa(cr.ID); cr.URL != want || cr.Title != "flag-rollout x: finalize" {
				t.Errorf("created %+v, want URL %s", cr, want)
			}
			if cr.State() != flagsmith.ChangeRequestPending || !reflect.DeepEqual(w.f.State("prodKey", w.id), before) {
				t.Fatalf("after create: %s, flag %+v; want pending and unchanged", cr.State(), w.f.State("prodKey", w.id))
			}

			if code := review(t, w.f, w.reviewer[0], http.MethodPost, cr.ID, "approve/"); code != 200 {
				t.Fatalf("approve: %d", code)
			}
			var na *flagsmith.NotApprovedError
			if _, err := w.c.CommitChangeRequest(ctx, w.env, cr.ID); !errors.As(err, &na) || !strings.Contains(err.Error(), "has 1 of the 2 approvals") {
				t.Fatalf("commit with one approval: %v", err)
			}
			if slices.ContainsFunc(w.f.Requests(), func(r flagsmithtest.Request) bool { return strings.HasSuffix(r.Path, "/commit/") }) {
				t.Error("the client asked to commit a change request that lacks approvals")
			}
			if code := review(t, w.f, w.reviewer[1], http.MethodPost, cr.ID, "approve/"); code != 200 {
				t.Fatalf("approve: %d", code)
			}
			if cr, err = w.c.ChangeRequest(ctx, w.env, cr.ID); err != nil || cr.State() != flagsmith.ChangeRequestApproved || !reflect.DeepEqual(cr.ApprovedBy(), w.users[:]) {
				t.Fatalf("ChangeRequest = %+v (%s), %v; want approved by %v", cr, cr.State(), err, w.users)
			}
			if !reflect.DeepEqual(w.f.State("prodKey", w.id), before) {
				t.Fatal("approving changed the flag")
			}

			if cr, err = w.c.CommitChangeRequest(ctx, w.env, cr.ID); err != nil || cr.State() != flagsmith.ChangeRequestCommitted {
				t.Fatalf("CommitChangeRequest = %+v, %v", cr, err)
			}
			want := flagsmith.FeatureState{Default: flagsmith.FlagValue{Enabled: true, Value: green},
				Overrides: []flagsmith.SegmentOverride{{SegmentID: w.seg, FlagValue: flagsmith.FlagValue{Enabled: false}}}}
			if got := w.f.State("prodKey", w.id); !reflect.DeepEqual(got, want) {
				t.Errorf("flag after commit = %+v, want %+v", got, want)
			}
			if got, err := w.c.ReadFeature(ctx, w.env, w.id); err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("ReadFeature after commit = %+v, %v", got, err)
			}
			if cr, err = w.c.CommitChangeRequest(ctx, w.env, cr.ID); err != nil || cr.State() != flagsmith.ChangeRequestCommitted {
				t.Errorf("committing again = %+v, %v; want the committed request", cr, err)
			}
			if ops := w.k.Operations(); slices.Contains(ops, "api_v1_features_workflows_change_requests_approve_create") ||
				!slices.Contains(ops, "create_environment_feature_change_request") || !slices.Contains(ops, "api_v1_features_workflows_change_requests_commit_create") {
				t.Errorf("the client's operations = %q: want create and commit, never approve", ops)
			}
		})
	}
}

// In a versioned environment a change request carries the whole change, overrides created and
// removed included.
func TestChangeRequest_VersionedCarriesNewAndRemovedOverrides(t *testing.T) {
	t.Parallel()
	w := newCRWorld(t, true)
	ctx := context.Background()
	next := w.f.AddSegment(flagsmith.Segment{Name: "rollout-25", Project: w.env.Project, Rules: percent("25")})
	ch := flagsmith.FeatureChange{Set: []flagsmith.SegmentOverride{{SegmentID: next, Priority: 0, FlagValue: flagsmith.FlagValue{Enabled: true}}}, Remove: []int{w.seg}}
	cr, err := w.c.CreateChangeRequest(ctx, w.env, w.id, ch, "flag-rollout x: 25%", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range w.reviewer {
		review(t, w.f, token, http.MethodPost, cr.ID, "approve/")
	}
	if _, err := w.c.CommitChangeRequest(ctx, w.env, cr.ID); err != nil {
		t.Fatal(err)
	}
	if got := w.f.State("prodKey", w.id); len(got.Overrides) != 1 || got.Overrides[0].SegmentID != next || !got.Overrides[0].Enabled || w.f.Versions("prodKey", w.id) != 1 {
		t.Errorf("flag = %+v, versions %d; want only the new override, in one new version", got, w.f.Versions("prodKey", w.id))
	}
}

// A change request a reviewer deleted (Flagsmith's way to reject one) reads as deleted, and the
// client never commits it; the flag stays as it was.
func TestChangeRequest_DeletedIsReportedNotCommitted(t *testing.T) {
	t.Parallel()
	for _, versioned := range []bool{false, true} {
		t.Run(map[bool]string{false: "unversioned", true: "versioning v2"}[versioned], func(t *testing.T) {
			t.Parallel()
			w := newCRWorld(t, versioned)
			ctx := context.Background()
			before := w.f.State("prodKey", w.id)
			cr, err := w.c.CreateChangeRequest(ctx, w.env, w.id, flagsmith.FeatureChange{Default: &flagsmith.FlagValue{Enabled: true}}, "flag-rollout x: finalize", "")
			if err != nil {
				t.Fatal(err)
			}
			review(t, w.f, w.reviewer[0], http.MethodPost, cr.ID, "approve/")
			if code := review(t, w.f, w.reviewer[1], http.MethodDelete, cr.ID, ""); code != 204 {
				t.Fatalf("delete: %d", code)
			}
			got, err := w.c.ChangeRequest(ctx, w.env, cr.ID)
			if err != nil || got.State() != flagsmith.ChangeRequestDeleted || got.URL != cr.URL {
				t.Fatalf("ChangeRequest = %+v (%s), %v; want deleted", got, got.State(), err)
			}
			var na *flagsmith.NotApprovedError
			if _, err := w.c.CommitChangeRequest(ctx, w.env, cr.ID); !errors.As(err, &na) || !strings.Contains(err.Error(), "was deleted") {
				t.Errorf("committing a deleted change request: %v", err)
			}
			if !reflect.DeepEqual(w.f.State("prodKey", w.id), before) {
				t.Errorf("flag = %+v, want unchanged", w.f.State("prodKey", w.id))
			}
		})
	}
}

// Without feature versioning v2 a change request carries feature states only: creating or
// removing an override is refused before anything is sent.
func TestChangeRequest_UnversionedCannotCreateOrRemoveAnOverride(t *testing.T) {
	t.Parallel()
	w := newCRWorld(t, false)
	other := w.f.AddSegment(flagsmith.Segment{Name: "other", Project: w.env.Project, Rules: percent("5")})
	for _, ch := range []flagsmith.FeatureChange{
		{Set: []flagsmith.SegmentOverride{{SegmentID: other, FlagValue: flagsmith.FlagValue{Enabled: true}}}},
		{Remove: []int{w.seg}},
	} {
		_, err := w.c.CreateChangeRequest(context.Background(), w.env, w.id, ch, "t", "")
		if err == nil || !strings.Contains(err.Error(), "feature versioning v2") {
			t.Errorf("CreateChangeRequest(%+v) = %v", ch, err)
		}
	}
	if len(w.f.Writes()) != 0 || len(w.f.ChangeRequestIDs()) != 0 {
		t.Errorf("writes %+v", w.f.Writes())
	}
}

func TestChangeRequestURL_PointsAtTheDashboard(t *testing.T) {
	t.Parallel()
	env := flagsmith.Environment{Project: 7, APIKey: "k1"}
	for api, want := range map[string]string{
		"https://api.flagsmith.com/api/v1/":           "https://app.flagsmith.com/project/7/environment/k1/change-requests/3",
		"https://flags.example.com/api/v1/":           "https://flags.example.com/project/7/environment/k1/change-requests/3",
		"https://example.com/flagsmith/api/v1":        "https://example.com/flagsmith/project/7/environment/k1/change-requests/3",
		"https://api.flagsmith.com/api/v1/|dashboard": "https://fs.example.com/project/7/environment/k1/change-requests/3",
	} {
		base, dashboard, _ := strings.Cut(api, "|")
		var opts []flagsmith.Option
		if dashboard != "" {
			opts = append(opts, flagsmith.WithDashboardURL("https://fs.example.com/"))
		}
		c, err := flagsmith.New(base, "k", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ChangeRequestURL(env, 3); got != want {
			t.Errorf("%s: %s, want %s", api, got, want)
		}
	}
}

// AwaitChangeRequest reads until reviewers act: here the second reviewer approves when the client
// has seen one approval, and the wait ends at the next reading.
func TestAwaitChangeRequest_EndsWhenApproved(t *testing.T) {
	t.Parallel()
	w := newCRWorld(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cr, err := w.c.CreateChangeRequest(ctx, w.env, w.id, flagsmith.FeatureChange{Default: &flagsmith.FlagValue{Enabled: true}}, "t", "")
	if err != nil {
		t.Fatal(err)
	}
	var readings []int
	got, err := w.c.AwaitChangeRequest(ctx, w.env, cr.ID, time.Millisecond, func(cr flagsmith.ChangeRequest) {
		if readings = append(readings, len(cr.ApprovedBy())); len(readings) > 10 {
			cancel() // it should have ended at the fourth
		}
		if n := len(cr.ApprovedBy()); n < 2 && len(readings) > 1 {
			review(t, w.f, w.reviewer[n], http.MethodPost, cr.ID, "approve/")
		}
	})
	if err != nil || got.State() != flagsmith.ChangeRequestApproved || !reflect.DeepEqual(readings, []int{0, 0, 1, 2}) {
		t.Errorf("AwaitChangeRequest = %s, %v after readings %v", got.State(), err, readings)
	}
	if w.f.State("prodKey", w.id).Default.Enabled {
		t.Error("waiting committed the change request")
	}
}

// A deleted change request ends the wait, and a cancelled context ends it with the last reading.
func TestAwaitChangeRequest_EndsWhenDeletedOrCancelled(t *testing.T) {
	t.Parallel()
	w := newCRWorld(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cr, err := w.c.CreateChangeRequest(ctx, w.env, w.id, flagsmith.FeatureChange{Default: &flagsmith.FlagValue{Enabled: true}}, "t", "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.c.AwaitChangeRequest(ctx, w.env, cr.ID, time.Millisecond, func(flagsmith.ChangeRequest) { cancel() })
	if !errors.Is(err, context.Canceled) || got.ID != cr.ID || got.State() != flagsmith.ChangeRequestPending {
		t.Errorf("cancelled: %+v, %v", got, err)
	}
	review(t, w.f, w.reviewer[0], http.MethodDelete, cr.ID, "")
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	readings := 0
	got, err = w.c.AwaitChangeRequest(ctx, w.env, cr.ID, time.Millisecond, func(flagsmith.ChangeRequest) {
		if readings++; readings > 1 {
			cancel()
		}
	})
	if err != nil || got.State() != flagsmith.ChangeRequestDeleted || readings != 1 {
		t.Errorf("deleted: %s, %v after %d readings", got.State(), err, readings)
	}
}

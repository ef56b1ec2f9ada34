package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/slipway-actions/slipway/internal/github/githubtest"
)

func TestDeployment_RecordsInProgressThenSuccess(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer ghs_token123" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/api/v3/repos/acme/web/deployments":
			got = append(got, "deployment "+body["ref"].(string)+" "+body["environment"].(string)+" "+fmt.Sprint(body["required_contexts"]))
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id": 42}`))
		case r.Method == http.MethodPost && r.URL.Path == "/api/v3/repos/acme/web/deployments/42/statuses":
			s := "status " + body["state"].(string)
			if u, ok := body["environment_url"].(string); ok {
				s += " " + u
			}
			s += " " + body["log_url"].(string)
			got = append(got, s)
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"id": 1}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	env := map[string]string{"GITHUB_API_URL": srv.URL + "/api/v3", "GITHUB_REPOSITORY": "acme/web", "GITHUB_SHA": "abc123",
		"GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "77"}
	run := RunFromEnv(func(k string) string { return env[k] })
	c, err := NewClient(nil, "ghs_token123", run)
	if err != nil {
		t.Fatal(err)
	}
	d, err := StartDeployment(context.Background(), c, run, "staging", "api, worker")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Finish(context.Background(), true, "https://staging.example", "deployed"); err != nil {
		t.Fatal(err)
	}
	want := []string{"deployment abc123 staging []", "status in_progress https://github.example/acme/web/actions/runs/77",
		"status success https://staging.example https://github.example/acme/web/actions/runs/77"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("requests:\n%q\nwant\n%q", got, want)
	}
}

func TestDeployment_ProgressAddsAnInProgressStatusPerStep(t *testing.T) {
	t.Parallel()
	fake := githubtest.New(t)
	fake.Token = "ghs_token123"
	run := Run{APIURL: fake.URL, Repository: "acme/web", SHA: "abc123", LogURL: "https://github.example/acme/web/actions/runs/77"}
	c, err := NewClient(nil, "ghs_token123", run)
	if err != nil {
		t.Fatal(err)
	}
	d, err := StartDeployment(context.Background(), c, run, "Production", "flag-rollout of new-checkout")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"step 5%: in place", "step 25%: in place"} {
		if err := d.Progress(context.Background(), step); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Finish(context.Background(), true, "", "25% live"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range fake.Deployments() {
		for _, s := range d.Statuses {
			got = append(got, d.Environment+" "+s.State+" "+s.Description)
		}
	}
	want := []string{"Production in_progress flag-rollout of new-checkout", "Production in_progress step 5%: in place",
		"Production in_progress step 25%: in place", "Production success 25% live"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("statuses:\n%q\nwant\n%q", got, want)
	}
}

package ecsdeploy

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

func TestMain(m *testing.M) { os.Exit(actiontest.MainAsAction(m, Main)) }

func TestAction_Contract(t *testing.T) {
	t.Parallel()
	actiontest.CheckAction(t, actiontest.ActionSpec{
		Name: "ecs-deploy", YAML: actionYML, Main: Main,
		Parse:     func(k *actionkit.Kit) error { _, err := parseConfig(k); return err },
		BadInputs: map[string]string{"poll-interval": "0s", "migration-container": "api", "keep-revisions": "x", "version": "1.2", "scheduled-tasks": "sometimes"},
		WantErrors: []string{
			`input "cluster" is required`,
			`input "services": is required to deploy`,
			`input "poll-interval": must be more than 0`,
			`input "migration-container": migration-container and migration-command go together`,
			`input "keep-revisions": "x" is not a whole number`,
			`input "version": "1.2" is not a release version`,
			`input "scheduled-tasks": "sometimes" is not one of follow, leave`,
		},
		Secrets:   map[string]string{"github-token": "ghs_secretsecretsecret42"},
		SecretEnv: []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"},
		// ECS with the service to deploy, and GitHub's Deployments API for the token.
		Fakes: func(t *testing.T, r *actiontest.Runner, fakes *actiontest.Fakes) map[string]string {
			f := ecstest.New(t)
			f.AddService("api", apiTD, 2)
			r.Env["AWS_ENDPOINT_URL"] = fakes.HTTP(t, "the fake ECS", f.URL)
			r.Env["AWS_REGION"] = "eu-west-2"
			r.Env["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE"
			r.Env["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
			r.Env["AWS_SESSION_TOKEN"] = "FwoGZXIvYXdzEXAMPLE/session+token=="
			r.Env["AWS_CONFIG_FILE"] = filepath.Join(t.TempDir(), "none")
			r.Env["AWS_SHARED_CREDENTIALS_FILE"] = filepath.Join(t.TempDir(), "none")
			r.Env["AWS_EC2_METADATA_DISABLED"] = "true"
			r.Env["GITHUB_API_URL"] = fakes.HTTP(t, "the fake GitHub API", deploymentsAPI(t).URL) + "/api/v3"
			r.Env["GITHUB_REPOSITORY"], r.Env["GITHUB_SHA"] = "acme/web", "abc"
			if err := os.WriteFile(filepath.Join(r.Env["GITHUB_WORKSPACE"], "api.json"), []byte(apiTD), 0o644); err != nil {
				t.Fatal(err)
			}
			return map[string]string{"cluster": "main", "services": "api=api.json", "poll-interval": "1ms",
				"images": "api=acme/api:2.0.0", "environment-url": "https://staging.example",
				"verify": "false", "scheduled-tasks": "leave"} // the fake speaks ECS only
		},
	})
}

// deploymentsAPI answers GitHub's create-deployment and create-deployment-status calls as GitHub
// does (201 with the new object's id):
// https://docs.github.com/en/rest/deployments/deployments#create-a-deployment
func deploymentsAPI(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id": 7}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

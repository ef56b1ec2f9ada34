package githubtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Deployments fakes GitHub's Deployments REST API for acme/web under /api/v3, as its reference
// describes it (https://docs.github.com/en/rest/deployments/deployments#create-a-deployment and
// https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status): a deployment
// needs a ref and gets an id (201); a status needs one of GitHub's states, belongs to an existing
// deployment (404 otherwise) and is answered 201. It keeps what it was sent.
type Deployments struct {
	mu          sync.Mutex
	Deployments []map[string]any // as created, with their id
	Statuses    []Status
}

// Status is one deployment status as sent.
type Status struct {
	Deployment                      int64
	State, Description, Environment string
	LogURL                          string
}

// deploymentStates are the states GitHub takes for a deployment status.
var deploymentStates = []string{"error", "failure", "inactive", "in_progress", "queued", "pending", "success"}

func (f *Deployments) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	const base = "/api/v3/repos/acme/web/deployments"
	var body map[string]any
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&body) != nil {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	switch {
	case r.URL.Path == base:
		if ref, _ := body["ref"].(string); ref == "" {
			w.WriteHeader(http.StatusUnprocessableEntity)
			_, _ = w.Write([]byte(`{"message": "Invalid request.\n\n\"ref\" wasn't supplied."}`))
			return
		}
		body["id"] = len(f.Deployments) + 1
		f.Deployments = append(f.Deployments, body)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(body)
	case strings.HasPrefix(r.URL.Path, base+"/") && strings.HasSuffix(r.URL.Path, "/statuses"):
		id, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, base+"/"), "/statuses"))
		state, _ := body["state"].(string)
		switch {
		case err != nil || id < 1 || id > len(f.Deployments):
			w.WriteHeader(http.StatusNotFound)
			return
		case !contains(deploymentStates, state):
			w.WriteHeader(http.StatusUnprocessableEntity)
			return
		}
		desc, _ := body["description"].(string)
		logURL, _ := body["log_url"].(string)
		env, _ := f.Deployments[id-1]["environment"].(string)
		f.Statuses = append(f.Statuses, Status{Deployment: int64(id), State: state, Description: desc, Environment: env, LogURL: logURL})
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": len(f.Statuses), "state": state})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// Snapshot returns the statuses sent so far.
func (f *Deployments) Snapshot() []Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Status(nil), f.Statuses...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

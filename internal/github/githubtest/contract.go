package githubtest

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/slipway-actions/slipway/internal/contract"
)

// SourceCommit is the commit of github/rest-api-description whose
// descriptions/api.github.com/api.github.com.yaml the contract is copied from.
const SourceCommit = "0000036e42b5e7121c2b1ac244cb7bba1d2f3914"

// contractYAML is the part of GitHub's REST API description that slipway calls; its header says
// where it comes from and what was left out.
//
//go:embed testdata/github-openapi.yaml
var contractYAML []byte

// Contract is GitHub's OpenAPI description, loaded and validated by kin-openapi, with a router that
// finds an exchange's operation by method and path under the API's root (api.github.com's /, or
// GitHub Enterprise Server's /api/v3: the fakes cut the root off the path before checking).
type Contract = contract.Document

// Checker checks exchanges against the contract, reports what the description does not allow and
// remembers which operations it saw.
type Checker = contract.Checker

// vendor is how GitHub's description is checked. It does not list every error an operation can
// answer (checks/create lists no 403), so an unlisted status is checked only by the fake
// (checkBasicError). A request it does not allow is answered 422, as GitHub answers a body it
// cannot process. Credentials are the fake's to check (Bearer or token).
var vendor = contract.Vendor{
	Name:     "github",
	API:      "GitHub's REST API",
	Document: "GitHub's REST API description",
	Refuse: func(w http.ResponseWriter) {
		reply(w, http.StatusUnprocessableEntity, map[string]any{"message": "Invalid request.", "documentation_url": "https://docs.github.com/rest"})
	},
}

// LoadContract returns the contract in testdata; it is loaded once.
var LoadContract = sync.OnceValues(func() (*Contract, error) {
	return contract.Load(contractYAML, vendor)
})

// NewChecker returns a Checker that calls report with every violation (t.Error, in a test).
func NewChecker(report func(error)) (*Checker, error) {
	c, err := LoadContract()
	if err != nil {
		return nil, err
	}
	return contract.NewChecker(c, report), nil
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

package flagsmithtest

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/slipway-actions/slipway/internal/contract"
)

// SourceCommit is the commit of Flagsmith/flagsmith whose openapi.yaml the contract is copied from.
const SourceCommit = "1ad8487ba7aabedd3cdfbcf3e7d772784d3e1aae"

// contractYAML is the part of Flagsmith's OpenAPI document that slipway calls; its header says
// where it comes from and how it was converted.
//
//go:embed testdata/flagsmith-openapi.yaml
var contractYAML []byte

// Contract is Flagsmith's OpenAPI document, loaded and validated by kin-openapi, with a router
// that finds an exchange's operation by method and path (on any host).
type Contract = contract.Document

// Checker checks exchanges against the contract, reports what the document does not allow and
// remembers which operations it saw.
type Checker = contract.Checker

// vendor is how Flagsmith's document is checked: credentials by its security schemes, only
// successes (the document describes no error answers), each with a status the operation lists;
// a request it does not allow is answered 400, as Flagsmith's serializers would.
var vendor = contract.Vendor{
	Name:          "flagsmith",
	API:           "Flagsmith's API",
	Document:      "Flagsmith's OpenAPI document",
	Authenticate:  authenticate,
	SuccessesOnly: true,
	ListedStatus:  true,
	Refuse: func(w http.ResponseWriter) {
		reply(w, http.StatusBadRequest, map[string][]string{"non_field_errors": {"The request is not what Flagsmith's OpenAPI document allows."}})
	},
}

// LoadContract returns the contract in testdata; it is loaded once.
var LoadContract = sync.OnceValues(func() (*Contract, error) {
	return parseContract(contractYAML)
})

func parseContract(data []byte) (*Contract, error) { return contract.Load(data, vendor) }

// authenticate checks the credentials' form for the operation's security schemes: an
// Organisation ("Master") API key is "Authorization: Api-Key <key>", a user token "Token <token>".
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	prefix := map[string]string{"Master-API-Key": "Api-Key ", "tokenAuth": "Token "}[in.SecuritySchemeName]
	if prefix == "" || !strings.HasPrefix(h, prefix) || len(h) == len(prefix) {
		return fmt.Errorf("no %q credentials", in.SecuritySchemeName)
	}
	return nil
}

// NewChecker returns a Checker that calls report with every violation (t.Error, in a test).
func NewChecker(report func(error)) (*Checker, error) {
	c, err := LoadContract()
	if err != nil {
		return nil, err
	}
	return contract.NewChecker(c, report), nil
}

package contract_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/slipway-actions/slipway/internal/contract"
)

const doc = `openapi: 3.0.3
info: {title: things, version: v1}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: Authorization}
security: [{key: []}]
paths:
  /things/:
    post:
      operationId: things_create
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: integer}}}
`

// exchange is one request to a fake behind Checker.Handler and the answer the fake gives.
type exchange struct {
	path, auth, body string
	status           int
	answer           string
}

func (e exchange) serve(t *testing.T, v contract.Vendor) (reports []string, reached bool, k *contract.Checker, code int) {
	t.Helper()
	if e.status == 0 { // an answer the document allows, for a request the fake should never see
		e.status, e.answer = http.StatusCreated, `{"id":1}`
	}
	d, err := contract.Load([]byte(doc), v)
	if err != nil {
		t.Fatal(err)
	}
	k = contract.NewChecker(d, func(err error) { reports = append(reports, err.Error()) })
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		_, _ = w.Write([]byte(e.answer))
	})
	req := httptest.NewRequest(http.MethodPost, "http://vendor.internal"+e.path, strings.NewReader(e.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", e.auth)
	rec := httptest.NewRecorder()
	k.Handler(next).ServeHTTP(rec, req)
	return reports, reached, k, rec.Code
}

func vendor() contract.Vendor {
	return contract.Vendor{Name: "things", API: "the Things API", Document: "the Things document",
		Authenticate: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if in.RequestValidationInput.Request.Header.Get("Authorization") != "Key k" {
				return errors.New("no key")
			}
			return nil
		},
		SuccessesOnly: true, ListedStatus: true,
		Refuse: func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) },
	}
}

func TestHandler_RefusesAndReportsWhatTheDocumentDoesNotAllow(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		e    exchange
		want string
	}{
		"no such operation": {exchange{path: "/widgets/", auth: "Key k", body: `{"name":"a"}`}, "the Things API has no such operation"},
		"body":              {exchange{path: "/things/", auth: "Key k", body: `{"name":1}`}, "the request is not what the Things document allows"},
		"credentials":       {exchange{path: "/things/", auth: "Bearer x", body: `{"name":"a"}`}, "the request is not what the Things document allows"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reports, reached, _, code := tc.e.serve(t, vendor())
			if len(reports) != 1 || !strings.Contains(reports[0], tc.want) {
				t.Errorf("reports = %q, want one with %q", reports, tc.want)
			}
			if reached || code != http.StatusTeapot {
				t.Errorf("reached the fake: %v, answered %d; want Vendor.Refuse's 418 instead", reached, code)
			}
		})
	}
}

func TestHandler_ChecksAnswersAsTheVendorSays(t *testing.T) {
	t.Parallel()
	good := exchange{path: "/things/", auth: "Key k", body: `{"name":"a"}`}
	for name, tc := range map[string]struct {
		status        int
		answer        string
		successesOnly bool
		listed        bool
		want          string // "": no report
	}{
		"allowed answer":                     {201, `{"id":1}`, true, true, ""},
		"body the schema refuses":            {201, `{"id":"one"}`, true, true, "the answer 201 is not what the Things document allows"},
		"unlisted success, ListedStatus":     {200, `{}`, true, true, "the answer 200 is not what"},
		"unlisted success, not ListedStatus": {200, `{}`, true, false, ""},
		"error, SuccessesOnly":               {500, `oops`, true, true, ""},
		"error, every status checked":        {500, `oops`, false, true, "the answer 500 is not what"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := vendor()
			v.SuccessesOnly, v.ListedStatus = tc.successesOnly, tc.listed
			e := good
			e.status, e.answer = tc.status, tc.answer
			reports, reached, k, code := e.serve(t, v)
			if !reached || code != tc.status {
				t.Errorf("reached the fake: %v, answered %d; want the fake's %d passed on", reached, code, tc.status)
			}
			if tc.want == "" && len(reports) > 0 || tc.want != "" && (len(reports) != 1 || !strings.Contains(reports[0], tc.want)) {
				t.Errorf("reports = %q, want %q", reports, tc.want)
			}
			if got := k.Operations(); !slices.Equal(got, []string{"things_create"}) {
				t.Errorf("Operations() = %q, want [things_create]", got)
			}
		})
	}
}

package awstest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/awstest"
)

func TestCalls_ReachedClosesAsTheNthCallArrives(t *testing.T) {
	t.Parallel()
	var c awstest.Calls
	second := c.Reached("Get", 2)
	c.Record("Get", map[string]any{"id": "a"})
	c.Record("Put", nil)
	select {
	case <-second:
		t.Fatal("Reached(Get, 2) closed after one Get")
	default:
	}
	c.Record("Get", map[string]any{"id": "b"})
	select {
	case <-second:
	default:
		t.Fatal("Reached(Get, 2) still open after two Gets")
	}
	select {
	case <-c.Reached("Put", 1): // already reached: closed at once
	default:
		t.Fatal("Reached(Put, 1) open after a Put")
	}
	var ids []any
	for _, call := range c.List("Get") {
		ids = append(ids, call.Input["id"])
	}
	if !slices.Equal(ids, []any{"a", "b"}) || c.Count("Get") != 2 || len(c.List()) != 3 || c.Counts()["Put"] != 1 {
		t.Errorf("List(Get) ids = %v, Count(Get) = %d, List() = %v, Counts() = %v", ids, c.Count("Get"), c.List(), c.Counts())
	}
}

// An AWS JSON 1.1 endpoint refuses an unsigned request with 403 and a body that is not JSON
// with a SerializationException (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html).
func TestReadCallAndSigned_AnswerAsAWSDoes(t *testing.T) {
	t.Parallel()
	serve := func(r *http.Request) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		if _, _, _, ok := awstest.ReadCall(w, r); ok && awstest.Signed(w, r) {
			awstest.JSONReply(w, map[string]any{})
		}
		return w
	}
	req := func(body, auth string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.ListTasks")
		r.Header.Set("Authorization", auth)
		return r
	}
	for name, tc := range map[string]struct {
		r      *http.Request
		status int
		want   string
	}{
		"signed":   {req(`{}`, "AWS4-HMAC-SHA256 Credential=x"), 200, "{}"},
		"unsigned": {req(`{}`, ""), 403, "MissingAuthenticationTokenException"},
		"not JSON": {req(`{`, "AWS4-HMAC-SHA256 Credential=x"), 400, "SerializationException"},
	} {
		w := serve(tc.r)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: answered %d %s, want %d with %q", name, w.Code, w.Body, tc.status, tc.want)
		}
	}
	if _, op, _, _ := awstest.ReadCall(httptest.NewRecorder(), req(`{}`, "")); op != "ListTasks" {
		t.Errorf("op = %q, want ListTasks", op)
	}
}

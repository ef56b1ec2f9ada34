package actiontest

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"testing"
)

// A secret is found however a program could have encoded it on the way out: in a Basic
// Authorization header or a docker config (base64 of user:secret, at any alignment), in a
// registry's X-Registry-Auth header (base64url of JSON), in a query string or a JSON document.
func TestLeakIn_FindsEncodedForms(t *testing.T) {
	t.Parallel()
	const secret = "pass/word+42=x&y"
	regAuth, _ := json.Marshal(map[string]string{"username": "bot", "password": secret})
	for _, text := range []string{
		"token " + secret,
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("bot:"+secret)),
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("b:"+secret)),
		"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("bo:"+secret)),
		"X-Registry-Auth: " + base64.URLEncoding.EncodeToString(regAuth),
		"GET /x?key=" + url.QueryEscape(secret),
		`{"note": "` + string(mustJSON(secret)) + `"}`,
	} {
		if leakIn(text, secret) == "" {
			t.Errorf("no form of the secret found in %q", text)
		}
	}
	if how := leakIn("Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte("bot:another-password")), secret); how != "" {
		t.Errorf("found the secret %s in a text without it", how)
	}
}

func mustJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}

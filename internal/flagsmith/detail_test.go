package flagsmith

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDRFDetail_Shapes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`{"detail":"Not found."}`:                                          "Not found.",
		`{"name":["This field is required."],"rules":["x"]}`:               "name: This field is required.; rules: x",
		`{"segment_overrides":[{"segment_id":["Segment 9 is unknown."]}]}`: "segment_overrides: {segment_id: Segment 9 is unknown.}",
		`["Feature versioning is not enabled."]`:                           "Feature versioning is not enabled.",
		`<html>Bad gateway</html>`:                                         "<html>Bad gateway</html>",
		"\n<!doctype html><html><head><title>Server Error (500)</title></head><body><h1>Server Error (500)</h1></body></html>": "Server Error (500) (an HTML page, not the API's answer)",
	} {
		if got := drfDetail([]byte(in)); got != want {
			t.Errorf("drfDetail(%s) = %q, want %q", in, got, want)
		}
	}
}

// Error bodies come from the network: any body gives a bounded, single-purpose string.
func FuzzDRFDetail(f *testing.F) {
	f.Add([]byte(`{"detail":"x"}`))
	f.Add([]byte(`{"a":[{"b":[1,null,{"c":"d"}]}]}`))
	f.Add([]byte(strings.Repeat("x", 300)))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := drfDetail(b)
		if !json.Valid(b) && len(got) > 200+len("…") {
			t.Errorf("a non-JSON body gave %d bytes of detail", len(got))
		}
	})
}

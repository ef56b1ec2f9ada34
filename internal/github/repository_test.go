package github

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"
)

func TestReadRepository_AllTagPagesAndLicence(t *testing.T) {
	t.Parallel()
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = append(auth, r.Header.Get("Authorization"))
		switch r.URL.Path {
		case "/api/v3/repos/acme/web":
			fmt.Fprint(w, `{"description":"The web platform","license":{"spdx_id":"Apache-2.0"}}`)
		case "/api/v3/repos/acme/web/tags":
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			if page == 0 {
				w.Header().Set("Link", fmt.Sprintf(`<%s/api/v3/repos/acme/web/tags?page=2&per_page=100>; rel="next"`, "http://"+r.Host))
				fmt.Fprint(w, `[{"name":"v1.0.0"},{"name":"v1.1.0"}]`)
				return
			}
			fmt.Fprint(w, `[{"name":"v2.0.0-rc.1"}]`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	run := Run{APIURL: srv.URL, Repository: "acme/web"}
	c, err := NewClient(nil, "ghs_token", run)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadRepository(context.Background(), c, run)
	if err != nil {
		t.Fatal(err)
	}
	want := Repository{Tags: []string{"v1.0.0", "v1.1.0", "v2.0.0-rc.1"}, Description: "The web platform", License: "Apache-2.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if auth[0] != "Bearer ghs_token" {
		t.Errorf("authorization %q", auth[0])
	}
}

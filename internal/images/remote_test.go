package images

import (
	"maps"
	"strings"
	"testing"
)

func TestParsePlatforms_NamesEveryUnknownPlatform(t *testing.T) {
	t.Parallel()
	got, err := ParsePlatforms([]string{"linux/amd64", " linux/arm64 ", "linux/amd64", "linux/sparc", "windows/amd64"})
	if err == nil || !strings.Contains(err.Error(), `"linux/sparc"`) || !strings.Contains(err.Error(), `"windows/amd64"`) {
		t.Errorf("err = %v, want both unknown platforms named", err)
	}
	if strings.Join(got, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("platforms = %v, want linux/amd64,linux/arm64 once each", got)
	}
}

func TestParseCache_RegistryExportIsOCIWithAnImageManifest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line   string
		export bool
		want   map[string]string
		err    string
	}{
		{line: "type=registry,ref=r.example/c:app,mode=max", export: true,
			want: map[string]string{"ref": "r.example/c:app", "mode": "max", "oci-mediatypes": "true", "image-manifest": "true"}},
		{line: "type=registry,ref=r.example/c:app", want: map[string]string{"ref": "r.example/c:app"}},
		{line: "type=registry,ref=r.example/c:app,image-manifest=false", export: true,
			want: map[string]string{"ref": "r.example/c:app", "mode": "min", "oci-mediatypes": "true", "image-manifest": "false"}},
		{line: "type=registry", err: "needs ref"},
		{line: "type=local,dest=/tmp/c", err: "type must be registry, gha or inline"},
		{line: "type=registry,ref=x,mode=all", export: true, err: "mode is min or max"},
	} {
		c, err := ParseCache(tc.line, tc.export)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil || c.Type != "registry" || !maps.Equal(c.Attrs, tc.want) {
			t.Errorf("%s: %+v, %v; want %v", tc.line, c, err, tc.want)
		}
	}
}

func TestPlatformCacheRef_KeepsEachPlatformsCacheApart(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]string{
		"r.example:5000/cache/app:main": "r.example:5000/cache/app:main-linux-arm64",
		"r.example:5000/cache/app":      "r.example:5000/cache/app:latest-linux-arm64",
	} {
		if got := PlatformCacheRef(ref, "linux/arm64"); got != want {
			t.Errorf("PlatformCacheRef(%s) = %s, want %s", ref, got, want)
		}
	}
}

func TestParseCache_GHALinesAndTheirSecretsNeverShown(t *testing.T) {
	t.Parallel()
	c, err := ParseCache("type=gha,mode=max,scope=main", true)
	if err != nil || c.Type != "gha" || !maps.Equal(c.Attrs, map[string]string{"mode": "max", "scope": "main"}) {
		t.Errorf("type=gha,mode=max,scope=main: %+v, %v", c, err)
	}
	for line, want := range map[string]string{
		"type=gha,version=3":                   "version is the cache service's protocol, 1 or 2",
		"type=gha,mode=all,token=s3cr3t-t0k3n": "mode is min or max",
		"type=gha,ghtoken=s3cr3t-t0k3n,oops":   "each field is key=value",
	} {
		_, err := ParseCache(line, true)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", line, err, want)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error shows the token: %v", line, err)
		}
	}
}

// GitHub.com gives a container action ACTIONS_CACHE_URL of its retired v1 service beside
// ACTIONS_RESULTS_URL; act, Gitea and GitHub Enterprise Server serve v1 at ACTIONS_CACHE_URL.
func TestResolveGHA_TheServiceTheRunnersEnvironmentPoints(t *testing.T) {
	t.Parallel()
	const tok = "eyJ.runtime.token"
	github := GHAEnv{Token: tok, CacheURL: "https://acghubeus1.actions.githubusercontent.com/abc/", ResultsURL: "https://results-receiver.actions.githubusercontent.com/"}
	act := GHAEnv{Token: tok, CacheURL: "http://127.0.0.1:34567/tok/", ResultsURL: "http://127.0.0.1:34568/"}
	for _, tc := range []struct {
		name string
		line string
		env  GHAEnv
		want map[string]string
	}{
		{"GitHub.com", "type=gha", github, map[string]string{"token": tok, "version": "2", "url_v2": github.ResultsURL}},
		{"act", "type=gha", act, map[string]string{"token": tok, "version": "1", "url": act.CacheURL}},
		{"only v1", "type=gha", GHAEnv{Token: tok, CacheURL: act.CacheURL}, map[string]string{"token": tok, "version": "1", "url": act.CacheURL}},
		{"only results", "type=gha", GHAEnv{Token: tok, ResultsURL: act.ResultsURL}, map[string]string{"token": tok, "version": "2", "url_v2": act.ResultsURL}},
		{"the flag a JavaScript action gets", "type=gha", GHAEnv{Token: tok, CacheURL: act.CacheURL, ResultsURL: act.ResultsURL, ServiceV2: "True"},
			map[string]string{"token": tok, "version": "2", "url_v2": act.ResultsURL}},
		{"the line's version wins", "type=gha,version=1", github, map[string]string{"token": tok, "version": "1", "url": github.CacheURL}},
		{"the line's url wins", "type=gha,url=http://cache.example/,token=given", github, map[string]string{"token": "given", "version": "1", "url": "http://cache.example/"}},
	} {
		c, err := ParseCache(tc.line, true)
		if err == nil {
			c, err = ResolveGHA(c, tc.env)
		}
		if err != nil || !maps.Equal(c.Attrs, tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, c.Attrs, err, tc.want)
		}
	}
}

func TestResolveGHA_NamesEachMissingVariable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		line string
		env  GHAEnv
		want []string
	}{
		{"type=gha", GHAEnv{}, []string{"ACTIONS_RUNTIME_TOKEN is not set", "neither ACTIONS_RESULTS_URL nor ACTIONS_CACHE_URL is set"}},
		{"type=gha", GHAEnv{CacheURL: "http://127.0.0.1:1/"}, []string{"ACTIONS_RUNTIME_TOKEN is not set"}},
		{"type=gha,version=2", GHAEnv{Token: "t", CacheURL: "http://127.0.0.1:1/"}, []string{"ACTIONS_RESULTS_URL is not set"}},
		{"type=gha,version=1", GHAEnv{Token: "t", ResultsURL: "http://127.0.0.1:1/"}, []string{"ACTIONS_CACHE_URL is not set"}},
	} {
		c, err := ParseCache(tc.line, false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ResolveGHA(c, tc.env)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s with %+v: err = %v, want %q", tc.line, tc.env, err, w)
			}
		}
	}
}

func TestGHAScope_EachImageAndPlatformItsOwn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		given, image, platform string
		perPlatform            bool
		want                   string
	}{
		{"", "api", "linux/amd64", false, "api"},
		{"", "api", "linux/arm64", true, "api-linux-arm64"},
		{"main", "worker", "linux/arm/v7", true, "main-worker-linux-arm-v7"},
		{"main", "worker", "", false, "main-worker"},
	} {
		if got := GHAScope(tc.given, tc.image, tc.platform, tc.perPlatform); got != tc.want {
			t.Errorf("GHAScope(%q, %q, %q, %v) = %q, want %q", tc.given, tc.image, tc.platform, tc.perPlatform, got, tc.want)
		}
	}
}

func TestCacheEntries_AGHACacheUnderEachImagesScope(t *testing.T) {
	t.Parallel()
	gha := Cache{Type: "gha", Attrs: map[string]string{"mode": "max", "token": "t", "version": "1", "url": "http://127.0.0.1:1/"}}
	api := cacheEntries([]Cache{gha}, "api", "linux/amd64", false)
	web := cacheEntries([]Cache{gha}, "web", "linux/arm64", true)
	if api[0].Attrs["scope"] != "api" || web[0].Attrs["scope"] != "web-linux-arm64" || gha.Attrs["scope"] != "" {
		t.Errorf("scopes %q and %q (the parsed cache now %q), want api and web-linux-arm64, the cache untouched", api[0].Attrs["scope"], web[0].Attrs["scope"], gha.Attrs["scope"])
	}
}

// A push-by-digest job of a matrix builds one platform of an image whose other platforms its
// sibling jobs build: each keeps its own cache, or the last job's would replace the others'.
func TestPlatformCache_OwnPerPlatformAcrossAMatrixToo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		plats []string
		p     string
		o     Remote
		want  bool
	}{
		{[]string{"linux/amd64", "linux/arm64"}, "linux/arm64", Remote{}, true},
		{[]string{"linux/arm64"}, "linux/arm64", Remote{}, false},
		{[]string{"linux/arm64"}, "linux/arm64", Remote{PlatformCache: true}, true},
		{[]string{""}, "", Remote{PlatformCache: true}, false}, // the worker's own: no name to add
	} {
		if got := platformCache(tc.plats, tc.p, tc.o); got != tc.want {
			t.Errorf("platformCache(%q, %q, PlatformCache %v) = %v, want %v", tc.plats, tc.p, tc.o.PlatformCache, got, tc.want)
		}
	}
	gha := Cache{Type: "gha", Attrs: map[string]string{"mode": "max"}}
	reg := Cache{Type: "registry", Attrs: map[string]string{"ref": "r.example/cache/api:main", "mode": "max"}}
	got := cacheEntries([]Cache{gha, reg}, "api", "linux/arm64", platformCache([]string{"linux/arm64"}, "linux/arm64", Remote{PlatformCache: true}))
	if got[0].Attrs["scope"] != "api-linux-arm64" || got[1].Attrs["ref"] != "r.example/cache/api:main-linux-arm64" {
		t.Errorf("a matrix job's caches %v, want scope api-linux-arm64 and ref …:main-linux-arm64", got)
	}
}

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
		{line: "type=gha", err: "gha is not supported yet"},
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

package ecs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway-actions/slipway/internal/ecs"
	"github.com/slipway-actions/slipway/internal/ecs/ecstest"
)

func TestParseVersion_TakesAReleaseNotASeries(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"1.2.0": "1.2.0", "v1.2.0": "1.2.0", " 1.3.0-rc.1 ": "1.3.0-rc.1", "1.2.0+build.5": "1.2.0+build.5",
		"1.2": "", "1": "", "latest": "", "sha-abc1234": "", "01.2.0": "", "": ""} {
		v, err := ecs.ParseVersion(in)
		switch {
		case want == "" && err == nil:
			t.Errorf("%q: took %s, want an error", in, v)
		case want != "" && (err != nil || v.String() != want):
			t.Errorf("%q: %v (%v), want %s", in, v, err, want)
		}
	}
}

func TestImagesVersion_IsTheSemverTagTheImagesShare(t *testing.T) {
	t.Parallel()
	const ecr = "123456789012.dkr.ecr.eu-west-2.amazonaws.com/acme/api"
	pushed := `[{"name":"api","tags":["` + ecr + `:1.2.3","` + ecr + `:1.2","` + ecr + `:1","` + ecr + `:sha-abc1234","docker.io/acme/api:1.2.3"],"digest":"` + digest + `"},
		{"name":"worker","tags":["` + ecr + `-worker:1.2.3","` + ecr + `-worker:sha-abc1234"],"digest":"` + digest + `"}]`
	for _, tc := range []struct{ images, want, err string }{
		{images: "api=acme/api:1.2.0\nworker=acme/worker:v1.2.0", want: "1.2.0"},
		{images: pushed, want: "1.2.3"}, // build-push-images' output, pinned by digest: its tags still say the release
		{images: `{"api":"acme/api:2.0.0-rc.1"}`, want: "2.0.0-rc.1"},
		{images: "api=localhost:5000/acme/api"}, // a port is no tag
		{images: "api=acme/api:sha-abc1234\nworker=acme/worker:latest"},
		{images: "api=acme/api@" + digest},
		{images: ""},
		{images: "api=acme/api:1.2.0\nproxy=nginx:1.25.3-alpine", err: "the images carry different versions (api 1.2.0; proxy 1.25.3-alpine)"},
	} {
		v, err := ecs.ImagesVersion(strings.Split(tc.images, "\n"))
		got := ""
		if v != nil {
			got = v.String()
		}
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s:\ngot %q (%v), want %q (%s)", tc.images, got, err, tc.want, tc.err)
		}
	}
}

// mutations counts the calls that change something on ECS.
func mutations(f *ecstest.Fake) int {
	calls, _ := f.Calls()
	return calls["RegisterTaskDefinition"] + calls["DeregisterTaskDefinition"] + calls["UpdateService"] + calls["RunTask"] + calls["StopTask"] +
		calls["TagResource"] + calls["UntagResource"]
}

func version(t *testing.T, s string) *semver.Version {
	t.Helper()
	v, err := ecs.ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// webRunning is a setup whose service web runs a revision with the given version tag ("" none)
// and image.
func webRunning(t *testing.T, tag, image string) (*setup, ecs.Options) {
	t.Helper()
	s := newSetup(t)
	tags := ""
	if tag != "" {
		tags = `"tags":[{"key":"slipway:version","value":"` + tag + `"}],`
	}
	s.fake.AddService("web", `{"family":"web",`+tags+`"containerDefinitions":[{"name":"web","image":"`+image+`","essential":true}]}`, 1)
	s.write("web.json", `{"family":"web","containerDefinitions":[{"name":"web","image":"acme/web:0","essential":true}]}`)
	o := s.options("web")
	o.Images = map[string]string{"web": "acme/web:next"}
	return s, o
}

// What a service runs is its revision's slipway:version tag, else its image's semver tag; an older
// release is refused (bad input, nothing touched) unless allowed; equal versions (a re-run) pass;
// prereleases compare as semver says.
func TestPrepare_ComparesTheReleaseWithTheOneRunning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, tag, image, deploy string
		allow                    bool
		refused                  bool
		check                    string
	}{
		{name: "newer", tag: "1.2.0", deploy: "1.3.0", check: "deploys 1.3.0 over 1.2.0 (slipway:version tag of web:1): newer"},
		{name: "a re-run", tag: "1.2.0", deploy: "v1.2.0", check: "deploys 1.2.0 again (slipway:version tag of web:1): the same release"},
		{name: "older", tag: "1.2.0", deploy: "1.1.0", refused: true, check: "would deploy 1.1.0 over 1.2.0 (slipway:version tag of web:1): older, refused"},
		{name: "older, allowed", tag: "1.2.0", deploy: "1.1.0", allow: true, check: "deploys 1.1.0 over 1.2.0 (slipway:version tag of web:1): older, allowed by allow-downgrade"},
		{name: "a prerelease of the running release", tag: "1.2.0", deploy: "1.2.0-rc.1", refused: true},
		{name: "the release after its prerelease", tag: "1.2.0-rc.1", deploy: "1.2.0", check: "newer"},
		{name: "prereleases by number", tag: "1.2.0-rc.2", deploy: "1.2.0-rc.10", check: "newer"},
		{name: "build metadata", tag: "1.2.0+build.1", deploy: "1.2.0+build.2", check: "the same release"},
		{name: "older than the image tag", image: "acme/web:1.0.0", deploy: "0.9.0", refused: true, check: "(image tag of web:1): older, refused"},
		{name: "the tag wins over the image", tag: "1.0.0", image: "acme/web:3.0.0", deploy: "2.0.0", check: "newer"},
		{name: "unknown", image: "acme/web:sha-abc1234", deploy: "0.9.0", check: "deploys 0.9.0; the version it runs is unknown (web:1 has no slipway:version tag nor a semver image tag): not compared"},
		{name: "a tag that is no version", tag: "next", deploy: "0.9.0", check: `web:1's slipway:version tag "next" is not a version`},
		{name: "no version to deploy", tag: "1.2.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			image := tc.image
			if image == "" {
				image = "acme/web:sha-abc1234"
			}
			s, o := webRunning(t, tc.tag, image)
			o.AllowDowngrade = tc.allow
			if tc.deploy != "" {
				o.Version = version(t, tc.deploy)
			}
			rep, err := s.dep.Prepare(context.Background(), o)
			r := rep.Services[0]
			if tc.refused {
				if !isInputError(err) || !strings.Contains(err.Error(), "service web runs ") || !strings.Contains(err.Error(), "newer than "+o.Version.String()) ||
					!strings.Contains(err.Error(), "allow-downgrade: true") || !strings.Contains(r.Reason, "refused") {
					t.Errorf("err = %v, reason %q; want the downgrade refused, naming the service and both versions", err, r.Reason)
				}
			} else if err != nil {
				t.Errorf("err = %v", err)
			}
			if !strings.Contains(r.VersionCheck, tc.check) || (tc.deploy == "") != (r.VersionCheck == "") {
				t.Errorf("version check = %q, want %q", r.VersionCheck, tc.check)
			}
			if n := mutations(s.fake); n != 0 {
				t.Errorf("%d mutating calls", n)
			}
		})
	}
}

// The refusal is one of the problems listed at once, and nothing is touched.
func TestPrepare_ADowngradeIsListedWithEveryOtherProblem(t *testing.T) {
	t.Parallel()
	s, o := webRunning(t, "1.2.0", "acme/web:1.2.0")
	s.write("nope.json", workerTD)
	o = s.options("web", "nope", "worker")
	o.Images = map[string]string{"web": "acme/web:1.1.0", "worker": "acme/worker:1.1.0"}
	o.Version = version(t, "1.1.0")
	_, err := s.dep.Prepare(context.Background(), o)
	for _, want := range []string{`service "nope" is not an active service of cluster main`, "service web runs 1.2.0 (slipway:version tag of web:1), newer than 1.1.0"} {
		if !isInputError(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "service worker") { // it runs 1.0.0
		t.Errorf("err = %v names worker", err)
	}
	if n := mutations(s.fake); n != 0 {
		t.Errorf("%d mutating calls", n)
	}
}

// The new revision carries the version as its only slipway:version tag, beside the file's own tags,
// even when the file was exported from an older revision with its tags; without a version it
// carries none. The diff shows the tag.
func TestDeploy_RecordsTheVersionOnTheNewRevision(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	s.write("api.json", strings.Replace(describedAPI, `"tags":[{"key":"team","value":"web"}]`,
		`"tags":[{"key":"team","value":"web"},{"key":"slipway:version","value":"1.0.0"}]`, 1))
	o := s.options()
	o.Version = version(t, "1.2.0")
	rep, err := s.deploy(t, o)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Services[0]
	tags := s.fake.TaskDefinition(r.TaskDefinitionARN)["tags"]
	if got := tagMap(tags); len(got) != 2 || got["team"] != "web" || got["slipway:version"] != "1.2.0" {
		t.Errorf("registered tags = %v", tags)
	}
	if r.Version != "1.2.0" || r.PreviousVersion != "1.0.0" || !strings.Contains(r.Diff, `"Value": "1.2.0"`) {
		t.Errorf("result = %+v", r)
	}
	o.Version = nil
	rep, err = s.deploy(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := tagMap(s.fake.TaskDefinition(rep.Services[0].TaskDefinitionARN)["tags"]); len(got) != 1 || rep.Services[0].PreviousVersion != "1.2.0" {
		t.Errorf("without a version: tags %v, result %+v", got, rep.Services[0])
	}
}

func tagMap(v any) map[string]string {
	out := map[string]string{}
	tags, _ := v.([]any)
	for _, t := range tags {
		m := t.(map[string]any)
		value, _ := m["value"].(string)
		out[m["key"].(string)] = value
	}
	return out
}

// Two releases' deploys queued in one concurrency group, finishing out of order: 1.2.0 is deployed,
// then 1.1.0's deploy runs and is refused, the service left on 1.2.0. With AllowDowngrade 1.1.0
// goes out; when it fails, the rollback to 1.2.0's revision is not refused as a version change.
func TestDeploy_TwoReleasesFinishingOutOfOrder(t *testing.T) {
	t.Parallel()
	s := newSetup(t)
	newer := s.options()
	newer.Version = version(t, "1.2.0")
	rep, err := s.deploy(t, newer)
	if err != nil || rep.Services[0].Status != ecs.StatusCompleted {
		t.Fatalf("1.2.0: %v", err)
	}
	runs, before := s.fake.ServiceTaskDefinition("api"), mutations(s.fake)

	older := s.options()
	older.Images["api"] = "acme/api:1.1.0"
	older.Version = version(t, "1.1.0")
	rep, err = s.deploy(t, older)
	if !isInputError(err) || !strings.Contains(err.Error(), "service api runs 1.2.0 (slipway:version tag of api:2), newer than 1.1.0: refused as a downgrade") {
		t.Fatalf("1.1.0 after 1.2.0: err = %v", err)
	}
	if n := mutations(s.fake) - before; n != 0 || s.fake.ServiceTaskDefinition("api") != runs || rep.Services[0].Status != ecs.StatusNotStarted {
		t.Errorf("%d mutating calls; api runs %s, want %s; result %+v", n, s.fake.ServiceTaskDefinition("api"), runs, rep.Services[0])
	}

	older.AllowDowngrade = true
	older.RollBackOnFailure = true
	s.fake.Script("api", ecstest.Scenario{Kind: ecstest.CrashLoop, Ticks: 2})
	rep, err = s.deploy(t, older)
	if r := rep.Services[0]; err == nil || isInputError(err) || r.Status != ecs.StatusRolledBack || s.fake.ServiceTaskDefinition("api") != runs {
		t.Errorf("a failed 1.1.0 is rolled back to 1.2.0: err = %v, result %+v", err, r)
	}
	rep, err = s.deploy(t, older)
	if r := rep.Services[0]; err != nil || r.Status != ecs.StatusCompleted || r.PreviousVersion != "1.2.0" ||
		tagMap(s.fake.TaskDefinition(r.TaskDefinitionARN)["tags"])["slipway:version"] != "1.1.0" {
		t.Errorf("1.1.0 with AllowDowngrade: err = %v, result %+v", err, r)
	}
}

// The images input is the user's text: ImagesVersion never panics, never answers both a version
// and an error, and a version it finds reads back as itself (it is what the revision's tag holds).
func FuzzImagesVersion(f *testing.F) {
	for _, seed := range []string{"api=acme/api:1.2.0", "api=localhost:5000/acme/api", `[{"name":"api","tags":["acme/api:v1.2.0-rc.1"],"digest":"` + digest + `"}]`,
		`{"api":"acme/api:1.2.0@` + digest + `"}`, "api=acme/api:1.2.0\nproxy=nginx:1.25.3", "=:1.0.0"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v, err := ecs.ImagesVersion(strings.Split(text, "\n"))
		if v == nil {
			return
		}
		if err != nil {
			t.Fatalf("a version (%s) and an error (%v)", v, err)
		}
		again, err := ecs.ParseVersion(v.String())
		if err != nil || !again.Equal(v) || again.Original() != v.String() {
			t.Errorf("%q: version %s does not read back (%v)", text, v, err)
		}
	})
}

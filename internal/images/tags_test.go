package images

import (
	"maps"
	"reflect"
	"strings"
	"testing"
)

// The default rule set of metadata-action's README ("Usage"), and its documented results.
var readmeRules = []string{
	"type=schedule",
	"type=ref,event=branch",
	"type=ref,event=pr",
	"type=semver,pattern={{version}}",
	"type=semver,pattern={{major}}.{{minor}}",
	"type=semver,pattern={{major}}",
	"type=sha",
}

const sha = "860c1904a1ce19322e91ac35af1ab07466440c37"

func TestComputeTags_MetadataActionDocumentedResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		rules    []string
		flavor   []string
		ref      GitRef
		releases []string
		want     []string
	}{
		{name: "schedule", rules: readmeRules, ref: GitRef{Event: "schedule", Ref: "refs/heads/master", SHA: sha},
			want: []string{"nightly", "master", "sha-860c190"}},
		{name: "push to a branch", rules: readmeRules, ref: GitRef{Event: "push", Ref: "refs/heads/master", SHA: sha},
			want: []string{"master", "sha-860c190"}},
		{name: "branch with a slash", rules: readmeRules, ref: GitRef{Event: "push", Ref: "refs/heads/releases/v1", SHA: sha},
			want: []string{"releases-v1", "sha-860c190"}},
		{name: "pull request", rules: readmeRules, ref: GitRef{Event: "pull_request", Ref: "refs/pull/2/merge", SHA: sha},
			want: []string{"pr-2", "sha-860c190"}},
		{name: "release tag", rules: readmeRules, ref: GitRef{Event: "push", Ref: "refs/tags/v1.2.3", SHA: sha},
			want: []string{"1.2.3", "1.2", "1", "sha-860c190", "latest"}},
		{name: "pre-release: no major/minor, no latest", rules: readmeRules, ref: GitRef{Event: "push", Ref: "refs/tags/v2.0.8-beta.67", SHA: sha},
			want: []string{"2.0.8-beta.67", "sha-860c190"}},
		{name: "tag that is not semver", rules: readmeRules, ref: GitRef{Event: "push", Ref: "refs/tags/release-june", SHA: sha},
			want: []string{"sha-860c190"}},
		{name: "ref event=tag keeps the v", rules: []string{"type=ref,event=tag"}, ref: GitRef{Event: "push", Ref: "refs/tags/v1.2.3"},
			want: []string{"v1.2.3", "latest"}},
		{name: "edge on the default branch", rules: []string{"type=edge", "type=ref,event=branch"}, ref: GitRef{Event: "push", Ref: "refs/heads/main", DefaultBranch: "main"},
			want: []string{"edge", "main"}},
		{name: "edge on another branch", rules: []string{"type=edge,branch=develop"}, ref: GitRef{Event: "push", Ref: "refs/heads/main", DefaultBranch: "main"},
			want: nil},
		{name: "sha long with prefix", rules: []string{"type=sha,format=long,prefix="}, ref: GitRef{Event: "push", Ref: "refs/heads/main", SHA: sha},
			want: []string{sha}},
		{name: "raw with expressions and is_default_branch", rules: []string{"type=raw,value={{branch}}-{{sha}}", "type=raw,value=stable,enable={{is_default_branch}}"},
			ref:  GitRef{Event: "push", Ref: "refs/heads/main", SHA: sha, DefaultBranch: "main"},
			want: []string{"main-860c190", "stable"}},
		{name: "a line without type is raw", rules: []string{"staging"}, ref: GitRef{Event: "push", Ref: "refs/heads/main"},
			want: []string{"staging"}},
		{name: "flavor prefix and suffix, latest untouched", rules: []string{"type=semver,pattern={{version}}"}, flavor: []string{"prefix=api-", "suffix=-slim"},
			ref: GitRef{Event: "push", Ref: "refs/tags/v1.0.0"}, want: []string{"api-1.0.0-slim", "latest"}},
		{name: "flavor prefix onlatest", rules: []string{"type=semver,pattern={{version}}"}, flavor: []string{"prefix=api-,onlatest=true"},
			ref: GitRef{Event: "push", Ref: "refs/tags/v1.0.0"}, want: []string{"api-1.0.0", "api-latest"}},
		{name: "latest=false", rules: []string{"type=semver,pattern={{version}}"}, flavor: []string{"latest=false"},
			ref: GitRef{Event: "push", Ref: "refs/tags/v1.0.0"}, want: []string{"1.0.0"}},
		{name: "latest=true on a branch", rules: []string{"type=ref,event=branch"}, flavor: []string{"latest=true"},
			ref: GitRef{Event: "push", Ref: "refs/heads/main"}, want: []string{"main", "latest"}},
		{name: "priority reorders", rules: []string{"type=sha,priority=1000", "type=ref,event=branch"},
			ref: GitRef{Event: "push", Ref: "refs/heads/main", SHA: sha}, want: []string{"sha-860c190", "main"}},
		{name: "semver from value on a branch", rules: []string{"type=semver,pattern={{major}}.{{minor}}.{{patch}},value=v3.4.5"},
			ref: GitRef{Event: "push", Ref: "refs/heads/main"}, want: []string{"3.4.5"}},
		// slipway's difference: latest only for the highest release.
		{name: "hotfix of an older line gets no latest", rules: readmeRules, releases: []string{"v1.2.3", "v2.0.0", "v2.1.0-rc.1", "not-a-version"},
			ref: GitRef{Event: "push", Ref: "refs/tags/v1.2.3", SHA: sha}, want: []string{"1.2.3", "1.2", "1", "sha-860c190"}},
		{name: "highest release gets latest despite a higher pre-release", rules: readmeRules, releases: []string{"v1.2.3", "v2.0.0", "v2.1.0-rc.1"},
			ref: GitRef{Event: "push", Ref: "refs/tags/v2.0.0", SHA: sha}, want: []string{"2.0.0", "2.0", "2", "sha-860c190", "latest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules, err := ParseRules(tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			fl, err := ParseFlavor(tt.flavor)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ComputeTags(rules, fl, tt.ref, tt.releases)
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), "no tag rule gives a tag") {
					t.Fatalf("want the no-tag error, got %q, %v", got.Tags, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Tags, tt.want) {
				t.Errorf("tags = %q, want %q", got.Tags, tt.want)
			}
			if got.Version != tt.want[0] {
				t.Errorf("version = %q, want the first tag %q", got.Version, tt.want[0])
			}
		})
	}
}

func TestParseRules_ReportsEveryBadLine(t *testing.T) {
	t.Parallel()
	_, err := ParseRules([]string{
		"type=semver",
		"type=ref,event=push",
		"type=sha,format=medium",
		"type=docker",
		"type=raw,value=ok",
		"type=raw,value=x,colour=blue",
	})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`"type=semver": type=semver needs a pattern`,
		`"type=ref,event=push": type=ref needs event=branch`,
		`"type=sha,format=medium": format "medium"`,
		`"type=docker": unknown type "docker"`,
		`"type=raw,value=x,colour=blue": type=raw has no attribute "colour"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "value=ok") {
		t.Errorf("a good line was reported: %v", err)
	}
}

func TestComputeTags_InvalidTagIsAnError(t *testing.T) {
	t.Parallel()
	rules, _ := ParseRules([]string{"type=raw,value=.hidden", "type=raw,value=" + strings.Repeat("x", 129)})
	_, err := ComputeTags(rules, Flavor{Latest: "auto"}, GitRef{Event: "push", Ref: "refs/heads/main"}, nil)
	if err == nil || strings.Count(err.Error(), "not a valid Docker tag") != 2 {
		t.Fatalf("want both invalid tags named, got %v", err)
	}
}

func TestComputeTags_UnknownReleasesSaySo(t *testing.T) {
	t.Parallel()
	rules, _ := ParseRules([]string{"type=semver,pattern={{version}}"})
	got, err := ComputeTags(rules, Flavor{Latest: "auto"}, GitRef{Event: "push", Ref: "refs/tags/v1.0.0"}, nil)
	if err != nil || !got.Latest || len(got.Notes) != 1 || !strings.Contains(got.Notes[0], "unknown") {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func FuzzParseRules(f *testing.F) {
	for _, r := range readmeRules {
		f.Add(r)
	}
	f.Add("type=raw,value={{branch}},enable={{is_default_branch}}")
	f.Fuzz(func(t *testing.T, line string) {
		rules, err := ParseRules([]string{line})
		if err != nil {
			return
		}
		got, err := ComputeTags(rules, Flavor{Latest: "auto"}, GitRef{Event: "push", Ref: "refs/tags/v1.2.3", SHA: sha}, nil)
		if err != nil {
			return
		}
		for _, tag := range got.Tags {
			if !validTag.MatchString(tag) {
				t.Fatalf("rule %q gave invalid tag %q", line, tag)
			}
		}
	})
}

// The rules are the caller's: computing the tags fills in no default (pr-, sha-) in them, so the same
// rules give the same tags for any run and can be shared.
func TestComputeTags_LeavesTheRulesAsGiven(t *testing.T) {
	t.Parallel()
	rules, err := ParseRules(readmeRules)
	if err != nil {
		t.Fatal(err)
	}
	before := make([]map[string]string, len(rules))
	for i, r := range rules {
		before[i] = maps.Clone(r.Attrs)
	}
	for _, ref := range []GitRef{{Event: "pull_request", Ref: "refs/pull/2/merge", SHA: sha}, {Event: "push", Ref: "refs/tags/v1.2.3", SHA: sha}} {
		if _, err := ComputeTags(rules, Flavor{Latest: "auto"}, ref, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range rules {
		if !maps.Equal(r.Attrs, before[i]) {
			t.Errorf("%q: attributes %v after ComputeTags, were %v", r.Line, r.Attrs, before[i])
		}
	}
}

package ecs

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// VersionTag is the resource tag every revision a versioned deploy registers carries: the release
// it runs. It stays with the revision, so a service put back on an older revision (a rollback, by
// slipway or ECS's circuit breaker) reads as the older release again. See the API reference's
// API_Tag.html for what a tag may hold.
const VersionTag = "slipway:version"

// ParseVersion reads a release version: semver X.Y.Z, optionally with a v, a prerelease and build
// metadata (1.2.0, v1.2.0, 1.3.0-rc.1). 1.2 or 1 name a series, not a release, and are refused.
func ParseVersion(s string) (*semver.Version, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(strings.TrimSpace(s), "v"))
	if err != nil {
		return nil, fmt.Errorf("%q is not a release version (semver X.Y.Z, e.g. 1.2.0, v1.2.0 or 1.3.0-rc.1)", s)
	}
	return v, nil
}

// ImagesVersion is the release the images input names: the one semver tag its images share
// (build-push-images' images output lists every tag an image was pushed as: 1.2.0 among 1.2, 1 and
// sha-…). It is nil when no image has such a tag, and an error naming them when they disagree.
// Syntax errors are ParseImages'.
func ImagesVersion(lines []string) (*semver.Version, error) {
	images, _ := readImages(lines)
	refs := map[string][]string{}
	for _, im := range images {
		refs[im.container] = append(refs[im.container], im.tags...)
	}
	return sharedVersion(refs)
}

// sharedVersion is the one release that the semver tags of the references (by container) name.
func sharedVersion(refs map[string][]string) (*semver.Version, error) {
	var found *semver.Version
	by := map[string][]string{} // version → containers
	for _, c := range slices.Sorted(maps.Keys(refs)) {
		for _, ref := range refs[c] {
			v, err := ParseVersion(tagOf(ref))
			if err != nil {
				continue
			}
			if !slices.Contains(by[v.String()], c) {
				by[v.String()] = append(by[v.String()], c)
			}
			found = v
		}
	}
	if len(by) > 1 {
		var each []string
		for _, v := range slices.Sorted(maps.Keys(by)) {
			each = append(each, strings.Join(by[v], ", ")+" "+v)
		}
		return nil, fmt.Errorf("the images carry different versions (%s)", strings.Join(each, "; "))
	}
	return found, nil
}

// tagOf is the tag of an image reference ("" without one): what follows the last ":" after the
// last "/", so a registry's port is not taken for a tag; a digest is ignored.
func tagOf(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") {
		return ""
	}
	return ref[i+1:]
}

// withVersion is the tags with VersionTag set to v, or removed when v is nil: a file exported with
// `describe-task-definition --include TAGS` carries the version of the revision it came from.
func withVersion(tags []types.Tag, v *semver.Version) []types.Tag {
	tags = slices.DeleteFunc(slices.Clone(tags), func(t types.Tag) bool { return aws.ToString(t.Key) == VersionTag })
	if v != nil {
		tags = append(tags, types.Tag{Key: aws.String(VersionTag), Value: aws.String(v.String())})
	}
	return tags
}

// runningVersion is the release a service runs: its task definition's VersionTag, else the one
// semver tag of the images of the containers this deploy sets (a revision registered before
// versions were recorded, or by another tool). It says where it found it, or why it found none.
func runningVersion(td *ecs.DescribeTaskDefinitionOutput, images map[string]string) (*semver.Version, string) {
	name := lastPart(aws.ToString(td.TaskDefinition.TaskDefinitionArn))
	for _, t := range td.Tags {
		if aws.ToString(t.Key) != VersionTag {
			continue
		}
		v, err := ParseVersion(aws.ToString(t.Value))
		if err != nil {
			return nil, fmt.Sprintf("%s's %s tag %q is not a version", name, VersionTag, aws.ToString(t.Value))
		}
		return v, fmt.Sprintf("%s tag of %s", VersionTag, name)
	}
	refs := map[string][]string{}
	for _, c := range td.TaskDefinition.ContainerDefinitions {
		if _, ok := images[aws.ToString(c.Name)]; ok {
			refs[aws.ToString(c.Name)] = []string{aws.ToString(c.Image)}
		}
	}
	if v, err := sharedVersion(refs); err == nil && v != nil {
		return v, "image tag of " + name
	}
	return nil, fmt.Sprintf("%s has no %s tag nor a semver image tag", name, VersionTag)
}

// checkVersion compares the release o deploys with the one the service runs, in r's
// VersionCheck, and refuses to replace a newer release with an older one unless o allows it. Equal
// versions (a re-run) pass; prereleases compare as semver says (1.2.0-rc.1 < 1.2.0).
func checkVersion(o Options, r *ServiceResult, current *ecs.DescribeTaskDefinitionOutput) error {
	now, from := runningVersion(current, o.Images)
	if now != nil {
		r.PreviousVersion = now.String()
	}
	next := o.Version
	switch {
	case next == nil:
		return nil
	case now == nil:
		r.VersionCheck = fmt.Sprintf("deploys %s; the version it runs is unknown (%s): not compared", next, from)
	case next.GreaterThan(now):
		r.VersionCheck = fmt.Sprintf("deploys %s over %s (%s): newer", next, now, from)
	case next.Equal(now):
		r.VersionCheck = fmt.Sprintf("deploys %s again (%s): the same release", next, from)
	case o.AllowDowngrade:
		r.VersionCheck = fmt.Sprintf("deploys %s over %s (%s): older, allowed by allow-downgrade", next, now, from)
	default:
		r.VersionCheck = fmt.Sprintf("would deploy %s over %s (%s): older, refused", next, now, from)
		r.note(fmt.Sprintf("refused: it runs %s, newer than %s", now, next))
		return fmt.Errorf("service %s runs %s (%s), newer than %s: refused as a downgrade (an older release's deploy that ran last?); "+
			"set allow-downgrade: true to deploy it anyway", r.Service, now, from, next)
	}
	return nil
}

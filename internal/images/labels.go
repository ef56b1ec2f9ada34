package images

import (
	"maps"
	"time"
)

// Origin is where an image comes from, for its OCI labels.
type Origin struct {
	Source      string // https://github.com/acme/web
	Revision    string // the commit
	Description string // the repository's description, when known
	Licenses    string // SPDX id of the repository's licence, when known
	Created     time.Time
}

// Labels returns the standard OCI labels for an image (as docker/metadata-action sets them), with
// the image's own labels winning over them. Empty values are left out.
func Labels(o Origin, s Spec, version string) map[string]string {
	out := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			out["org.opencontainers.image."+k] = v
		}
	}
	set("title", s.Name)
	set("source", o.Source)
	set("url", o.Source)
	set("revision", o.Revision)
	set("version", version)
	set("description", o.Description)
	set("licenses", o.Licenses)
	if !o.Created.IsZero() {
		set("created", o.Created.UTC().Format(time.RFC3339))
	}
	maps.Copy(out, s.Labels)
	return out
}

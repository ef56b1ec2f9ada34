package images

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseDockerfile_StagesAndBuildKitOnlyFeatures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		text     string
		stages   []string
		bases    []string
		buildkit []string
	}{
		{
			name:   "bases are the FROM images that are no stage",
			text:   "FROM --platform=linux/amd64 python:3.12-slim AS build\nFROM build AS test\nFROM registry.example:5000/team/base:1\nFROM scratch\nFROM python:3.12-slim\n",
			stages: []string{"build", "test"},
			bases:  []string{"python:3.12-slim", "registry.example:5000/team/base:1"},
		},
		{
			name:   "classic multi-stage",
			text:   "FROM scratch AS Base\nCOPY a /a\nFROM base AS api\nCOPY --chown=1:1 b /b\nFROM api\n",
			stages: []string{"base", "api"},
		},
		{
			name:     "secret mount and chmod",
			text:     "FROM scratch AS build\nRUN --mount=type=secret,id=npm [\"/tool\"]\nCOPY --chmod=755 x /x\n",
			stages:   []string{"build"},
			buildkit: []string{"RUN --mount (line 2)", "COPY --chmod (line 3)"},
		},
		{
			name:     "syntax directive and heredoc",
			text:     "# syntax=docker/dockerfile:1\nFROM scratch\nCOPY <<EOF /x\nhello\nEOF\n",
			buildkit: []string{"the syntax directive (docker/dockerfile:1)", "COPY with a heredoc (line 3)"},
		},
		{
			name:   "line continuation",
			text:   "FROM scratch \\\n  AS one\n",
			stages: []string{"one"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			df, err := ParseDockerfile([]byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(df.Stages, tt.stages) {
				t.Errorf("stages = %q, want %q", df.Stages, tt.stages)
			}
			if !reflect.DeepEqual(df.Bases, tt.bases) {
				t.Errorf("bases = %q, want %q", df.Bases, tt.bases)
			}
			if !reflect.DeepEqual(df.BuildKitOnly, tt.buildkit) {
				t.Errorf("BuildKit-only = %q, want %q", df.BuildKitOnly, tt.buildkit)
			}
		})
	}
}

// The images FROM lines pull, with the ARGs before the first FROM expanded as BuildKit expands them:
// from their defaults, or from the build args given, and the automatic platform ARGs.
func TestBaseImages_ExpandsTheArgsBeforeTheFirstFROM(t *testing.T) {
	t.Parallel()
	text := "ARG PY=3.12\nARG VARIANT=\"slim\"\nARG REGISTRY\n" +
		"FROM python:${PY}-${VARIANT} AS build\nFROM ${REGISTRY:-ghcr.io}/acme/base@sha256:" + strings.Repeat("a", 64) + "\n" +
		"FROM build AS test\nFROM ${UNSET}scratch\nFROM ghcr.io/acme/tools-${TARGETARCH}:1\n"
	df, err := ParseDockerfile([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	digest := "/acme/base@sha256:" + strings.Repeat("a", 64)
	if got, want := df.BaseImages(nil, "linux/arm64"), []string{"python:3.12-slim", "ghcr.io" + digest, "ghcr.io/acme/tools-arm64:1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("BaseImages(nil) = %q, want %q", got, want)
	}
	got := df.BaseImages(map[string]string{"PY": "3.13", "REGISTRY": "127.0.0.1:5000", "UNDECLARED": "x", "TARGETARCH": "riscv64"}, "")
	if want := []string{"python:3.13-slim", "127.0.0.1:5000" + digest, "ghcr.io/acme/tools-riscv64:1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("with build args = %q, want %q", got, want)
	}
}

package images

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Dockerfile is what slipway needs to know of a Dockerfile before it builds: its named stages (to
// check a target) and the BuildKit-only features it uses (to decide whether the classic builder
// could build it).
type Dockerfile struct {
	Stages       []string
	Bases        []string // the images FROM lines pull: neither an earlier stage nor scratch
	BuildKitOnly []string // e.g. "RUN --mount (line 4)"; empty when the classic builder can build it
}

// buildKitFlags are instruction flags the classic builder rejects.
var buildKitFlags = map[string]bool{
	"mount": true, "network": true, "security": true, "link": true, "chmod": true,
	"checksum": true, "keep-git-dir": true, "exclude": true, "parents": true,
}

// ReadDockerfile parses the Dockerfile at path with BuildKit's own parser.
func ReadDockerfile(path string) (*Dockerfile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseDockerfile(data)
}

// ParseDockerfile reads the stages and BuildKit-only features of a Dockerfile's text.
func ParseDockerfile(data []byte) (*Dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	df := &Dockerfile{}
	if syntax, _, _, ok := parser.DetectSyntax(data); ok {
		df.BuildKitOnly = append(df.BuildKitOnly, fmt.Sprintf("the syntax directive (%s)", syntax))
	}
	for _, n := range res.AST.Children {
		cmd := strings.ToUpper(n.Value)
		if cmd == "FROM" && n.Next != nil {
			if base := n.Next.Value; base != "scratch" && !df.HasStage(base) && !slices.Contains(df.Bases, base) {
				df.Bases = append(df.Bases, base)
			}
			if name, ok := stageName(n); ok {
				df.Stages = append(df.Stages, name)
			}
		}
		for _, f := range n.Flags {
			name := strings.TrimPrefix(f, "--")
			if i := strings.IndexByte(name, '='); i >= 0 {
				name = name[:i]
			}
			if buildKitFlags[name] {
				df.BuildKitOnly = append(df.BuildKitOnly, fmt.Sprintf("%s --%s (line %d)", cmd, name, n.StartLine))
			}
		}
		if len(n.Heredocs) > 0 {
			df.BuildKitOnly = append(df.BuildKitOnly, fmt.Sprintf("%s with a heredoc (line %d)", cmd, n.StartLine))
		}
	}
	return df, nil
}

// stageName returns the name of FROM <image> AS <name>.
func stageName(from *parser.Node) (string, bool) {
	var words []string
	for w := from.Next; w != nil; w = w.Next {
		words = append(words, w.Value)
	}
	if len(words) == 3 && strings.EqualFold(words[1], "as") {
		return strings.ToLower(words[2]), true
	}
	return "", false
}

// HasStage reports whether target names a stage (stage names are case-insensitive).
func (d *Dockerfile) HasStage(target string) bool {
	return slices.Contains(d.Stages, strings.ToLower(target))
}

package images

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Dockerfile is what slipway needs to know of a Dockerfile before it builds: its named stages (to
// check a target) and the BuildKit-only features it uses (to decide whether the classic builder
// could build it).
type Dockerfile struct {
	Stages       []string
	Bases        []string // FROM words that are neither an earlier stage nor scratch, as written (${ARG}s unexpanded)
	BuildKitOnly []string // e.g. "RUN --mount (line 4)"; empty when the classic builder can build it

	metaArgs []metaArg // ARGs before the first FROM, in order
	escape   rune
}

type metaArg struct {
	name string
	def  *string // nil: no default
}

// BaseImages are the images the FROM lines pull, with the ARGs before the first FROM expanded from
// their defaults and the build args given, as BuildKit expands them, and its automatic platform
// ARGs (TARGETARCH …) from platform (os/arch[/variant]; "" for this machine's). A word that still
// names a stage, or that does not expand, is left out.
func (d *Dockerfile) BaseImages(buildArgs map[string]string, platform string) []string {
	lex := shell.NewLex(d.escape)
	env := platformArgs(platform)
	for k, v := range buildArgs {
		if strings.HasPrefix(k, "TARGET") || strings.HasPrefix(k, "BUILD") {
			env = append(env, k+"="+v) // given, they win over the automatic ones
		}
	}
	for _, a := range d.metaArgs {
		if v, ok := buildArgs[a.name]; ok {
			env = append(env, a.name+"="+v)
		} else if a.def != nil {
			if v, _, err := lex.ProcessWord(*a.def, shell.EnvsFromSlice(env)); err == nil {
				env = append(env, a.name+"="+v)
			}
		}
	}
	var out []string
	for _, word := range d.Bases {
		img, _, err := lex.ProcessWord(word, shell.EnvsFromSlice(env))
		if err != nil || img == "" || img == "scratch" || d.HasStage(img) || slices.Contains(out, img) {
			continue
		}
		out = append(out, img)
	}
	return out
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
	df := &Dockerfile{escape: res.EscapeToken}
	seenFrom := false
	if syntax, _, _, ok := parser.DetectSyntax(data); ok {
		df.BuildKitOnly = append(df.BuildKitOnly, fmt.Sprintf("the syntax directive (%s)", syntax))
	}
	for _, n := range res.AST.Children {
		cmd := strings.ToUpper(n.Value)
		if cmd == "ARG" && !seenFrom {
			for w := n.Next; w != nil; w = w.Next {
				name, def, ok := strings.Cut(w.Value, "=")
				a := metaArg{name: name}
				if ok {
					a.def = &def
				}
				df.metaArgs = append(df.metaArgs, a)
			}
		}
		if cmd == "FROM" {
			seenFrom = true
		}
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

// platformArgs are BuildKit's automatic platform ARGs, for the build and the target alike.
func platformArgs(platform string) []string {
	if platform == "" {
		platform = runtime.GOOS + "/" + runtime.GOARCH
	}
	parts := append(strings.SplitN(platform, "/", 3), "", "")
	var env []string
	for _, p := range []string{"TARGET", "BUILD"} {
		env = append(env, p+"PLATFORM="+platform, p+"OS="+parts[0], p+"ARCH="+parts[1], p+"VARIANT="+parts[2])
	}
	return env
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

package images

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/pkg/jsonmessage"
	controlapi "github.com/moby/buildkit/api/services/control"
	"google.golang.org/protobuf/proto"
)

// progress reads the engine's build stream: BuildKit's status (protobuf in "moby.buildkit.trace"
// aux messages) or the classic builder's text, and the image ID. A failed build still answers 200;
// the stream's errorDetail says so.
type progress struct {
	name     string
	log      func(string)
	vertices map[string]*vertex
	steps    int
	cached   int
	partial  map[string]string // a vertex's log text not yet ended by a newline
	bases    []string          // the Dockerfile's FROM images, to name one the engine could not pull
}

type vertex struct {
	name   string
	done   bool
	errMsg string
}

func (p *progress) read(r io.Reader) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err == io.EOF {
			p.flushLogs()
			return id, nil
		} else if err != nil {
			return id, fmt.Errorf("read the engine's build stream: %w", err)
		}
		if m.Error != nil {
			p.flushLogs()
			msg := strings.TrimSpace(m.Error.Message)
			if be := baseImageError(msg, p.bases); be != nil {
				return id, be
			}
			return id, &BuildError{Message: msg}
		}
		switch {
		case m.ID == "moby.buildkit.trace" && m.Aux != nil:
			var data []byte
			if err := json.Unmarshal(*m.Aux, &data); err != nil {
				return id, fmt.Errorf("BuildKit status: %w", err)
			}
			var st controlapi.StatusResponse
			if err := proto.Unmarshal(data, &st); err != nil {
				return id, fmt.Errorf("BuildKit status: %w", err)
			}
			p.status(&st)
		case m.Aux != nil: // moby.image.id (BuildKit) or the classic builder's {"ID": …}
			var res build.Result
			if err := json.Unmarshal(*m.Aux, &res); err == nil && res.ID != "" {
				id = res.ID
			}
		case m.Stream != "":
			p.classic(m.Stream)
		}
	}
}

func (p *progress) status(st *controlapi.StatusResponse) {
	for _, v := range st.Vertexes {
		known, ok := p.vertices[v.Digest]
		if !ok {
			known = &vertex{}
			p.vertices[v.Digest] = known
		}
		known.name = v.Name
		if v.Error != "" {
			known.errMsg = v.Error
		}
		if known.done || v.Completed == nil {
			continue
		}
		known.done = true
		if strings.HasPrefix(v.Name, "[internal]") {
			continue
		}
		p.steps++
		state := v.Completed.AsTime().Sub(v.Started.AsTime()).Round(1e6).String()
		if v.Cached {
			p.cached++
			state = "CACHED"
		}
		if v.Error != "" {
			state = "ERROR: " + v.Error
		}
		p.log(fmt.Sprintf("[%s] %s (%s)", p.name, v.Name, state))
	}
	for _, l := range st.Logs {
		if p.partial == nil {
			p.partial = map[string]string{}
		}
		text := p.partial[l.Vertex] + string(l.Msg)
		lines := strings.Split(text, "\n")
		p.partial[l.Vertex] = lines[len(lines)-1]
		for _, line := range lines[:len(lines)-1] {
			p.log(fmt.Sprintf("[%s] | %s", p.name, strings.TrimRight(line, "\r")))
		}
	}
	for _, w := range st.Warnings {
		p.log(fmt.Sprintf("[%s] warning: %s", p.name, w.Short))
	}
}

func (p *progress) flushLogs() {
	for _, rest := range p.partial {
		if rest != "" {
			p.log(fmt.Sprintf("[%s] | %s", p.name, rest))
		}
	}
	p.partial = nil
}

// classic reads the classic builder's text stream: "Step 2/5 : COPY …", " ---> Using cache".
func (p *progress) classic(text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "Step "):
			p.steps++
		case strings.Contains(line, "---> Using cache"):
			p.cached++
		}
		if strings.TrimSpace(line) != "" {
			p.log(fmt.Sprintf("[%s] %s", p.name, line))
		}
	}
}

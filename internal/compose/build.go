package compose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/moby/go-archive"
)

// Build builds every service with a build: section, with the engine's classic builder, tagged
// with the service's image (or <project>-<service>, as Compose names it).
func (r *Runner) Build(ctx context.Context, p *types.Project) error {
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		if s.Build == nil {
			continue
		}
		tag := s.Image
		if tag == "" {
			tag = p.Name + "-" + name
		}
		r.Infof("building %s from %s", tag, s.Build.Context)
		tarball, err := archive.TarWithOptions(s.Build.Context, &archive.TarOptions{})
		if err != nil {
			return fmt.Errorf("service %s: build context %s: %w", name, s.Build.Context, err)
		}
		args := map[string]*string{}
		for k, v := range s.Build.Args {
			args[k] = v
		}
		resp, err := r.Docker.ImageBuild(ctx, tarball, build.ImageBuildOptions{
			Tags: []string{tag}, Dockerfile: s.Build.Dockerfile, Target: s.Build.Target, BuildArgs: args,
			Remove: true, ForceRemove: true, Labels: map[string]string{labelProject: p.Name, labelService: name},
		})
		_ = tarball.Close()
		if err != nil {
			return fmt.Errorf("service %s: build: %w", name, err)
		}
		err = readBuild(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("service %s: build: %w", name, err)
		}
	}
	return nil
}

// readBuild reads the engine's JSON stream to its end: a failed build still answers 200 and says
// so in an errorDetail message.
func readBuild(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if m.Error != nil {
			return errors.New(m.Error.Message)
		}
	}
}

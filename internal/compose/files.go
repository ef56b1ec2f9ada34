package compose

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// copyFiles puts the service's secrets (at /run/secrets/<name>) and configs (at /<name>) into its
// created container, from a file, an environment variable or inline content, as docker compose
// does for a project that runs without Swarm. Copying rather than bind-mounting keeps them working
// in a container action, whose files are not the engine's.
func (r *Runner) copyFiles(ctx context.Context, p *types.Project, s types.ServiceConfig, id string) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	n := 0
	add := func(kind string, ref types.FileReferenceConfig, def types.FileObjectConfig, dir string) error {
		data, err := fileContent(p, def)
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind, ref.Source, err)
		}
		target := cmpOr(ref.Target, ref.Source)
		if !path.IsAbs(target) {
			target = path.Join(dir, target)
		}
		mode := int64(0o444)
		if ref.Mode != nil {
			mode = int64(*ref.Mode)
		}
		uid, _ := strconv.Atoi(cmpOr(ref.UID, "0"))
		gid, _ := strconv.Atoi(cmpOr(ref.GID, "0"))
		n++
		if err := tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(target, "/"), Mode: mode, Size: int64(len(data)),
			Uid: uid, Gid: gid, ModTime: time.Now(), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	}
	for _, sec := range s.Secrets {
		if err := add("secret", types.FileReferenceConfig(sec), types.FileObjectConfig(p.Secrets[sec.Source]), "/run/secrets"); err != nil {
			return err
		}
	}
	for _, c := range s.Configs {
		if err := add("config", types.FileReferenceConfig(c), types.FileObjectConfig(p.Configs[c.Source]), "/"); err != nil {
			return err
		}
	}
	if n == 0 {
		return nil
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := r.Docker.CopyToContainer(ctx, id, "/", &buf, container.CopyToContainerOptions{}); err != nil {
		return fmt.Errorf("copy secrets and configs into the container: %w", err)
	}
	return nil
}

// fileContent is a secret's or config's text.
func fileContent(p *types.Project, def types.FileObjectConfig) ([]byte, error) {
	switch {
	case def.File != "":
		return os.ReadFile(def.File)
	case def.Environment != "":
		v, ok := p.Environment[def.Environment]
		if !ok {
			return nil, fmt.Errorf("environment variable %s is not set", def.Environment)
		}
		return []byte(v), nil
	case def.Content != "":
		return []byte(def.Content), nil
	case bool(def.External):
		return nil, errors.New("external (Swarm) secrets and configs need Swarm")
	}
	return nil, errors.New("has no file, environment or content")
}

// postStart runs the service's post_start hooks in its started container, in order; a hook that
// fails fails the service, as docker compose up does.
func (r *Runner) postStart(ctx context.Context, s types.ServiceConfig, id string) error {
	for i, h := range s.PostStart {
		var env []string
		for k, v := range h.Environment {
			if v != nil {
				env = append(env, k+"="+*v)
			}
		}
		ex, err := r.Docker.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: h.Command, User: h.User,
			Privileged: h.Privileged, WorkingDir: h.WorkingDir, Env: env, AttachStdout: true, AttachStderr: true})
		if err != nil {
			return fmt.Errorf("service %s: post_start hook %d: %w", s.Name, i+1, err)
		}
		att, err := r.Docker.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
		if err != nil {
			return fmt.Errorf("service %s: post_start hook %d: %w", s.Name, i+1, err)
		}
		var out bytes.Buffer
		_, err = stdcopy.StdCopy(&out, &out, att.Reader)
		att.Close()
		if err != nil {
			return fmt.Errorf("service %s: post_start hook %d: %w", s.Name, i+1, err)
		}
		st, err := r.Docker.ContainerExecInspect(ctx, ex.ID)
		if err != nil {
			return fmt.Errorf("service %s: post_start hook %d: %w", s.Name, i+1, err)
		}
		if st.ExitCode != 0 {
			return fmt.Errorf("service %s: post_start hook %d (%s) exited %d: %s", s.Name, i+1,
				strings.Join(h.Command, " "), st.ExitCode, strings.TrimSpace(cut(out.String(), 2000)))
		}
	}
	return nil
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

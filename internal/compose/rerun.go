package compose

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/compose/v5/pkg/api"
)

// Rerun is a second run of the test service against the platform the first run left up.
type Rerun struct {
	Command  []string // the test service's command in that run, as argv
	ExitCode int
	Reports  []string // its report files, copied to Options.RerunReportsDir
	FirstLog string   // the first run's log (the logs kept at the end are the second run's)
	Took     time.Duration
}

// rerun runs the test service again with the command o.Rerun gives, in a new container, while its
// dependencies keep running untouched: what `docker compose up --no-deps --force-recreate <test
// service>` does, through Compose's own engine as the first run, with the command replaced and no
// anonymous volume inherited (as `docker compose run --rm <test service> <command>` gets none).
// Compose's RunOneOffContainer is not used: it resets the process's signal handlers
// (signal.Reset in pkg/compose/run.go), and run-e2e's teardown on a cancel depends on them.
func (s *session) rerun(ctx context.Context, res *Result) error {
	ids, err := s.containers(ctx)
	if err != nil {
		return err
	}
	first := ids[s.o.TestService]
	exists := func(p string) bool {
		if !path.IsAbs(p) {
			p = path.Join(cmpOr(res.WorkingDir, "/"), p)
		}
		_, err := s.r.Docker.ContainerStatPath(ctx, first, p)
		return err == nil
	}
	cmd := s.o.Rerun(ctx, res, exists)
	if len(cmd) == 0 {
		return nil
	}
	start := time.Now()
	rr := &Rerun{Command: cmd, ExitCode: -1}
	res.Rerun = rr
	tail := s.o.LogsTail
	if tail <= 0 {
		tail = 200 // as collectLogs
	}
	if text, err := s.r.logs(ctx, first, s.p.Services[s.o.TestService].Tty, tail); err == nil {
		rr.FirstLog = s.o.redact(text)
		if s.o.ArtifactsDir != "" {
			if _, err := WriteFile(s.r.Workspace, s.o.ArtifactsDir, s.o.TestService+".first-run.log", []byte(rr.FirstLog)); err != nil {
				s.r.infof("artifact %s.first-run.log: %v", s.o.TestService, err)
			}
		}
	}
	pc, err := s.r.forEngine(s.p)
	if err != nil {
		return err
	}
	svc := pc.Services[s.o.TestService]
	svc.Command = types.ShellCommand(cmd)
	pc.Services[s.o.TestService] = svc
	if pc, err = pc.WithSelectedServices([]string{s.o.TestService}, types.IgnoreDependencies); err != nil {
		return err
	}
	s.r.infof("re-running the failed cases: test service %s again, its dependencies left running", s.o.TestService)
	opts := api.UpOptions{
		Create: api.CreateOptions{Services: []string{s.o.TestService}, Recreate: api.RecreateForce,
			RecreateDependencies: api.RecreateNever, Inherit: false, IgnoreOrphans: true, QuietPull: true},
		Start: api.StartOptions{Project: pc, Services: []string{s.o.TestService}, WaitTimeout: s.o.WaitTimeout},
	}
	if err := s.eng.Up(ctx, pc, opts); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("run-e2e stopped while re-running the failed cases: %w", context.Cause(ctx))
		}
		return fmt.Errorf("re-run test service %s: %w", s.o.TestService, err)
	}
	id, code, err := s.await(ctx)
	if err != nil {
		return err
	}
	rr.ExitCode = code
	if s.o.Reports != "" && s.o.RerunReportsDir != "" {
		rr.Reports, err = s.copyReports(ctx, id, s.o.RerunReportsDir)
	}
	rr.Took = time.Since(start)
	return err
}

package buildpushimages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/docker/go-units"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/factory"
	"github.com/slipway-actions/slipway/internal/failure"
	"github.com/slipway-actions/slipway/internal/github"
	"github.com/slipway-actions/slipway/internal/images"
	"github.com/slipway-actions/slipway/internal/registry"
	"github.com/slipway-actions/slipway/internal/registryauth"
)

// buildPush computes the tags, builds every image, checks every registry, then pushes. A build
// that fails exits 1; credentials, repositories or immutable tags that would refuse the push exit 2
// before anything is pushed; a registry or ECR that cannot be reached during the check exits 3
// before anything is pushed, and one that fails during the push exits 3, saying which registry
// holds what.
func buildPush(ctx context.Context, k *actionkit.Kit, cfg config) error {
	start := time.Now()
	clients := factory.New(k.Getenv, k.Debugf)
	ref := gitRef(ctx, k, clients, cfg.Workspace)
	origin, releases := repositoryFacts(ctx, k, clients, cfg)
	tags, err := images.ComputeTags(cfg.Rules, cfg.Flavor, ref, releases)
	if err != nil {
		return failure.BadInput(fmt.Errorf("input \"tags\": %w", err))
	}
	for _, n := range tags.Notes {
		k.Infof("%s", n)
	}
	k.Infof("tags for %s %s: %s", ref.Event, ref.Ref, strings.Join(tags.Tags, ", "))
	logins, err := registryauth.Open(registryauth.Sources{Given: givenLogins(cfg), Dir: clients.DockerConfigDir()})
	if err != nil {
		return failure.BadInput(err)
	}
	if cfg.Remote.needed(cfg.Images) {
		return buildPushRemote(ctx, k, cfg, ref, origin, tags, logins, clients)
	}
	cli, err := clients.Docker(ctx)
	if err != nil {
		return err
	}
	defer cli.Close()

	reqs := buildRequests(cfg.Images, origin, tags)
	k.Group(fmt.Sprintf("build %d images", len(reqs)))
	log := k.Untrusted() // RUN output of the user's Dockerfiles
	b := &images.Builder{Docker: cli, Log: log, Infof: k.Infof, Force: cfg.Builder, Login: logins.Find}
	built, err := b.Build(ctx, reqs, images.Options{Secrets: cfg.Secrets, CacheFrom: cfg.CacheFrom, InlineCache: cfg.InlineCache})
	_ = log.Close()
	k.EndGroup()
	if err != nil {
		report(k, cfg, tags, built, nil, time.Since(start))
		if errors.As(err, new(*images.BuildError)) {
			return failure.Failed(err) // a Dockerfile step failed: the user's build, not ours
		}
		if errors.As(err, new(*images.BaseImageError)) {
			return failure.BadInput(fmt.Errorf("nothing was pushed: %w", err)) // a FROM image that does not exist or refused us
		}
		return err
	}
	if !cfg.Push {
		report(k, cfg, tags, built, nil, time.Since(start))
		return nil
	}

	p := &registry.Publisher{
		Docker: cli, Logins: logins,
		CreateRepositories: cfg.CreateRepositories, LifecyclePolicy: cfg.ECRLifecyclePolicy,
		Infof: k.Infof, Mask: k.AddMask,
	}
	if needsAWS(cfg.Registries) {
		if p.ECR, err = ecrClients(ctx, clients, cfg.AWSRegion); err != nil {
			return err
		}
	}
	var imgs []registry.Image
	for _, b := range built {
		imgs = append(imgs, registry.Image{Name: b.Spec.Name, ID: b.ID, Tags: tags.Tags})
	}
	plan, err := p.Check(ctx, imgs, cfg.Registries)
	if err != nil {
		report(k, cfg, tags, built, nil, time.Since(start))
		return checkFailed(k, err)
	}
	k.Group("push")
	results, err := p.Push(ctx, plan)
	k.EndGroup()
	report(k, cfg, tags, built, results, time.Since(start))
	if err != nil {
		return fmt.Errorf("%w\n%s", err, holdings(results))
	}
	return nil
}

// buildRequests asks for each image under every computed tag, with its OCI labels.
func buildRequests(specs []images.Spec, origin images.Origin, tags images.Tags) []images.Request {
	reqs := make([]images.Request, len(specs))
	for i, s := range specs {
		reqs[i] = images.Request{Spec: s, Labels: images.Labels(origin, s, tags.Version)}
		for _, t := range tags.Tags {
			reqs[i].Tags = append(reqs[i].Tags, s.Name+":"+t)
		}
	}
	return reqs
}

// givenLogins are username/password for every registry but ECR (whose token the push gets): the
// builds' FROM lines pull with the logins the push uses.
func givenLogins(cfg config) map[string]registryauth.Credentials {
	given := map[string]registryauth.Credentials{}
	for _, r := range cfg.Registries {
		if r.Kind != registry.ECR {
			given[r.Host] = registryauth.Credentials{Username: cfg.Username, Password: cfg.Password}
		}
	}
	return given
}

// containerHome is HOME inside a container action: the runner mounts $RUNNER_TEMP/_github_home there.
const containerHome = "/github/home"

// loginAdvice says how to give credentials to a registry that asked for them where there were none.
// In a container action that is the usual case after docker/login-action: it writes the runner user's
// ~/.docker/config.json on the host, which the action's container cannot see (actions/runner's
// ContainerActionHandler mounts only the workspace, $RUNNER_TEMP/_github_home as HOME,
// _github_workflow and _runner_file_commands, and translates environment values under them).
func loginAdvice(getenv func(string) string, err error) string {
	var nc *registry.NoCredentialsError
	if !errors.As(err, &nc) {
		return ""
	}
	var b strings.Builder
	if d := getenv("DOCKER_CONFIG"); d != "" {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			fmt.Fprintf(&b, "\nDOCKER_CONFIG is %s, which does not exist here.", d)
		}
	}
	if getenv("HOME") != containerHome {
		fmt.Fprintf(&b, "\nLog in first (docker login %s) or give \"username\" and \"password\".", nc.Registry.Host)
		return b.String()
	}
	b.WriteString("\nThis action runs in a container, which cannot read the runner's ~/.docker/config.json, where" +
		" docker/login-action logs in. Give \"username\" and \"password\", or let docker/login-action write" +
		" where the container sees it: before that step, add" +
		` run: echo "DOCKER_CONFIG=$RUNNER_TEMP/_github_home/.docker" >> "$GITHUB_ENV"` +
		" ($RUNNER_TEMP/_github_home is this container's HOME, " + containerHome + ").")
	return b.String()
}

// gitRef is the run's event and ref from GitHub's variables; a local run reads them from git.
func gitRef(ctx context.Context, k *actionkit.Kit, clients *factory.Factory, ws string) images.GitRef {
	ref := images.GitRef{Event: k.Getenv("GITHUB_EVENT_NAME"), Ref: k.Getenv("GITHUB_REF"), SHA: k.Getenv("GITHUB_SHA")}
	if ev, err := clients.Event(); err == nil {
		ref.DefaultBranch = ev.DefaultBranch()
	} else {
		k.Warningf("%v", err)
	}
	if ref.Ref != "" {
		return ref
	}
	git := func(args ...string) string {
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", ws}, args...)...).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	ref.Event, ref.SHA = "push", git("rev-parse", "HEAD")
	if tag := git("describe", "--tags", "--exact-match"); tag != "" {
		ref.Ref = "refs/tags/" + tag
	} else if b := git("symbolic-ref", "--short", "HEAD"); b != "" {
		ref.Ref = "refs/heads/" + b
	}
	if ref.SHA != "" {
		k.Infof("local run: %s at %s (from git)", ref.Ref, ref.SHA)
	}
	return ref
}

// repositoryFacts reads the repository's tags (to decide latest) and its description and licence
// (for the OCI labels): from all-tags when given, else from the GitHub API when there is a token.
func repositoryFacts(ctx context.Context, k *actionkit.Kit, clients *factory.Factory, cfg config) (images.Origin, []string) {
	run := github.RunFromEnv(k.Getenv)
	o := images.Origin{Revision: run.SHA, Created: time.Now()}
	if s := k.Getenv("GITHUB_SERVER_URL"); s != "" && run.Repository != "" {
		o.Source = strings.TrimRight(s, "/") + "/" + run.Repository
	}
	releases := cfg.AllTags
	if cfg.GitHubToken == "" || run.Repository == "" {
		return o, releases
	}
	c, _, err := clients.GitHub(cfg.GitHubToken)
	if err == nil {
		var repo github.Repository
		if repo, err = github.ReadRepository(ctx, c, run); err == nil {
			o.Description, o.Licenses = repo.Description, repo.License
			if releases == nil {
				releases = repo.Tags
			}
		}
	}
	if err != nil {
		k.Warningf("github-token: %v", err)
	}
	return o, releases
}

func needsAWS(regs []registry.Registry) bool {
	for _, r := range regs {
		if r.Kind == registry.ECR {
			return true
		}
	}
	return false
}

// ecrClients loads the AWS SDK's default credential chain (env, the web identity of
// configure-aws-credentials' OIDC, a profile) once, and makes a client per ECR region.
func ecrClients(ctx context.Context, clients *factory.Factory, region string) (func(string) (registry.ECRAPI, error), error) {
	cfg, err := clients.AWS(ctx, region)
	if errors.As(err, new(*factory.ConfigError)) {
		return nil, failure.BadInput(fmt.Errorf("ECR: %w", err))
	} else if err != nil {
		return nil, err
	}
	return func(hostRegion string) (registry.ECRAPI, error) {
		r := hostRegion
		if region != "" {
			r = region
		}
		return ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = r; o.RetryMaxAttempts = 5 }), nil
	}, nil
}

// imageOutput is one entry of the images output.
type imageOutput struct {
	Name   string   `json:"name"`
	ID     string   `json:"id,omitempty"` // none for an index merged on slipway's buildkitd
	Tags   []string `json:"tags"`
	Digest string   `json:"digest,omitempty"`
}

// report sets the outputs and writes the summary: one row per image and registry.
func report(k *actionkit.Kit, cfg config, tags images.Tags, built []images.Built, results []registry.Result, took time.Duration) {
	byName := map[string]registry.Result{}
	for _, r := range results {
		byName[r.Image.Name] = r
	}
	var out []imageOutput
	var rows [][]string
	for _, b := range built {
		o := imageOutput{Name: b.Spec.Name, ID: b.ID}
		r, pushed := byName[b.Spec.Name]
		if !pushed {
			for _, t := range tags.Tags {
				o.Tags = append(o.Tags, b.Spec.Name+":"+t)
			}
			rows = append(rows, []string{b.Spec.Name, strings.Join(tags.Tags, " "), registry.ShortDigest(b.ID), size(b.Size), "(not pushed)", b.Took.Round(time.Millisecond).String()})
		}
		o.Digest = r.Digest
		for _, d := range r.Destinations {
			o.Tags = append(o.Tags, d.Refs()...)
			state := d.Registry.String()
			switch {
			case d.Err != nil:
				state += " — FAILED"
			case len(d.Pushed) == 0:
				state += " (already there)"
			}
			rows = append(rows, []string{b.Spec.Name, strings.Join(append(append([]string(nil), d.Kept...), d.Pushed...), " "), registry.ShortDigest(r.Digest), size(r.Size), state, (b.Took + r.Took).Round(time.Millisecond).String()})
		}
		out = append(out, o)
	}
	data, _ := json.Marshal(out)
	_ = k.SetOutput("images", string(data))
	if len(out) > 0 {
		_ = k.SetOutput("tags", strings.Join(out[0].Tags, "\n"))
		_ = k.SetOutput("digest", out[0].Digest)
	}
	s := k.Summary()
	s.Heading(2, "build-push-images")
	s.Table([]string{"Image", "Tags", "Digest", "Size", "Registry", "Time"}, rows)
	if len(built) < len(cfg.Images) {
		s.Paragraph(fmt.Sprintf("%d of %d images failed to build; see the log.", len(cfg.Images)-len(built), len(cfg.Images)))
	}
	s.Paragraph("Took " + took.Round(time.Second).String() + ".")
}

// holdings says, after a failed push, which registry holds which references.
func holdings(results []registry.Result) string {
	var b strings.Builder
	for _, r := range results {
		for _, d := range r.Destinations {
			if refs := d.Refs(); len(refs) > 0 {
				fmt.Fprintf(&b, "%s holds %s\n", d.Registry, strings.Join(refs, ", "))
			} else {
				fmt.Fprintf(&b, "%s holds nothing of %s\n", d.Registry, r.Image.Name)
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// size is an image's size for the summary; empty when unknown.
func size(n int64) string {
	if n == 0 {
		return ""
	}
	return units.BytesSize(float64(n))
}

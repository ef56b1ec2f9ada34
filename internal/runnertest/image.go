package runnertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/slipway-actions/slipway/internal/docker"
	"github.com/slipway-actions/slipway/internal/dockertest"
	"github.com/slipway-actions/slipway/internal/images"
)

// ImageEnv names the variable that gives the tests a prebuilt image instead of one Image builds:
// SLIPWAY_TEST_IMAGE=<tag or image ID>, which the engine must hold. The release (publish.yml) builds
// the image it ships once, runs the tests in it, then pushes that very image.
const ImageEnv = "SLIPWAY_TEST_IMAGE"

// shipped is the image of this test binary, resolved once by Image; Main removes it if Image built it.
var shipped struct {
	once  sync.Once
	ref   string
	built bool
	how   string
	err   error
}

// Image returns the image the tests run the actions in: the one ImageEnv names, else the image built
// from the repository's root Dockerfile, what CI ships. Either is resolved once per test binary
// (BuildKit's cache keeps the Debian packages' layer from one build to the next).
func Image(t testing.TB) string {
	t.Helper()
	cli := dockertest.Client(t)
	shipped.once.Do(func() {
		shipped.ref, shipped.built, shipped.how, shipped.err = shippedImage(context.Background(), cli, os.Getenv(ImageEnv), buildShipped)
	})
	if shipped.err != nil {
		t.Fatal(shipped.err)
	}
	t.Logf("image %s, %s", shipped.ref, shipped.how)
	return shipped.ref
}

// shippedImage resolves the image of the tests: given (ImageEnv's value) as the image ID the engine
// holds under that reference, never rebuilt; else what build makes, which the caller then owns.
func shippedImage(ctx context.Context, cli *client.Client, given string, build func(context.Context, *client.Client) (string, error)) (ref string, built bool, how string, err error) {
	if given != "" {
		img, err := cli.ImageInspect(ctx, given)
		if err != nil {
			return "", false, "", fmt.Errorf("%s=%s: the engine has no such image (%v); build it first (make image IMAGE=%s), or unset %s to have the tests build the root Dockerfile", ImageEnv, given, err, given, ImageEnv)
		}
		// The ID, not the reference: every test runs this image even if the tag moves meanwhile.
		return img.ID, false, fmt.Sprintf("given by %s=%s", ImageEnv, given), nil
	}
	start := time.Now()
	tag, err := build(ctx, cli)
	if err != nil {
		return "", false, "", fmt.Errorf("build the image from the root Dockerfile: %w", err)
	}
	return tag, true, fmt.Sprintf("built from the root Dockerfile in %s", time.Since(start).Round(time.Millisecond)), nil
}

// Main runs a test binary's tests, then removes the image if Image built it (an image ImageEnv names
// is left as it was). Call it from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if shipped.built {
		if cli, err := docker.Connect(context.Background(), ""); err == nil {
			_, _ = cli.ImageRemove(context.Background(), shipped.ref, image.RemoveOptions{Force: true, PruneChildren: true})
			_ = cli.Close()
		}
	}
	return code
}

// RepoRoot is the directory of the repository's go.mod, found upwards from the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

func buildShipped(ctx context.Context, cli *client.Client) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "slipway-image-context-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := copyContext(root, dir); err != nil {
		return "", err
	}
	if err := buildBinaries(ctx, root, filepath.Join(dir, "bin")); err != nil {
		return "", err
	}
	specs, err := images.ParseSpecs("slipway=.", dir)
	if err != nil {
		return "", err
	}
	if specs[0].BuildArgs, err = ensureBases(ctx, root, specs[0]); err != nil {
		return "", err
	}
	tag := fmt.Sprintf("slipway-test/slipway:%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	var log bytes.Buffer
	b := &images.Builder{Docker: cli, Log: &log, Infof: func(string, ...any) {}}
	_, err = b.Build(ctx, []images.Request{{Spec: specs[0], Tags: []string{tag}, Labels: map[string]string{dockertest.Label: tag}}}, images.Options{})
	if err != nil {
		return "", fmt.Errorf("%w\n%s", err, tail(log.String(), 60))
	}
	return tag, nil
}

// debianBase is a base image .ci/debian-image can make: debian:<suite> or debian:<suite>-slim, by tag
// or by digest.
var debianBase = regexp.MustCompile(`^(?:docker\.io/)?(?:library/)?debian:([a-z]+)(?:-slim)?(?:@sha256:[0-9a-f]{64})?$`)

// baseArg is the root Dockerfile's ARG that names its base (pinned by digest there).
const baseArg = "BASE"

// ensureBases makes sure the engine holds the base image of the root Dockerfile: pulled by its digest
// where a registry is reachable, else a Debian base made from Debian's packages under the name without
// the digest, which the returned build args then give as BASE.
func ensureBases(ctx context.Context, root string, spec images.Spec) (map[string]string, error) {
	bases := spec.Facts.BaseImages(nil, "")
	if len(bases) != 1 {
		return nil, fmt.Errorf("the root Dockerfile has bases %q: runnertest expects one, from ARG %s", bases, baseArg)
	}
	base := bases[0]
	m := debianBase.FindStringSubmatch(base)
	if m == nil {
		return nil, fmt.Errorf("base %s of the root Dockerfile: runnertest can make only debian:<suite>[-slim] bases on a machine that pulls nothing", base)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, ".ci", "debian-image"), "--pull", base, m[1])
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf(".ci/debian-image %s: %v\n%s", base, err, stderr.String())
	}
	return map[string]string{baseArg: strings.TrimSpace(string(out))}, nil
}

// ContextAdmits reads the root .dockerignore and reports whether a path (relative to the root, with
// slashes) enters the build context of `docker build .` at the root.
func ContextAdmits(root string) (func(rel string) bool, error) {
	f, err := os.Open(filepath.Join(root, ".dockerignore"))
	if err != nil {
		return nil, err
	}
	patterns, err := ignorefile.ReadAll(f)
	_ = f.Close()
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	return func(rel string) bool {
		skip, err := pm.MatchesOrParentMatches(rel)
		return err == nil && !skip
	}, nil
}

// copyContext copies into dir the files of root that the root .dockerignore lets into the build
// context, so the build sees what `docker build .` at the root would, except bin/ (built afresh).
func copyContext(root, dir string) error {
	admits, err := ContextAdmits(root)
	if err != nil {
		return err
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == ".git" || rel == "bin" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !admits(filepath.ToSlash(rel)) {
			return nil
		}
		return copyFile(p, filepath.Join(dir, rel))
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// buildBinaries builds the image's program into dir with the command the release uses: make binaries.
func buildBinaries(ctx context.Context, root, dir string) error {
	cmd := exec.CommandContext(ctx, "make", "-s", "binaries", "BIN="+dir)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("make binaries BIN=%s: %v\n%s", dir, err, out)
	}
	return nil
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

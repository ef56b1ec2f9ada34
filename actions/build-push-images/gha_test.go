package buildpushimages

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/images/imagestest"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

func TestBuildPush_GHACacheWithoutTheRunnersVariablesExits2BeforeAnyBuild(t *testing.T) {
	t.Parallel()
	r, _ := platform(t, "FROM scratch\nCOPY api.txt /\n")
	r.Input("registries", "registry.example").Input("cache-to", "type=gha,mode=max").Input("cache-from", "type=gha,version=2")
	r.Env["ACTIONS_CACHE_URL"] = "http://127.0.0.1:1/tok/" // a v1 service, but no token and no v2
	res := r.Run(t, context.Background(), Main)
	if res.Code != 2 {
		t.Fatalf("exit %d, want 2\n%s", res.Code, res.Stdout)
	}
	for _, want := range []string{
		`input "cache-to": ACTIONS_RUNTIME_TOKEN is not set`,
		`input "cache-from": ACTIONS_RUNTIME_TOKEN is not set`,
		`ACTIONS_RESULTS_URL is not set: the cache service v2 is reached through it`,
	} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("the log lacks %q:\n%s", want, res.Stdout)
		}
	}
	if strings.Contains(res.Stdout, "build api") || len(res.Outputs) > 0 {
		t.Errorf("something was built or output before the bad input was refused: outputs %v\n%s", res.Outputs, res.Stdout)
	}
}

// ghaDockerfile's RUN is in a builder stage whose file the image copies after api.txt, which each
// run of platform writes anew: only a mode=max cache keeps the RUN's result for the next run.
const ghaDockerfile = "FROM scratch AS build\nCOPY tool /tool\nRUN [\"/tool\", \"rand\", \"/expensive\"]\n" +
	"FROM scratch\nCOPY api.txt /api.txt\nCOPY --from=build /expensive /expensive\n"

// Two jobs of a release, each its own program (Guard and its child, as the runner starts a container
// action) on its own buildkitd, with the variables act gives a step and act's cache server: the
// second, with a changed source, takes the builder stage from the first's cache. The runtime token is
// then looked for, in every form LeakForms knows, everywhere the runs wrote: their logs (debug on),
// the summaries, outputs, files, a refused line that holds it, and the provenance pushed.
func TestBuildPush_GHACacheThroughActsServerAndTheTokenNeverShown(t *testing.T) {
	t.Parallel()
	needBuildkitd(t)
	act := imagestest.StartActCache(t)
	reg := registrytest.Start(t, registrytest.Options{})
	var texts []string
	job := func(inputs ...string) (int, map[string]string) {
		r, ws := platform(t, ghaDockerfile)
		r.Input("images", "- {name: api}\n").Input("registries", reg.Host).Input("provenance", "auto") // a tag: mode=max
		for i := 0; i+1 < len(inputs); i += 2 {
			r.Input(inputs[i], inputs[i+1])
		}
		r.Env["ACTIONS_CACHE_URL"], r.Env["ACTIONS_RUNTIME_TOKEN"] = act.URL, act.Token
		r.Env["ACTIONS_RESULTS_URL"] = "http://" + registrytest.ClosedPort(t) + "/" // act's artifact server: no cache there
		r.Env["HOME"], r.Env["RUNNER_DEBUG"] = t.TempDir(), "1"
		tmp, err := os.MkdirTemp("", "gha") // short: buildkitd's socket path has at most 104 bytes
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(tmp) })
		proc := r.Start(t, os.Args[0], []string{"-test.run=^$"}, actiontest.AsActionEnv+"=1", "TMPDIR="+tmp)
		code, ended := proc.Wait(8 * time.Minute)
		if !ended {
			t.Fatalf("still running after 8 minutes:\n%s", proc.Log())
		}
		texts = append(texts, actiontest.WithoutMaskCommands(proc.Log()))
		texts = append(texts, filesUnder(t, ws, r.Env["HOME"], filepath.Dir(r.OutputFile), tmp)...)
		outputs, err := actiontest.ParseFileCommands(readText(t, r.OutputFile))
		if err != nil {
			t.Fatal(err)
		}
		return code, outputs
	}
	code, cold := job("cache-to", "type=gha,mode=max")
	if code != 0 || act.Entries(t) == 0 {
		t.Fatalf("the first job: exit %d, %d entries in act's cache\n%s", code, act.Entries(t), texts[0])
	}
	code, warm := job("cache-from", "type=gha,token="+act.Token, "cache-to", "type=gha,mode=max")
	if code != 0 {
		t.Fatalf("the second job: exit %d\n%s", code, texts[len(texts)-1])
	}
	coldFile, coldProv := pushedFile(t, reg.Host, strings.TrimPrefix(cold["digests"], "api@"), "expensive")
	warmFile, warmProv := pushedFile(t, reg.Host, strings.TrimPrefix(warm["digests"], "api@"), "expensive")
	if len(coldFile) == 0 || string(coldFile) != string(warmFile) {
		t.Errorf("/expensive differs between the jobs (%d and %d bytes): the second ran the builder stage again", len(coldFile), len(warmFile))
	}
	texts = append(texts, coldProv, warmProv)
	if code, _ := job("cache-to", "type=gha,mode=all,token="+act.Token); code != 2 {
		t.Errorf("a bad gha line: exit %d, want 2", code)
	}
	for how, form := range actiontest.LeakForms(act.Token) {
		for _, text := range texts {
			if strings.Contains(text, form) {
				t.Errorf("the runtime token appears %s in:\n%s", how, text)
			}
		}
	}
}

// pushedFile reads a file of the image that a platform's push (an index: the image and its
// attestation) holds, and the text of the attestation.
func pushedFile(t *testing.T, host, digest, path string) (file []byte, attestations string) {
	t.Helper()
	ref, err := name.NewDigest(host + "/api@" + digest)
	if err != nil {
		t.Fatalf("digest %q: %v", digest, err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Manifests {
		img, err := idx.Image(c.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if c.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			attestations += string(layerBytes(t, img))
		} else {
			file = imagestest.FileIn(t, img, path)
		}
	}
	if attestations == "" {
		t.Errorf("%s has no attestation: a release should carry its provenance", digest)
	}
	return file, attestations
}

func layerBytes(t *testing.T, img v1.Image) []byte {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		_ = rc.Close()
		out = append(out, b...)
	}
	return out
}

// filesUnder is the text of every file under the directories (the run's workspace, HOME, the
// runner's files, TMPDIR), the tool binary excepted.
func filesUnder(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() == "tool" {
				return err
			}
			out = append(out, readText(t, p))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

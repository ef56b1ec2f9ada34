// Command push measures build-push-images' push against what a workflow does today: `docker push`
// to each registry in turn. Three images go to two registries (docker-registry on loopback, each
// behind a proxy that counts the blob bytes uploaded), fresh registries every round, the two ways
// interleaved. It prints the ratio of the medians, and the layer bytes a re-push of the unchanged
// images uploads.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/slipway-actions/slipway/internal/docker"
	"github.com/slipway-actions/slipway/internal/registry"
	"github.com/slipway-actions/slipway/internal/registry/registrytest"
)

func main() {
	rounds := flag.Int("rounds", 3, "rounds of each, interleaved")
	mib := flag.Int("mib", 24, "MiB of layer data per image")
	flag.Parse()
	if err := run(*rounds, *mib); err != nil {
		fmt.Fprintln(os.Stderr, "bench/push:", err)
		os.Exit(1)
	}
}

const nImages = 3

func run(rounds, mib int) error {
	ctx := context.Background()
	cli, err := docker.Connect(ctx, "")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-push")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ids, err := buildImages(dir, mib)
	if err != nil {
		return err
	}
	defer func() {
		for i := range nImages {
			_, _ = cli.ImageRemove(ctx, localRef(i), image.RemoveOptions{Force: true})
		}
	}()
	fmt.Printf("bench/push: %d images of %d MiB (base64 text: gzip has work to do) to 2 registries, %d rounds\n", nImages, mib, rounds)
	var ours, theirs []time.Duration
	var reBytes, reBytesDocker int64
	for round := range rounds {
		d, err := timeDockerPush(ctx, cli, dir, round)
		if err != nil {
			return err
		}
		theirs = append(theirs, d)
		d, rb, rbd, err := timeSlipway(ctx, cli, dir, round, ids)
		if err != nil {
			return err
		}
		ours = append(ours, d)
		reBytes, reBytesDocker = rb, rbd
		fmt.Printf("  round %d: docker push ×%d %6.2fs   slipway %6.2fs\n", round+1, 2*nImages, theirs[round].Seconds(), ours[round].Seconds())
	}
	mo, mt := median(ours), median(theirs)
	fmt.Printf("push ratio (slipway ÷ docker push to each registry in turn): %.2f  (goal ≤ 0.60; medians %.2fs / %.2fs)\n", mo.Seconds()/mt.Seconds(), mo.Seconds(), mt.Seconds())
	fmt.Printf("re-push of the unchanged images: slipway uploaded %d layer bytes, docker push %d (goal 0)\n", reBytes, reBytesDocker)
	return nil
}

func localRef(i int) string { return fmt.Sprintf("slipway-bench/push-%d:latest", i) }

// buildImages builds FROM scratch images, each with one layer of its own data.
func buildImages(dir string, mib int) ([]string, error) {
	var ids []string
	for i := range nImages {
		ctxDir := filepath.Join(dir, fmt.Sprintf("img%d", i))
		_ = os.MkdirAll(ctxDir, 0o755)
		raw := make([]byte, mib<<20*3/4)
		_, _ = rand.Read(raw)
		if err := os.WriteFile(filepath.Join(ctxDir, "data"), []byte(base64.StdEncoding.EncodeToString(raw)), 0o644); err != nil {
			return nil, err
		}
		_ = os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY data /data\n"), 0o644)
		if out, err := exec.Command("docker", "build", "-q", "-t", localRef(i), ctxDir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("docker build: %v\n%s", err, out)
		}
		out, err := exec.Command("docker", "image", "inspect", "-f", "{{.Id}}", localRef(i)).Output()
		if err != nil {
			return nil, err
		}
		ids = append(ids, strings.TrimSpace(string(out)))
	}
	return ids, nil
}

type pair struct {
	regs    []*registrytest.Registry
	proxies []*registrytest.Proxy
}

func startPair(dir string) (*pair, error) {
	p := &pair{}
	for range 2 {
		d, err := os.MkdirTemp(dir, "reg")
		if err != nil {
			return nil, err
		}
		r, err := registrytest.Launch(d, registrytest.Options{})
		if err != nil {
			return nil, err
		}
		p.regs = append(p.regs, r)
		p.proxies = append(p.proxies, registrytest.Listen(r.Host))
	}
	return p, nil
}

func (p *pair) stop() {
	for i := range p.regs {
		p.proxies[i].Close()
		p.regs[i].Stop()
	}
}

func (p *pair) uploaded() int64 {
	var n int64
	for _, x := range p.proxies {
		n += x.Uploaded()
	}
	return n
}

// timeDockerPush pushes every image to each registry in turn with the docker CLI.
func timeDockerPush(ctx context.Context, cli *client.Client, dir string, round int) (time.Duration, error) {
	p, err := startPair(dir)
	if err != nil {
		return 0, err
	}
	defer p.stop()
	var refs []string
	for i := range nImages {
		for _, x := range p.proxies {
			ref := fmt.Sprintf("%s/bench/push-%d:r%d", x.Host, i, round)
			if err := cli.ImageTag(ctx, localRef(i), ref); err != nil {
				return 0, err
			}
			refs = append(refs, ref)
		}
	}
	defer untag(ctx, cli, refs)
	start := time.Now()
	for _, ref := range refs {
		if out, err := exec.Command("docker", "push", "-q", ref).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("docker push %s: %v\n%s", ref, err, out)
		}
	}
	return time.Since(start), nil
}

// timeSlipway publishes the three images to both registries with the action's publisher, then
// publishes them again unchanged (and docker-pushes them again) and counts the layer bytes.
func timeSlipway(ctx context.Context, cli *client.Client, dir string, round int, ids []string) (time.Duration, int64, int64, error) {
	p, err := startPair(dir)
	if err != nil {
		return 0, 0, 0, err
	}
	defer p.stop()
	var regs []registry.Registry
	for _, x := range p.proxies {
		r, err := registry.Parse(x.Host + "/bench")
		if err != nil {
			return 0, 0, 0, err
		}
		regs = append(regs, r)
	}
	var imgs []registry.Image
	for i, id := range ids {
		imgs = append(imgs, registry.Image{Name: fmt.Sprintf("push-%d", i), ID: id, Tags: []string{fmt.Sprintf("r%d", round)}})
	}
	pub := &registry.Publisher{Docker: cli}
	publish := func() ([]registry.Result, error) {
		plan, err := pub.Check(ctx, imgs, regs)
		if err != nil {
			return nil, err
		}
		return pub.Push(ctx, plan)
	}
	start := time.Now()
	results, err := publish()
	took := time.Since(start)
	var refs []string
	for i, r := range results {
		for _, d := range r.Destinations {
			for _, ref := range d.Refs() {
				// the copies never passed through the engine: tag them there for docker's re-push
				if err := cli.ImageTag(ctx, localRef(i), ref); err != nil {
					return 0, 0, 0, err
				}
				refs = append(refs, ref)
			}
		}
	}
	defer untag(ctx, cli, refs)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, x := range p.proxies {
		x.ResetUploaded()
	}
	if _, err := publish(); err != nil {
		return 0, 0, 0, err
	}
	ours := p.uploaded()
	for _, x := range p.proxies {
		x.ResetUploaded()
	}
	for _, ref := range refs {
		if out, err := exec.Command("docker", "push", "-q", ref).CombinedOutput(); err != nil {
			return 0, 0, 0, fmt.Errorf("docker push %s: %v\n%s", ref, err, out)
		}
	}
	return took, ours, p.uploaded(), nil
}

func untag(ctx context.Context, cli *client.Client, refs []string) {
	for _, r := range refs {
		_, _ = cli.ImageRemove(ctx, r, image.RemoveOptions{})
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

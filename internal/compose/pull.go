package compose

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"
	"github.com/docker/go-units"
	"golang.org/x/sync/errgroup"
)

// Pulled is an image pulled for the run.
type Pulled struct {
	Image    string
	Services []string
	Took     time.Duration
	Bytes    int64 // downloaded, as the engine counted it (layers the engine had are not counted)
}

// PullFailure says why a pull failed, in the terms a user acts on.
type PullFailure int

// Why a pull failed.
const (
	PullFailed      PullFailure = iota // anything else the engine said
	PullNotFound                       // the registry has no such image
	PullRefused                        // the registry refused us: no login, or one that may not pull it
	PullUnreachable                    // the registry did not answer
	PullAmbiguous                      // Docker Hub's answer to an anonymous pull of a missing or private image
)

// PullError is an image the engine could not pull.
type PullError struct {
	Image, Registry string
	Services        []string
	Reason          PullFailure
	Login           string // where the login presented came from; "" for an anonymous pull
	Err             error  // the engine's words
}

func (e *PullError) Error() string {
	what := fmt.Sprintf("pull %s (service %s)", e.Image, strings.Join(e.Services, ", "))
	login := "without a login"
	if e.Login != "" {
		login = "with the login from " + e.Login
	}
	switch e.Reason {
	case PullNotFound:
		return fmt.Sprintf("%s: the image does not exist: %s has no such repository or tag (%v) — check the name and tag, or push it first", what, e.Registry, e.Err)
	case PullRefused:
		return fmt.Sprintf("%s: registry %s refused us, %s (%v) — log in to %s before this step, or give a login for it", what, e.Registry, login, e.Err, e.Registry)
	case PullAmbiguous:
		return fmt.Sprintf("%s: the image does not exist, or it is private and %s refused us %s (Docker Hub answers both alike: %v)", what, e.Registry, login, e.Err)
	case PullUnreachable:
		return fmt.Sprintf("%s: registry %s did not answer: %v", what, e.Registry, e.Err)
	}
	return fmt.Sprintf("%s: %v", what, e.Err)
}

func (e *PullError) Unwrap() error { return e.Err }

// classify reads the engine's error: typed where the engine types it, else its words (engines of
// API 1.41 answer 500 for a refusal).
func classify(err error) PullFailure {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "repository does not exist or may require"):
		return PullAmbiguous
	case cerrdefs.IsNotFound(err), strings.Contains(msg, "manifest unknown"), strings.Contains(msg, "name unknown"), strings.Contains(msg, "not found"):
		return PullNotFound
	case cerrdefs.IsUnauthorized(err), cerrdefs.IsPermissionDenied(err), strings.Contains(msg, "unauthorized"),
		strings.Contains(msg, "no basic auth credentials"), strings.Contains(msg, "authentication required"),
		strings.Contains(msg, "denied"), strings.Contains(msg, "forbidden"):
		return PullRefused
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"),
		strings.Contains(msg, "i/o timeout"), strings.Contains(msg, "dial tcp"), strings.Contains(msg, "tls:"),
		strings.Contains(msg, "http response to https client"):
		return PullUnreachable
	}
	return PullFailed
}

// pullJobs is how many images are pulled at once.
const pullJobs = 4

// pullWant is one image to pull and the services that need it.
type pullWant struct {
	image    string
	services []string
}

// pull pulls every image at once (a few at a time), printing each one's progress at the runner's
// readable rate rather than a line per layer. It returns what was pulled and one error per image that
// was not, each a *PullError.
func (r *Runner) pull(ctx context.Context, wants []pullWant, platform map[string]string) ([]Pulled, []error) {
	prog := &pullProgress{images: map[string]*imageProgress{}}
	every := r.ProgressEvery
	if every <= 0 {
		every = 5 * time.Second
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				for _, line := range prog.lines() {
					r.infof("%s", line)
				}
			}
		}
	}()
	pulled := make([]Pulled, len(wants))
	errs := make([]error, len(wants))
	var g errgroup.Group
	g.SetLimit(pullJobs)
	for i, w := range wants {
		g.Go(func() error {
			pulled[i], errs[i] = r.pullOne(ctx, w, platform[w.image], prog)
			return nil
		})
	}
	_ = g.Wait()
	close(stop)
	<-done
	var out []Pulled
	var failed []error
	for i := range wants {
		if errs[i] != nil {
			failed = append(failed, errs[i])
		} else {
			out = append(out, pulled[i])
		}
	}
	return out, failed
}

func (r *Runner) pullOne(ctx context.Context, w pullWant, platform string, prog *pullProgress) (Pulled, error) {
	start := time.Now()
	res := Pulled{Image: w.image, Services: w.services}
	host, err := imageRegistry(w.image)
	if err != nil {
		return res, &PullError{Image: w.image, Services: w.services, Err: err}
	}
	fail := func(err error, login string) error {
		if ctx.Err() != nil {
			return fmt.Errorf("pull %s: %w", w.image, context.Cause(ctx))
		}
		return &PullError{Image: w.image, Registry: host, Services: w.services, Reason: classify(err), Login: login, Err: err}
	}
	auth, login, err := pullAuth(r.Logins, host)
	if err != nil {
		return res, fail(err, "")
	}
	via := ""
	if login != "" {
		via = " with the login from " + login
	}
	r.infof("pulling %s for %s%s", w.image, strings.Join(w.services, ", "), via)
	rc, err := r.Docker.ImagePull(ctx, w.image, image.PullOptions{RegistryAuth: auth, Platform: platform})
	if err != nil {
		return res, fail(err, login)
	}
	defer rc.Close()
	ip := prog.start(w.image)
	dec := json.NewDecoder(rc)
	for {
		var m jsonmessage.JSONMessage
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return res, fail(err, login)
		}
		if m.Error != nil {
			return res, fail(errors.New(m.Error.Message), login)
		}
		ip.update(m)
	}
	// The engine leaves LastTagTime zero for an image it had no layer of: tag it to itself, so the
	// interval policies (daily, every_…) of the next run know when it was pulled.
	if err := r.Docker.ImageTag(ctx, w.image, w.image); err != nil {
		r.infof("pulled %s, but could not record when: %v", w.image, err)
	}
	res.Took, res.Bytes = time.Since(start), prog.finish(w.image)
	r.infof("pulled %s in %s (%s downloaded)", w.image, res.Took.Round(100*time.Millisecond), units.HumanSize(float64(res.Bytes)))
	return res, nil
}

// pullProgress is what the engine has said of every pull under way, summed per image.
type pullProgress struct {
	mu     sync.Mutex
	images map[string]*imageProgress
}

type imageProgress struct {
	mu     *sync.Mutex
	layers map[string]*layer
	order  []string
}

type layer struct {
	current, total int64
	done           bool
}

func (p *pullProgress) start(img string) *imageProgress {
	p.mu.Lock()
	defer p.mu.Unlock()
	ip := &imageProgress{mu: &p.mu, layers: map[string]*layer{}}
	p.images[img] = ip
	return ip
}

// update applies one message of the engine's pull stream: a layer's phase and bytes.
func (ip *imageProgress) update(m jsonmessage.JSONMessage) {
	if m.ID == "" || strings.Contains(m.Status, "Pulling from") {
		return
	}
	ip.mu.Lock()
	defer ip.mu.Unlock()
	l, ok := ip.layers[m.ID]
	if !ok {
		l = &layer{}
		ip.layers[m.ID] = l
		ip.order = append(ip.order, m.ID)
	}
	switch m.Status {
	case "Downloading":
		if m.Progress != nil {
			l.current, l.total = m.Progress.Current, m.Progress.Total
		}
	case "Download complete", "Verifying Checksum":
		if l.total > 0 {
			l.current = l.total
		}
	case "Pull complete", "Already exists":
		l.done = true
		if l.total > 0 {
			l.current = l.total
		}
	}
}

// finish removes an image from the progress and returns the bytes it downloaded.
func (p *pullProgress) finish(img string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var n int64
	if ip := p.images[img]; ip != nil {
		for _, l := range ip.layers {
			n += l.current
		}
	}
	delete(p.images, img)
	return n
}

// lines is one line per image still being pulled: "pulling db: 45.2MB of 130.1MB, 3/7 layers done".
func (p *pullProgress) lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, img := range slices.Sorted(maps.Keys(p.images)) {
		ip := p.images[img]
		var done int
		var cur, total int64
		for _, l := range ip.layers {
			if l.done {
				done++
			}
			cur += l.current
			total += l.total
		}
		line := fmt.Sprintf("pulling %s: ", img)
		switch {
		case total == 0:
			line += "starting"
		case cur < total:
			line += fmt.Sprintf("%s of %s", units.HumanSize(float64(cur)), units.HumanSize(float64(total)))
		default:
			line += fmt.Sprintf("%s downloaded, extracting", units.HumanSize(float64(total)))
		}
		out = append(out, line+fmt.Sprintf(", %d/%d layers done", done, len(ip.layers)))
	}
	return out
}

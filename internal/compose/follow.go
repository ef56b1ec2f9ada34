package compose

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// maxLine is how much of one line a tailBuffer keeps.
const maxLine = 64 << 10

// maxLogBytes is how much of one service's output a tailBuffer keeps, whatever logs-tail says: a
// service printing gigabytes costs the run no more than this.
const maxLogBytes = 4 << 20

// tailBuffer keeps the last lines written to it, at most max lines and maxLogBytes: what a container
// printed, as it prints it.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	lines   []string
	bytes   int // of lines
	partial []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		b.lines = append(b.lines, string(b.partial[:i]))
		b.bytes += i + 1
		b.partial = b.partial[i+1:]
		for len(b.lines) > b.max || b.bytes > maxLogBytes {
			b.bytes -= len(b.lines[0]) + 1
			b.lines[0] = ""
			b.lines = b.lines[1:]
		}
	}
	if len(b.partial) > maxLine { // of a line that never ends, its last part is kept
		b.partial = b.partial[len(b.partial)-maxLine:]
	}
	return len(p), nil
}

// String is the kept lines, and a last line not yet ended.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.Join(b.lines, "\n")
	if len(b.lines) > 0 {
		s += "\n"
	}
	return s + string(b.partial)
}

// followers read every container's output while the run goes on, so that a cancelled run, which
// removes the containers before anything else, still has their last lines to keep.
type followers struct {
	tail    int
	wg      sync.WaitGroup
	mu      sync.Mutex
	stopped bool                   // no more followers: teardown is waiting for the ones there are
	pending int                    // followers whose logs request the engine has not answered yet
	bufs    map[string]*tailBuffer // service → its output, once the engine answered its logs request
}

// connected waits until every follower's logs request is answered, at most d: a cancel removes the
// containers next, and a request that arrives after that gets nothing.
func (f *followers) connected(d time.Duration) {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		f.mu.Lock()
		n := f.pending
		f.mu.Unlock()
		if n == 0 {
			return
		}
	}
}

// stop refuses any further follower, so that waiting for wg is safe.
func (f *followers) stop() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
}

func newFollowers(tail int) *followers {
	if tail <= 0 {
		tail = 200
	}
	return &followers{tail: tail, bufs: map[string]*tailBuffer{}}
}

// follow reads the output of svc's container id until it stops, is removed or ctx ends.
func (f *followers) follow(ctx context.Context, cli interface {
	ContainerLogs(context.Context, string, container.LogsOptions) (io.ReadCloser, error)
}, svc, id string, tty bool) {
	buf := &tailBuffer{max: f.tail}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	f.pending++
	f.wg.Go(func() {
		rc, err := cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
		f.mu.Lock()
		f.pending--
		if err == nil {
			f.bufs[svc] = buf
		}
		f.mu.Unlock()
		if err != nil {
			return
		}
		defer rc.Close()
		if tty {
			_, _ = io.Copy(buf, rc)
		} else {
			_, _ = stdcopy.StdCopy(buf, buf, rc)
		}
	})
}

// text returns what svc printed, the last lines of it; ok is false for a service never started.
func (f *followers) text(svc string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.bufs[svc]
	if !ok {
		return "", false
	}
	return b.String(), true
}

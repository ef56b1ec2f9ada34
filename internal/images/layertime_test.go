package images

import (
	"strings"
	"testing"
	"time"

	bkclient "github.com/moby/buildkit/client"
)

func TestLayerTimer_CountsPullsAndExtractionsOnceEachInWallTime(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) *time.Time { v := t0.Add(time.Duration(ms) * time.Millisecond); return &v }
	a, b := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	const vtx = "sha256:0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c" // the COPY the layers are for
	var lt layerTimer
	// Two layers pulled at once (0–400 and 100–500 ms); a's extraction is restated later (the last
	// word on a status wins) and b's never completes. The statuses come in pieces, as buildkitd
	// sends them: started first, completed later.
	lt.add([]*bkclient.VertexStatus{
		{Vertex: vtx, ID: a, Started: at(0)},
		{Vertex: vtx, ID: b, Started: at(100)},
		{Vertex: vtx, ID: "exporting layers", Started: at(0), Completed: at(5000)},
		{Vertex: vtx, ID: "transferring context:", Started: at(0), Completed: at(5000)},
	})
	lt.add([]*bkclient.VertexStatus{
		{Vertex: vtx, ID: a, Started: at(0), Completed: at(400)},
		{Vertex: vtx, ID: b, Started: at(100), Completed: at(500)},
		{Vertex: vtx, ID: "extracting " + a, Started: at(500), Completed: at(900)},
		{Vertex: vtx, ID: "extracting " + b, Started: at(900)}, // never completed: not counted
	})
	lt.add([]*bkclient.VertexStatus{{Vertex: vtx, ID: "extracting " + a, Started: at(1000), Completed: at(1200)}})
	got := lt.times()
	if got.Pulling != 500*time.Millisecond || got.Extracting != 200*time.Millisecond {
		t.Errorf("pulling %v, extracting %v; want 500ms (two pulls overlapping) and 200ms", got.Pulling, got.Extracting)
	}
}

func TestUnion_MergesOverlapsAndAddsGaps(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	iv := func(a, b int) [2]time.Time {
		return [2]time.Time{t0.Add(time.Duration(a) * time.Second), t0.Add(time.Duration(b) * time.Second)}
	}
	for _, tc := range []struct {
		in   [][2]time.Time
		want time.Duration
	}{
		{nil, 0},
		{[][2]time.Time{iv(0, 2)}, 2 * time.Second},
		{[][2]time.Time{iv(5, 7), iv(0, 2)}, 4 * time.Second},
		{[][2]time.Time{iv(0, 4), iv(1, 2), iv(3, 6)}, 6 * time.Second},
		{[][2]time.Time{iv(0, 1), iv(1, 2)}, 2 * time.Second},
	} {
		if got := union(tc.in); got != tc.want {
			t.Errorf("union(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

package compose

import (
	"strings"
	"testing"
)

func TestTailBuffer_KeepsTheLastLinesAsTheyArrive(t *testing.T) {
	t.Parallel()
	b := &tailBuffer{max: 3}
	for _, chunk := range []string{"one\ntw", "o\nthree\n", "four\nfi", "ve"} {
		if n, err := b.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := b.String(); got != "two\nthree\nfour\nfive" {
		t.Errorf("kept %q", got)
	}
	long := &tailBuffer{max: 2}
	_, _ = long.Write([]byte(strings.Repeat("x", 70<<10)))
	_, _ = long.Write([]byte("end\n"))
	if got := long.String(); len(got) > maxLine+len("end\n") || !strings.HasSuffix(got, "xxend\n") {
		t.Errorf("a line that never ends keeps %d bytes, want its last %d", len(got), maxLine)
	}
}

// A service that prints more than logs-tail's lines can hold keeps at most maxLogBytes of its last
// lines, whatever logs-tail says.
func TestTailBuffer_KeepsAtMostMaxLogBytes(t *testing.T) {
	t.Parallel()
	b := &tailBuffer{max: 100000}
	line := strings.Repeat("y", 1023) + "\n"
	for range 3 * maxLogBytes / len(line) {
		_, _ = b.Write([]byte(line))
	}
	_, _ = b.Write([]byte("last\n"))
	if got := b.String(); len(got) > maxLogBytes || !strings.HasSuffix(got, "y\nlast\n") {
		t.Errorf("kept %d bytes (want at most %d), ending %q", len(got), maxLogBytes, got[max(0, len(got)-10):])
	}
}

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

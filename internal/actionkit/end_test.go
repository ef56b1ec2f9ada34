package actionkit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/actionkit/actiontest"
	"github.com/slipway-actions/slipway/internal/failure"
)

// The end-of-run hooks see every annotation, past GitHub's 10 per level too, the exit code and
// class Run returns, and the summary; what they add to the summary is written.
func TestAtEnd_SeesEveryAnnotationAndTheExitCode(t *testing.T) {
	t.Parallel()
	r := actiontest.NewRunner(t)
	var out bytes.Buffer
	k := actionkit.New("test-action", []byte(testYML), actionkit.WithGetenv(r.Getenv), actionkit.WithStdout(&out), actionkit.WithArgs(nil))
	var got []actionkit.Outcome
	code := k.Run(context.Background(), func(ctx context.Context) error {
		k.AtEnd(func(_ context.Context, o actionkit.Outcome) {
			got = append(got, o)
			k.Summary().Paragraph("published")
		})
		k.Summary().Paragraph("before the end")
		for i := range 15 {
			k.Annotate(actionkit.Annotation{Level: actionkit.LevelError, File: "a.py", Line: i + 1, Message: fmt.Sprint("finding ", i)})
		}
		return failure.Failed(errors.New("15 findings"))
	})
	if code != 1 || len(got) != 1 {
		t.Fatalf("exit %d, hooks called %d times; want 1 and once", code, len(got))
	}
	o := got[0]
	if o.Code != 1 || o.Class != failure.Checked || o.Cancelled {
		t.Errorf("outcome code %d class %v cancelled %v, want 1, failed, not cancelled", o.Code, o.Class, o.Cancelled)
	}
	files := 0
	for _, a := range o.Annotations {
		if a.File == "a.py" {
			files++
		}
	}
	if files != 15 {
		t.Errorf("%d annotations on a.py, want 15", files)
	}
	if !strings.Contains(o.Summary, "before the end") {
		t.Errorf("summary %q", o.Summary)
	}
	if b, err := os.ReadFile(r.SummaryFile); err != nil || !strings.Contains(string(b), "published") {
		t.Errorf("what the hook added to the summary was not written")
	}
}

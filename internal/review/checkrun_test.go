package review

import (
	"testing"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/failure"
)

// The check run ends as the step does; bad input asks for a person, and nothing that did not pass
// is neutral (branch protection counts neutral as passing).
func TestConclusion_MatchesTheStepsExit(t *testing.T) {
	t.Parallel()
	anns := []actionkit.Annotation{{Level: actionkit.LevelError, File: "a.py"}, {Level: actionkit.LevelError, File: "b.py"},
		{Level: actionkit.LevelWarning, File: "a.py"}, {Level: actionkit.LevelError, Message: "why the run failed"}}
	for _, tc := range []struct {
		o           actionkit.Outcome
		want, title string
	}{
		{actionkit.Outcome{Code: 0}, "success", "passed"},
		{actionkit.Outcome{Code: 1, Class: failure.Checked, Annotations: anns}, "failure", "failed: 2 errors, 1 warning"},
		{actionkit.Outcome{Code: 2, Class: failure.Input}, "action_required", "bad input"},
		{actionkit.Outcome{Code: 3, Class: failure.Infrastructure}, "failure", "failed"},
		{actionkit.Outcome{Code: 3, Cancelled: true}, "cancelled", "cancelled"},
	} {
		if got := Conclusion(tc.o); got != tc.want {
			t.Errorf("exit %d (%v, cancelled %v): %s, want %s", tc.o.Code, tc.o.Class, tc.o.Cancelled, got, tc.want)
		}
		if got := Title(tc.o); got != tc.title {
			t.Errorf("exit %d: title %q, want %q", tc.o.Code, got, tc.title)
		}
	}
	if got := Annotations(anns); len(got) != 3 || got[0].Level != "failure" || got[2].Level != "warning" {
		t.Errorf("annotations %+v, want the 3 with a file, errors as failure", got)
	}
}

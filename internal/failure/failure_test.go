package failure

import (
	"errors"
	"fmt"
	"testing"
)

type buildError struct{}

func (buildError) Error() string       { return "step 3 failed" }
func (buildError) FailureClass() Class { return Checked }

func TestOf_TheStrongestClassAnywhereInTheTree(t *testing.T) {
	t.Parallel()
	plain := errors.New("connection refused")
	cases := []struct {
		name string
		err  error
		want Class
	}{
		{"nil", nil, Infrastructure},
		{"unmarked", plain, Infrastructure},
		{"bad input", BadInput(plain), Input},
		{"bad input, wrapped", fmt.Errorf("compose-file: %w", BadInput(plain)), Input},
		{"failed", Failed(plain), Checked},
		{"a typed error", fmt.Errorf("api: %w", buildError{}), Checked},
		{"joined: a build failed while another image's base was missing", errors.Join(BadInput(plain), buildError{}), Checked},
		{"joined: bad input beside an outage", errors.Join(plain, BadInput(plain)), Input},
		{"bad input wrapping a failure", BadInput(fmt.Errorf("x: %w", Failed(plain))), Checked},
	}
	for _, c := range cases {
		if got := Of(c.err); got != c.want {
			t.Errorf("%s: Of = %v, want %v", c.name, got, c.want)
		}
	}
	if BadInput(nil) != nil || Failed(nil) != nil {
		t.Error("marking nil made an error")
	}
	if !errors.Is(BadInput(plain), plain) || BadInput(plain).Error() != plain.Error() {
		t.Error("a mark hides the error it marks")
	}
	if !IsBadInput(BadInput(plain)) || IsBadInput(errors.Join(BadInput(plain), Failed(plain))) {
		t.Error("IsBadInput is not 'bad input and nothing stronger'")
	}
}

package actionkit

import (
	"errors"
	"fmt"
	"github.com/slipway-actions/slipway/internal/failure"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Inputs reads typed inputs and collects every problem, each naming its input, so that a user sees
// all of them in one run. Read every input, then call Err once.
type Inputs struct {
	k    *Kit
	errs []error
}

// Inputs starts reading this run's inputs.
func (k *Kit) Inputs() *Inputs {
	in := &Inputs{k: k}
	if k.flagErr != nil {
		in.errs = append(in.errs, k.flagErr)
	}
	return in
}

// raw returns an input's text: a --flag wins over INPUT_NAME, and an empty value falls back to the
// action.yml default (a container action's runner passes "" for an input that was not given).
func (in *Inputs) raw(name string) string {
	spec, ok := in.k.meta.Inputs[name]
	if !ok {
		in.errs = append(in.errs, fmt.Errorf("input %q is read but not declared in action.yml (a bug in slipway)", name))
		in.k.mu.Lock()
		in.k.undeclared[name] = true
		in.k.mu.Unlock()
		return ""
	}
	in.k.mu.Lock()
	in.k.read[name] = true
	in.k.mu.Unlock()
	v, given := in.k.flags[name]
	if !given {
		v = in.k.getenv("INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_")))
	}
	v = strings.TrimSpace(v)
	if v == "" {
		v = strings.TrimSpace(spec.Default)
	}
	if v == "" && spec.Required {
		in.errs = append(in.errs, fmt.Errorf("input %q is required", name))
	}
	return v
}

// Invalid records a problem with an input found by the caller's own checks.
func (in *Inputs) Invalid(name, format string, args ...any) {
	in.errs = append(in.errs, fmt.Errorf("input %q: %s", name, fmt.Sprintf(format, args...)))
}

// String reads a text input.
func (in *Inputs) String(name string) string { return in.raw(name) }

// Secret reads a text input and masks it (and its derived forms) before anything is printed.
func (in *Inputs) Secret(name string) string {
	v := in.raw(name)
	in.k.AddMask(v)
	return v
}

// Bool reads true/false, yes/no, 1/0 (any case). Empty without a default is false.
func (in *Inputs) Bool(name string) bool {
	v := in.raw(name)
	switch strings.ToLower(v) {
	case "true", "yes", "1":
		return true
	case "false", "no", "0", "":
		return false
	}
	in.Invalid(name, "%q is not a boolean (use true or false)", v)
	return false
}

// Int reads a whole number in [min, max]. Empty without a default is min.
func (in *Inputs) Int(name string, min, max int) int {
	v := in.raw(name)
	if v == "" {
		return min
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		in.Invalid(name, "%q is not a whole number", v)
		return min
	}
	if n < min || n > max {
		in.Invalid(name, "%d is out of range (%d to %d)", n, min, max)
		return min
	}
	return n
}

// Duration reads a Go duration such as 90s, 10m or 1h30m; it must not be negative. Empty without a
// default is 0.
func (in *Inputs) Duration(name string) time.Duration {
	v := in.raw(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		in.Invalid(name, "%q is not a duration (e.g. 90s, 10m, 1h30m)", v)
		return 0
	}
	if d < 0 {
		in.Invalid(name, "%q is negative", v)
		return 0
	}
	return d
}

// List reads items separated by commas or newlines, trimmed, empty ones dropped.
func (in *Inputs) List(name string) []string {
	v := in.raw(name)
	var items []string
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			items = append(items, f)
		}
	}
	return items
}

// Multiline reads one item per line (commas kept), trimmed, empty lines and # comments dropped.
func (in *Inputs) Multiline(name string) []string {
	v := in.raw(name)
	var items []string
	for _, line := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			items = append(items, line)
		}
	}
	return items
}

// URL reads an absolute http or https URL. Empty without a default is "".
func (in *Inputs) URL(name string) string {
	v := in.raw(name)
	if v == "" {
		return ""
	}
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		in.Invalid(name, "%q is not an http(s) URL", v)
		return ""
	}
	return v
}

// Enum reads one of the allowed values (case-insensitive; returned in the allowed spelling).
func (in *Inputs) Enum(name string, allowed ...string) string {
	v := in.raw(name)
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	if v == "" {
		return ""
	}
	in.Invalid(name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return ""
}

// Err returns every problem found so far, joined and marked as bad input (exit 2), or nil.
func (in *Inputs) Err() error {
	if len(in.errs) == 0 {
		return nil
	}
	return failure.BadInput(errors.Join(in.errs...))
}

// InputsRead lists the inputs read so far; the contract test compares it with action.yml.
func (k *Kit) InputsRead() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return sortedKeys(k.read)
}

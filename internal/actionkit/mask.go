package actionkit

import (
	"bytes"
	"encoding/base64"
	"io"
	"sort"
	"strings"
	"sync"
)

// redactedText replaces a secret wherever slipway writes: logs, summary, outputs, artifacts.
const redactedText = "***"

// maxPartialLine is how much of an unterminated line the redactor holds before it writes it out.
const maxPartialLine = 4096

// secrets is the set of values that must never be written. The runner masks what we register with
// ::add-mask::, but it does not see our summary, outputs or artifact files, and a local run has no
// runner: so slipway redacts by itself too.
type secrets struct {
	mu     sync.RWMutex
	values []string // longest first, so a secret that contains another is replaced whole
}

func (s *secrets) add(v string) bool {
	if v == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.values {
		if have == v {
			return false
		}
	}
	s.values = append(s.values, v)
	sort.Slice(s.values, func(i, j int) bool { return len(s.values[i]) > len(s.values[j]) })
	return true
}

// redact replaces every secret in text, short ones included.
func (s *secrets) redact(text string) string { return s.replace(text, 1) }

// redactLine redacts one line of the log. In a workflow command ("::error file=app.py,line=1::…",
// "::stop-commands::<token>") a secret shorter than minSecretLength is left to the runner, which
// masks it, registered with ::add-mask::, once it has read the command: replacing it here could break
// the command's syntax ("line=***") or a stop-commands token, which must match the line that resumes
// commands. Annotate redacts a message and title itself.
func (s *secrets) redactLine(line string) string {
	if strings.HasPrefix(strings.TrimLeft(line, " \t"), "::") {
		return s.replace(line, minSecretLength)
	}
	return s.replace(line, 1)
}

// replace replaces the secrets at least min bytes long.
func (s *secrets) replace(text string, min int) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		if len(v) >= min && strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, redactedText)
		}
	}
	return text
}

// contains reports whether text would give a secret away: it holds one of minSecretLength bytes or
// more, or it is a shorter one. Text that merely holds the same one to three characters ("1" in a
// digest) is not refused: such text cannot be told from ordinary text, and refusing it would fail a
// run that worked.
func (s *secrets) contains(text string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	trimmed := strings.TrimSpace(text)
	for _, v := range s.values {
		if len(v) >= minSecretLength && strings.Contains(text, v) || trimmed == v {
			return true
		}
	}
	return false
}

func (s *secrets) longest() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.values) == 0 {
		return 0
	}
	return len(s.values[0])
}

// minSecretLength is the shortest secret that is redacted inside a workflow command's syntax and
// that refuses an output merely holding it. Every secret, whatever its length, is masked.
const minSecretLength = 4

// maskForms lists what must be masked for a secret: the value, each of its lines (the runner masks
// line by line) and its base64 form, which is how it shows up in an Authorization header or a
// docker config. Any value is a secret when it is given as one, as with GitHub's ::add-mask::: a
// number, a short word, "true". Only what is empty once trimmed is left out (inputs are trimmed).
func maskForms(v string) []string {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	forms := []string{v, base64.StdEncoding.EncodeToString([]byte(v))}
	if strings.ContainsAny(v, "\r\n") {
		for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if line = strings.TrimSpace(line); line != "" {
				forms = append(forms, line)
			}
		}
	}
	return forms
}

// redactWriter is an io.Writer that replaces secrets before they reach w. It works on whole lines so
// that a secret split across two writes is still caught; an unterminated line is held until a
// newline, Flush, or until it grows past maxPartialLine (then all but a tail that could start a
// secret is written).
type redactWriter struct {
	mu      sync.Mutex
	w       io.Writer
	secrets *secrets
	partial []byte
}

func (r *redactWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.partial = append(r.partial, p...)
	if i := bytes.LastIndexByte(r.partial, '\n'); i >= 0 {
		if err := r.emit(r.partial[:i+1]); err != nil {
			return 0, err
		}
		r.partial = append(r.partial[:0], r.partial[i+1:]...)
	}
	if len(r.partial) > maxPartialLine {
		redacted := []byte(r.secrets.redactLine(string(r.partial)))
		keep := r.secrets.longest() - 1
		if keep < 0 {
			keep = 0
		}
		if keep > len(redacted) {
			keep = len(redacted)
		}
		if _, err := r.w.Write(redacted[:len(redacted)-keep]); err != nil {
			return 0, err
		}
		r.partial = append(r.partial[:0], redacted[len(redacted)-keep:]...)
	}
	return len(p), nil
}

// emit writes whole lines (the last one may lack its newline), each redacted.
func (r *redactWriter) emit(b []byte) error {
	var out strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		out.WriteString(r.secrets.redactLine(line))
	}
	_, err := io.WriteString(r.w, out.String())
	return err
}

// Flush writes out a held partial line.
func (r *redactWriter) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.partial) == 0 {
		return nil
	}
	err := r.emit(r.partial)
	r.partial = r.partial[:0]
	return err
}

// writeRaw bypasses redaction: only for ::add-mask:: lines, which the runner never prints and which
// must carry the secret itself.
func (r *redactWriter) writeRaw(s string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.partial) > 0 {
		if err := r.emit(append(r.partial, '\n')); err != nil {
			return err
		}
		r.partial = r.partial[:0]
	}
	_, err := io.WriteString(r.w, s)
	return err
}

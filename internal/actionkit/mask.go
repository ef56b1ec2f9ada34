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

func (s *secrets) redact(text string) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, redactedText)
		}
	}
	return text
}

func (s *secrets) contains(text string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.values {
		if strings.Contains(text, v) {
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

// minSecretLength is the shortest text treated as a secret. A shorter value ("1", "ab"), or a word of
// configuration ("true", "false"), is no secret anyone can keep, and masking it would star out every
// such sequence in the log and refuse any output that happens to contain it (a digest holding "1"),
// failing a run that worked.
const minSecretLength = 4

// notSecrets are the words of configuration a secret input may be set to by mistake.
var notSecrets = map[string]bool{"true": true, "false": true, "yes": true, "null": true, "none": true}

// maskForms lists what must be masked for a secret: the value, each of its lines (the runner masks
// line by line) and its base64 form, which is how it shows up in an Authorization header or a
// docker config. Forms shorter than minSecretLength are left out.
func maskForms(v string) []string {
	v = strings.TrimSpace(v)
	if len(v) < minSecretLength || notSecrets[strings.ToLower(v)] {
		return nil
	}
	forms := []string{v, base64.StdEncoding.EncodeToString([]byte(v))}
	if strings.ContainsAny(v, "\r\n") {
		for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
			if line = strings.TrimSpace(line); len(line) >= minSecretLength {
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
		redacted := []byte(r.secrets.redact(string(r.partial)))
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

func (r *redactWriter) emit(b []byte) error {
	_, err := io.WriteString(r.w, r.secrets.redact(string(b)))
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

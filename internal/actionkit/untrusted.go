package actionkit

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"
)

// zeroWidthSpace breaks a workflow-command marker without changing how the text reads.
const zeroWidthSpace = "\u200b"

// Neutralise makes one piece of untrusted text (a linter message, an ECS event, a flag name) safe to
// print inside a line of ours. The runner reads "::name::" at the start of a line after any leading
// white space, and the legacy "##[name]" anywhere in a line; both are broken with a zero-width space.
// A carriage return counts as a line break here, to be safe with every log viewer.
func Neutralise(s string) string {
	if !strings.Contains(s, "::") && !strings.Contains(s, "##[") {
		return s
	}
	s = strings.ReplaceAll(s, "##[", "#"+zeroWidthSpace+"#[")
	var b strings.Builder
	b.Grow(len(s) + 8)
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '\n' && s[i] != '\r' {
			continue
		}
		seg := s[start:i]
		trimmed := strings.TrimLeftFunc(seg, unicode.IsSpace)
		if strings.HasPrefix(trimmed, "::") {
			b.WriteString(seg[:len(seg)-len(trimmed)])
			b.WriteString(":" + zeroWidthSpace)
			b.WriteString(trimmed[1:])
		} else {
			b.WriteString(seg)
		}
		if i < len(s) {
			b.WriteByte(s[i])
		}
		start = i + 1
	}
	return b.String()
}

// randomToken returns 128 random bits in hex: a stop-commands token or a heredoc delimiter that text
// from outside cannot guess.
func randomToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err))
	}
	return hex.EncodeToString(b[:])
}

// untrustedWriter prints outside text inside a ::stop-commands:: block, so that nothing in it is
// read as a workflow command; Close resumes commands. The block is opened lazily, at the first write.
type untrustedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	token  string
	opened bool
	closed bool
	atBOL  bool
}

func newUntrustedWriter(w io.Writer) *untrustedWriter {
	return &untrustedWriter{w: w, token: randomToken(), atBOL: true}
}

func (u *untrustedWriter) Write(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return 0, fmt.Errorf("untrusted writer: write after Close")
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !u.opened {
		if _, err := fmt.Fprintf(u.w, "::stop-commands::%s\n", u.token); err != nil {
			return 0, err
		}
		u.opened = true
	}
	n, err := u.w.Write(p)
	if n > 0 {
		u.atBOL = p[n-1] == '\n'
	}
	return n, err
}

// Close ends the block: commands printed after it work again.
func (u *untrustedWriter) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil
	}
	u.closed = true
	if !u.opened {
		return nil
	}
	prefix := ""
	if !u.atBOL {
		prefix = "\n"
	}
	_, err := fmt.Fprintf(u.w, "%s::%s::\n", prefix, u.token)
	return err
}

// localUntrusted is what Untrusted returns outside GitHub Actions: nothing reads commands there, so
// the text passes through unchanged.
type localUntrusted struct{ io.Writer }

func (localUntrusted) Close() error { return nil }

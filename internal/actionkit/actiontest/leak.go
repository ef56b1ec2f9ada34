package actiontest

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// minEncodedForm is the shortest encoded form of a secret a leak check looks for: a shorter run of
// base64 characters turns up by chance.
const minEncodedForm = 8

// LeakForms are the forms in which a secret could leave a program and still be read back: as given,
// URL-encoded (a query or a path), JSON-escaped, and base64 in both alphabets at each of the three
// alignments a secret can have inside a longer encoded text (user:password in a Basic header or a
// docker config, a registry auth JSON in X-Registry-Auth). The runner masks what is registered with
// ::add-mask:: and some encodings of it in the log only; the step summary, outputs and files are
// nobody's to mask, so none of these may appear anywhere.
func LeakForms(secret string) map[string]string {
	forms := map[string]string{"as given": secret}
	add := func(how, form string) {
		if form != secret && len(form) >= minEncodedForm {
			forms[how] = form
		}
	}
	add("URL query-encoded", url.QueryEscape(secret))
	add("URL path-encoded", url.PathEscape(secret))
	if b, err := json.Marshal(secret); err == nil {
		add("JSON-escaped", strings.Trim(string(b), `"`))
	}
	for _, enc := range []struct {
		name string
		enc  *base64.Encoding
	}{{"base64", base64.StdEncoding}, {"base64url", base64.URLEncoding}} {
		for shift := 0; shift < 3; shift++ {
			// shift bytes of whatever precedes the secret; keep only the characters of the groups made
			// of the secret's bytes alone (the first group holds preceding bytes, the last partial one
			// following bytes).
			text := enc.enc.EncodeToString(append(make([]byte, shift), secret...))
			start, end := 0, 4*((shift+len(secret))/3)
			if shift > 0 {
				start = 4
			}
			if end > start {
				add(enc.name+" at offset "+string(rune('0'+shift)), text[start:end])
			}
		}
	}
	return forms
}

// leakIn returns the name of the first form of secret found in text, or "".
func leakIn(text, secret string) string {
	for how, form := range LeakForms(secret) {
		if strings.Contains(text, form) {
			return how
		}
	}
	return ""
}

// fileState is what a snapshot of a tree records of each regular file: its size and time, so that a
// scan after a run reads only the files the run wrote.
type fileState struct {
	size int64
	mod  time.Time
}

// snapshot records the regular files under each root.
func snapshot(roots ...string) map[string]fileState {
	files := map[string]fileState{}
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				files[p] = fileState{info.Size(), info.ModTime()}
			}
			return nil
		})
	}
	return files
}

// written lists the regular files under roots that are new or changed since before.
func written(before map[string]fileState, roots ...string) []string {
	var paths []string
	for p, st := range snapshot(roots...) {
		if old, ok := before[p]; !ok || old != st {
			paths = append(paths, p)
		}
	}
	return paths
}

// readHead reads at most 64 MiB of a file: enough for any report, log or archive a run writes.
func readHead(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 64<<20))
	return string(b)
}

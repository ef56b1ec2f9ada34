package linttest

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Wheel is a pure-Python distribution to serve: its files (path → text), entry points (the text of
// entry_points.txt) and requirements.
type Wheel struct {
	Name, Version string
	Files         map[string]string
	EntryPoints   string
	Requires      []string
}

// Bytes builds the wheel as the wheel spec (PEP 427) lays it out: the files, then the .dist-info
// directory with METADATA, WHEEL, entry_points.txt and a RECORD of every file's sha256 and size.
func (w Wheel) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	info := w.distName() + "-" + w.Version + ".dist-info/"
	files := map[string]string{}
	for k, v := range w.Files {
		files[k] = v
	}
	meta := "Metadata-Version: 2.1\nName: " + w.Name + "\nVersion: " + w.Version + "\n"
	for _, r := range w.Requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	files[info+"METADATA"] = meta
	files[info+"WHEEL"] = "Wheel-Version: 1.0\nGenerator: slipway-linttest\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	if w.EntryPoints != "" {
		files[info+"entry_points.txt"] = w.EntryPoints
	}
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	sort.Strings(names)
	var record strings.Builder
	for _, name := range names {
		f, err := zw.Create(name)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write([]byte(files[name])); err != nil {
			return nil, err
		}
		sum := sha256.Sum256([]byte(files[name]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", name, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[name]))
	}
	record.WriteString(info + "RECORD,,\n")
	f, err := zw.Create(info + "RECORD")
	if err != nil {
		return nil, err
	}
	if _, err := f.Write([]byte(record.String())); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// FileName is the wheel's file name: {distribution}-{version}-py3-none-any.whl.
func (w Wheel) FileName() string { return w.distName() + "-" + w.Version + "-py3-none-any.whl" }

func (w Wheel) distName() string { return regexp.MustCompile(`[-_.]+`).ReplaceAllString(w.Name, "_") }

// project is the PEP 503 normalised name.
func (w Wheel) project() string {
	return strings.ToLower(regexp.MustCompile(`[-_.]+`).ReplaceAllString(w.Name, "-"))
}

// Index serves wheels as a PEP 503 simple repository on loopback for the test's lifetime, and
// returns its URL (.../simple/), for PIP_INDEX_URL. Requests for projects it does not hold are 404,
// as on PyPI for a name that does not exist.
func Index(t testing.TB, wheels ...Wheel) string {
	t.Helper()
	files := map[string][]byte{}
	projects := map[string][]Wheel{}
	for _, w := range wheels {
		b, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		files[w.FileName()] = b
		projects[w.project()] = append(projects[w.project()], w)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/simple/", func(rw http.ResponseWriter, r *http.Request) {
		name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/simple/"), "/")
		rw.Header().Set("Content-Type", "text/html")
		var body strings.Builder
		body.WriteString("<!DOCTYPE html>\n<html><body>\n")
		if name == "" {
			for p := range projects {
				fmt.Fprintf(&body, "<a href=\"/simple/%s/\">%s</a>\n", p, p)
			}
		} else {
			ws, ok := projects[name]
			if !ok {
				http.NotFound(rw, r)
				return
			}
			for _, w := range ws {
				sum := sha256.Sum256(files[w.FileName()])
				fmt.Fprintf(&body, "<a href=\"/files/%s#sha256=%s\">%s</a>\n", w.FileName(), hex.EncodeToString(sum[:]), html.EscapeString(w.FileName()))
			}
		}
		body.WriteString("</body></html>\n")
		_, _ = rw.Write([]byte(body.String()))
	})
	mux.HandleFunc("/files/", func(rw http.ResponseWriter, r *http.Request) {
		b, ok := files[strings.TrimPrefix(r.URL.Path, "/files/")]
		if !ok {
			http.NotFound(rw, r)
			return
		}
		rw.Header().Set("Content-Type", "application/octet-stream")
		_, _ = rw.Write(b)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/simple/"
}

// TypedDependency is a dependency with inline types (py.typed): code that imports it gets no
// import-error once it is installed, and mypy checks calls against its signature.
var TypedDependency = Wheel{Name: "slipway-greeting", Version: "1.2.0", Files: map[string]string{
	"slipway_greeting/__init__.py": "\"\"\"Greetings.\"\"\"\n\n\ndef greet(name: str) -> str:\n    \"\"\"Greet name.\"\"\"\n    return \"hello \" + name\n",
	"slipway_greeting/py.typed":    "",
}}

// Flake8Plugin is a flake8 plugin reporting SLW100 on every function definition.
var Flake8Plugin = Wheel{Name: "flake8-slipway", Version: "0.3.0", Requires: []string{"flake8"},
	EntryPoints: "[flake8.extension]\nSLW = flake8_slipway:Checker\n",
	Files: map[string]string{"flake8_slipway.py": `"""A flake8 plugin for tests: SLW100 on every function."""
import ast


class Checker:
    name = "flake8-slipway"
    version = "0.3.0"

    def __init__(self, tree):
        self.tree = tree

    def run(self):
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef):
                yield node.lineno, node.col_offset, "SLW100 function seen by the pinned plugin", type(self)
`}}

// StandInBlack is a stand-in for black at a version no image has: "python -m black --version"
// reports it, and a check finds nothing to reformat.
func StandInBlack(version string) Wheel {
	return Wheel{Name: "black", Version: version,
		EntryPoints: "[console_scripts]\nblack = black:main\n",
		Files: map[string]string{
			"black/__init__.py": `"""A stand-in for black that reports its own version."""
import sys

__version__ = "` + version + `"


def main():
    if "--version" in sys.argv:
        print("black, " + __version__ + " (slipway stand-in)")
    return 0
`,
			"black/__main__.py": "import sys\n\nfrom black import main\n\nsys.exit(main())\n",
		}}
}

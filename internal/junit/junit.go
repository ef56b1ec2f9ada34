package junit

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Status is a test case's outcome.
type Status string

// Outcomes.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Errored Status = "error"
	Skipped Status = "skipped"
)

// Case is one test case.
type Case struct {
	Suite, Class, Name string
	File               string
	// ReportedFile is the file attribute the report gave the case (pytest's xunit1 family writes it),
	// untouched by tracebacks and the Locator.
	ReportedFile string
	Line         int
	Time         time.Duration
	Status       Status
	Message      string  // the failure's message attribute, or the first line of its text
	Type         string  // the failure's type attribute
	Detail       string  // the failure's text (traceback), cut to maxDetail
	Frames       []Frame // every source location the failure's text names, in its order
	// Rerun is this case's outcome in the re-run of the failed cases, nil when it was not re-run
	// (Report.Rerun).
	Rerun *Case
}

// Frame is a file and line a traceback names.
type Frame struct {
	File string
	Line int
}

// Report is every case of one or more report files, with totals.
type Report struct {
	Cases                            []Case
	Tests, Failures, Errors, Skipped int
	// Flaky counts the cases that failed, then passed on re-run: they are not in Failures or Errors.
	Flaky int
	Time  time.Duration
}

const maxDetail = 16 << 10

// xml shapes: <testsuites> holds <testsuite>s, which hold <testcase>s and, in some tools, nested
// <testsuite>s; a report may also be a bare <testsuite>.
type suite struct {
	Name   string  `xml:"name,attr"`
	File   string  `xml:"file,attr"`
	Suites []suite `xml:"testsuite"`
	Cases  []tcase `xml:"testcase"`
}

type tcase struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	File      string   `xml:"file,attr"`
	Line      string   `xml:"line,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *problem `xml:"failure"`
	Error     *problem `xml:"error"`
	Skipped   *problem `xml:"skipped"`
	// Maven Surefire's re-runs (surefire-test-report-3.0.xsd), as WriteXML writes them: a flaky
	// case's failed runs, and a case's failed re-runs after its first failure.
	FlakyFailure []problem `xml:"flakyFailure"`
	FlakyError   []problem `xml:"flakyError"`
	RerunFailure []problem `xml:"rerunFailure"`
	RerunError   []problem `xml:"rerunError"`
}

type problem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
	Stack   string `xml:"stackTrace"` // Surefire's re-run elements hold their text here
}

// text is the problem's failure text, wherever the element keeps it.
func (p *problem) text() string { return cmpOr(strings.TrimSpace(p.Text), strings.TrimSpace(p.Stack)) }

// Parse reads one report and adds its cases to r.
func (r *Report) Parse(rd io.Reader) error {
	dec := xml.NewDecoder(io.LimitReader(rd, 64<<20))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return errors.New("no <testsuites> or <testsuite> element")
		}
		if err != nil {
			return fmt.Errorf("not JUnit XML: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var s suite
		switch start.Name.Local {
		case "testsuites":
			if err := dec.DecodeElement(&s, &start); err != nil {
				return fmt.Errorf("not JUnit XML: %w", err)
			}
			for _, child := range s.Suites {
				r.add(child, "")
			}
			r.add(suite{Cases: s.Cases}, "") // some tools put cases straight under <testsuites>
		case "testsuite":
			if err := dec.DecodeElement(&s, &start); err != nil {
				return fmt.Errorf("not JUnit XML: %w", err)
			}
			r.add(s, "")
		default:
			return fmt.Errorf("not JUnit XML: the root element is <%s>", start.Name.Local)
		}
		return nil
	}
}

func (r *Report) add(s suite, file string) {
	if s.File != "" {
		file = s.File
	}
	for _, child := range s.Suites {
		r.add(child, file)
	}
	for _, tc := range s.Cases {
		c := Case{Suite: s.Name, Class: tc.Classname, Name: tc.Name, File: tc.File, ReportedFile: tc.File, Status: Passed}
		if c.File == "" {
			c.File = file
		}
		c.Line, _ = strconv.Atoi(tc.Line)
		if secs, err := strconv.ParseFloat(strings.TrimSpace(tc.Time), 64); err == nil && secs >= 0 && secs < 1e9 {
			c.Time = time.Duration(secs * float64(time.Second))
		}
		switch {
		case tc.Failure != nil:
			c.record(Failed, tc.Failure)
			r.Failures++
		case tc.Error != nil:
			c.record(Errored, tc.Error)
			r.Errors++
		case tc.Skipped != nil:
			c.record(Skipped, tc.Skipped)
			r.Skipped++
		}
		if c.readReruns(tc) {
			r.Flaky++
		}
		r.Tests++
		r.Time += c.Time
		r.Cases = append(r.Cases, c)
	}
}

// record sets the case's outcome and what its report element says of it.
func (c *Case) record(st Status, p *problem) {
	c.Status = st
	c.Message = strings.TrimSpace(p.Message)
	c.Type = cut(strings.TrimSpace(p.Type), 256)
	c.Detail = cut(p.text(), maxDetail)
	if c.Message == "" {
		c.Message, _, _ = strings.Cut(c.Detail, "\n")
	}
	if c.Message == "" {
		c.Message = p.Type
	}
	if st != Skipped {
		c.Frames = frames(c.Detail)
		if n := len(c.Frames); n > 0 && (c.File == "" || c.Line == 0) {
			// pytest prints the failing line last ("tests/test_api.py:12: AssertionError").
			c.File, c.Line = c.Frames[n-1].File, c.Frames[n-1].Line
		}
	}
}

// readReruns reads Surefire's re-run elements back into Rerun, so that a report WriteXML wrote reads
// as the run that wrote it: a case that passed with a flakyFailure or flakyError failed first, then
// passed (it is flaky, and reported so); one that failed with a rerunFailure or rerunError failed
// again, as its last re-run says.
func (c *Case) readReruns(tc tcase) (flaky bool) {
	again := Case{Suite: c.Suite, Class: c.Class, Name: c.Name, File: c.ReportedFile, ReportedFile: c.ReportedFile}
	switch {
	case c.Status == Passed && len(tc.FlakyFailure)+len(tc.FlakyError) > 0:
		again.Status = Passed
		if len(tc.FlakyFailure) > 0 {
			c.record(Failed, &tc.FlakyFailure[0])
		} else {
			c.record(Errored, &tc.FlakyError[0])
		}
		c.Rerun = &again
		return true
	case failing(c.Status) && len(tc.RerunFailure) > 0:
		again.record(Failed, &tc.RerunFailure[len(tc.RerunFailure)-1])
	case failing(c.Status) && len(tc.RerunError) > 0:
		again.record(Errored, &tc.RerunError[len(tc.RerunError)-1])
	default:
		return false
	}
	c.Rerun = &again
	return false
}

// frame is a "path.py:12: Error" or "path.ts:12:5" line of a traceback.
var frame = regexp.MustCompile(`(?m)^\s*(?:at (?:.*\()?)?([\w./@-]+\.(?:py|js|ts|tsx|jsx|go)):(\d+)`)

// maxFrames bounds what is kept of a deep traceback.
const maxFrames = 64

// frames lists the source locations a failure's text names, the last maxFrames of them.
func frames(text string) []Frame {
	ms := frame.FindAllStringSubmatch(text, -1)
	if len(ms) > maxFrames {
		ms = ms[len(ms)-maxFrames:]
	}
	var out []Frame
	for _, m := range ms {
		n, _ := strconv.Atoi(m[2])
		out = append(out, Frame{File: m[1], Line: n})
	}
	return out
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "\n…"
}

// Add puts o's cases and totals into r: the reports of several files, or of several shards of one
// suite, read as one.
func (r *Report) Add(o *Report) {
	r.Cases = append(r.Cases, o.Cases...)
	r.Tests, r.Failures, r.Errors, r.Skipped, r.Flaky = r.Tests+o.Tests, r.Failures+o.Failures, r.Errors+o.Errors, r.Skipped+o.Skipped, r.Flaky+o.Flaky
	r.Time += o.Time
}

// Failed reports whether any case failed or errored.
func (r *Report) Failed() bool { return r.Failures+r.Errors > 0 }

// Passed is the number of cases that passed.
func (r *Report) Passed() int { return r.Tests - r.Failures - r.Errors - r.Skipped }

package junit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Key names a test case across runs and shards: its classname and name, as the report wrote them.
type Key struct{ Class, Name string }

// Key is the case's key.
func (c Case) Key() Key { return Key{Class: c.Class, Name: c.Name} }

// failing reports whether a status is a failure or an error.
func failing(s Status) bool { return s == Failed || s == Errored }

// Flaky reports whether the case failed, then passed on re-run.
func (c Case) Flaky() bool { return failing(c.Status) && c.Rerun != nil && c.Rerun.Status == Passed }

// Outcome is the case's last outcome: its re-run's when it was re-run.
func (c Case) Outcome() Status {
	if c.Rerun != nil {
		return c.Rerun.Status
	}
	return c.Status
}

// Rerun records second, a run of some of r's failed cases again, in r's cases: each failed case
// second holds gets its outcome there as Rerun. A case that passes there is flaky: it leaves
// Failures or Errors and is counted in Flaky. A case second does not hold stays failed.
func (r *Report) Rerun(second *Report) {
	again := map[Key]Case{}
	for _, c := range second.Cases {
		if prev, ok := again[c.Key()]; !ok || failing(prev.Status) {
			again[c.Key()] = c // a case run twice there (shards) counts as passed if it passed once
		}
	}
	for i, c := range r.Cases {
		a, ok := again[c.Key()]
		if !failing(c.Outcome()) || !ok {
			continue // passed, or already flaky in a report that kept an earlier re-run
		}
		a.Rerun = nil
		r.Cases[i].Rerun = &a
		if r.Cases[i].Flaky() {
			r.Flaky++
			if c.Status == Failed {
				r.Failures--
			} else {
				r.Errors--
			}
		}
	}
}

// WriteXML writes r as one JUnit XML report (a <testsuites> of its suites, in the order they came)
// that keeps both runs of every re-run case, as Maven Surefire's rerunFailingTestsCount does
// (https://maven.apache.org/surefire/maven-surefire-plugin/examples/rerun-failing-tests.html,
// surefire-test-report-3.0.xsd): a flaky case has no <failure> or <error>, so consumers that do not
// know re-runs count it as passed, and its first run as <flakyFailure> or <flakyError>; a case that
// failed again keeps its first <failure> or <error> and holds its re-run's as <rerunFailure> or
// <rerunError>. Failure texts are in <stackTrace> there, as Surefire writes them.
func (r *Report) WriteXML(w io.Writer) error {
	type suiteOut struct {
		XMLName                          xml.Name   `xml:"testsuite"`
		Name                             string     `xml:"name,attr"`
		Tests, Failures, Errors, Skipped int        `xml:"-"`
		Time                             float64    `xml:"-"`
		Attrs                            []xml.Attr `xml:",any,attr"`
		Cases                            []caseOut
	}
	var order []string
	suites := map[string]*suiteOut{}
	for _, c := range r.Cases {
		s := suites[c.Suite]
		if s == nil {
			s = &suiteOut{Name: c.Suite}
			suites[c.Suite] = s
			order = append(order, c.Suite)
		}
		s.Tests++
		switch c.Outcome() {
		case Failed:
			s.Failures++
		case Errored:
			s.Errors++
		case Skipped:
			s.Skipped++
		}
		s.Time += c.Time.Seconds()
		s.Cases = append(s.Cases, toXML(c))
	}
	out := struct {
		XMLName xml.Name `xml:"testsuites"`
		Suites  []*suiteOut
	}{}
	for _, name := range order {
		s := suites[name]
		s.Attrs = []xml.Attr{
			{Name: xml.Name{Local: "tests"}, Value: strconv.Itoa(s.Tests)},
			{Name: xml.Name{Local: "failures"}, Value: strconv.Itoa(s.Failures)},
			{Name: xml.Name{Local: "errors"}, Value: strconv.Itoa(s.Errors)},
			{Name: xml.Name{Local: "skipped"}, Value: strconv.Itoa(s.Skipped)},
			{Name: xml.Name{Local: "time"}, Value: seconds(time.Duration(s.Time * float64(time.Second)))},
		}
		out.Suites = append(out.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write the merged report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type caseOut struct {
	XMLName   xml.Name `xml:"testcase"`
	Classname string   `xml:"classname,attr"`
	Name      string   `xml:"name,attr"`
	File      string   `xml:"file,attr,omitempty"`
	Time      string   `xml:"time,attr"`
	Problems  []problemOut
}

type problemOut struct {
	XMLName xml.Name
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
	// Stack is the failure's text inside a Surefire re-run element.
	Stack string `xml:"stackTrace,omitempty"`
}

func toXML(c Case) caseOut {
	out := caseOut{Classname: c.Class, Name: c.Name, File: c.ReportedFile, Time: seconds(c.Time)}
	own := func(c Case) problemOut {
		p := problemOut{XMLName: xml.Name{Local: string(c.Status)}, Message: c.Message, Type: c.Type, Text: c.Detail}
		if c.Status == Errored {
			p.XMLName.Local = "error"
		} else if c.Status == Failed {
			p.XMLName.Local = "failure"
		}
		return p
	}
	surefire := func(prefix string, c Case) problemOut {
		el := prefix + "Failure"
		if c.Status == Errored {
			el = prefix + "Error"
		}
		return problemOut{XMLName: xml.Name{Local: el}, Message: c.Message, Type: c.Type, Stack: c.Detail}
	}
	switch {
	case c.Flaky():
		out.Problems = append(out.Problems, surefire("flaky", c))
	case c.Rerun != nil && failing(c.Rerun.Status):
		out.Problems = append(out.Problems, own(c), surefire("rerun", *c.Rerun))
	case c.Status != Passed:
		out.Problems = append(out.Problems, own(c))
	}
	return out
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }

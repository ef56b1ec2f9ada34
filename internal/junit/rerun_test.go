package junit

import (
	"bytes"
	"strings"
	"testing"
)

const firstRun = `<testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_ok" time="0.1"/>
<testcase classname="tests.test_a" name="test_flaky" time="0.2"><failure message="boom" type="AssertionError">tests/test_a.py:3: AssertionError</failure></testcase>
<testcase classname="tests.test_a" name="test_broken[x]" time="0.3"><failure message="always">tests/test_a.py:9: AssertionError</failure></testcase>
<testcase classname="tests.test_b" name="test_setup" time="0.1"><error message="no db">conftest.py:2: ConnectionError</error></testcase>
<testcase classname="tests.test_b" name="test_later" time="0"><skipped message="not yet"/></testcase>
</testsuite></testsuites>`

const secondRun = `<testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_flaky" time="0.2"/>
<testcase classname="tests.test_a" name="test_broken[x]" time="0.3"><failure message="still">tests/test_a.py:9: AssertionError</failure></testcase>
<testcase classname="tests.test_b" name="test_setup" time="0.1"/>
</testsuite></testsuites>`

func parse(t *testing.T, s string) *Report {
	t.Helper()
	var r Report
	if err := r.Parse(strings.NewReader(s)); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestRerun_FlakyLeavesTheFailuresAndBothRunsAreWritten(t *testing.T) {
	t.Parallel()
	r := parse(t, firstRun)
	r.Rerun(parse(t, secondRun))
	if r.Flaky != 2 || r.Failures != 1 || r.Errors != 0 || r.Tests != 5 || r.Passed() != 3 {
		t.Fatalf("totals: tests %d failures %d errors %d flaky %d passed %d", r.Tests, r.Failures, r.Errors, r.Flaky, r.Passed())
	}
	if !r.Cases[1].Flaky() || r.Cases[2].Flaky() || r.Cases[2].Outcome() != Failed || !r.Cases[3].Flaky() || r.Cases[0].Rerun != nil {
		t.Errorf("cases: %+v", r.Cases)
	}
	var buf bytes.Buffer
	if err := r.WriteXML(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		`<testsuite name="pytest" tests="5" failures="1" errors="0" skipped="1" time="0.700">`,
		`<flakyFailure message="boom" type="AssertionError">`, `<stackTrace>tests/test_a.py:3: AssertionError</stackTrace>`,
		`<failure message="always">tests/test_a.py:9: AssertionError</failure>`,
		`<rerunFailure message="still">`,
		`<flakyError message="no db">`,
		`<skipped message="not yet"></skipped>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("merged report lacks %s:\n%s", want, out)
		}
	}
	// A consumer that knows nothing of re-runs reads the merged report as the re-run decided.
	back := parse(t, out)
	if back.Tests != 5 || back.Failures != 1 || back.Errors != 0 || back.Skipped != 1 || back.Cases[2].Message != "always" {
		t.Errorf("read back: %+v", back)
	}
}

func TestCompare_NewlyFailingAndNewlyPassingByKeyAcrossShards(t *testing.T) {
	t.Parallel()
	base := parse(t, `<testsuites>
<testsuite name="shard-1"><testcase classname="c" name="was_ok"/><testcase classname="c" name="was_broken"><failure/></testcase></testsuite>
<testsuite name="shard-2"><testcase classname="c" name="stays_broken"><error/></testcase><testcase classname="c" name="was_skipped"><skipped/></testcase>
<testcase classname="c" name="flaky_now"><failure/></testcase></testsuite></testsuites>`)
	cur := parse(t, `<testsuites>
<testsuite name="pytest"><testcase classname="c" name="was_broken"/><testcase classname="c" name="stays_broken"><failure/></testcase>
<testcase classname="c" name="was_ok"/><testcase classname="c" name="new_and_broken"><failure/></testcase></testsuite>
<testsuite name="other-shard"><testcase classname="c" name="was_ok"><failure message="now"/></testcase><testcase classname="c" name="was_skipped"><failure/></testcase>
<testcase classname="c" name="flaky_now"><failure/></testcase></testsuite></testsuites>`)
	cur.Rerun(parse(t, `<testsuite><testcase classname="c" name="flaky_now"/></testsuite>`))
	d := Compare(cur, base)
	var failing, passing []string
	for _, c := range d.NewlyFailing {
		failing = append(failing, c.Case.Name+":"+string(c.Base))
	}
	for _, c := range d.NewlyPassing {
		passing = append(passing, c.Case.Name+":"+string(c.Base))
	}
	if got := strings.Join(failing, " "); got != "was_ok:passed new_and_broken: was_skipped:skipped" {
		t.Errorf("newly failing: %s", got)
	}
	if got := strings.Join(passing, " "); got != "was_broken:failed flaky_now:failed" {
		t.Errorf("newly passing: %s", got)
	}
}

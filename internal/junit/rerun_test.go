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

// A report WriteXML wrote reads back as the run that wrote it: a flaky case is flaky again (its
// first failure kept, passing on re-run), a case that failed again keeps both failures, and the
// totals agree; read into another report (a shard's, merged), they are not lost.
func TestParse_ReadsSurefireRerunsBack(t *testing.T) {
	t.Parallel()
	r := parse(t, firstRun)
	r.Rerun(parse(t, secondRun))
	var buf bytes.Buffer
	if err := r.WriteXML(&buf); err != nil {
		t.Fatal(err)
	}
	back := parse(t, buf.String())
	if back.Tests != r.Tests || back.Failures != r.Failures || back.Errors != r.Errors || back.Skipped != r.Skipped || back.Flaky != r.Flaky {
		t.Fatalf("read back: tests %d failures %d errors %d skipped %d flaky %d; wrote %d %d %d %d %d",
			back.Tests, back.Failures, back.Errors, back.Skipped, back.Flaky, r.Tests, r.Failures, r.Errors, r.Skipped, r.Flaky)
	}
	for i, c := range back.Cases {
		w := r.Cases[i]
		if c.Key() != w.Key() || c.Status != w.Status || c.Outcome() != w.Outcome() || c.Flaky() != w.Flaky() || c.Message != w.Message {
			t.Errorf("case %d read back as %+v, wrote %+v", i, c, w)
		}
	}
	if c := back.Cases[2]; c.Rerun == nil || c.Rerun.Message != "still" || c.Message != "always" {
		t.Errorf("a case that failed again: %+v", c)
	}
	if c := back.Cases[1]; c.File != "tests/test_a.py" || c.Line != 3 {
		t.Errorf("a flaky case is placed by its first failure's text: %+v", c)
	}
	// Re-running a case that is already flaky changes nothing; one that failed again may turn flaky.
	back.Rerun(parse(t, `<testsuite><testcase classname="tests.test_a" name="test_flaky"/><testcase classname="tests.test_a" name="test_broken[x]"/></testsuite>`))
	if back.Flaky != 3 || back.Failures != 0 || back.Errors != 0 {
		t.Errorf("after another re-run: failures %d errors %d flaky %d", back.Failures, back.Errors, back.Flaky)
	}
	var all Report
	all.Add(parse(t, buf.String()))
	all.Add(parse(t, `<testsuite name="other"><testcase classname="c" name="x" time="1"><error/></testcase></testsuite>`))
	if all.Tests != 6 || all.Flaky != 2 || all.Failures != 1 || all.Errors != 1 || all.Skipped != 1 || len(all.Cases) != 6 {
		t.Errorf("two reports added: %+v", all)
	}
}

package rune2e

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/slipway-actions/slipway/internal/actionkit"
	"github.com/slipway-actions/slipway/internal/compose"
	"github.com/slipway-actions/slipway/internal/junit"
	"github.com/slipway-actions/slipway/internal/workspace"
)

// casesPlaceholder is the argument of rerun-command that stands for the failed cases' node ids, one
// argument each.
const casesPlaceholder = "{cases}"

// rerunCommand forms the command that runs the failed cases of the first run again, or says once why
// there is none: the failed cases' pytest node ids (from the first run's reports; exists asks the
// first run's container whether a module file is there), in rerun-command's place of {cases}, or,
// with rerun-failed: auto and no rerun-command, appended to the first run's own pytest command with
// its file and directory arguments left out.
func rerunCommand(k *actionkit.Kit, cfg config, first *compose.Result, exists func(string) bool) []string {
	no := func(format string, args ...any) []string {
		k.Infof("rerun-failed: no re-run: "+format, args...)
		return nil
	}
	var failed []junit.Case
	for _, f := range first.Reports {
		r, err := readReport(f)
		if err != nil {
			continue // said when the reports are read
		}
		for _, c := range r.Cases {
			if o := c.Outcome(); o == junit.Failed || o == junit.Errored {
				failed = append(failed, c)
			}
		}
	}
	if len(failed) == 0 {
		return no("the test service exited %d, but its reports name no failed case", first.ExitCode)
	}
	var ids []string
	for _, c := range failed {
		if !c.FromPytest() {
			return no("the reports are not pytest's (suite %q, not \"pytest\"): the failed cases cannot be selected by node id", c.Suite)
		}
		id, ok := c.PytestNodeID(exists)
		if !ok {
			return no("no pytest node id for %s %s (its module is not a file of the test container, nor named test_*.py or *_test.py)", c.Class, c.Name)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var cmd []string
	if len(cfg.RerunCommand) > 0 {
		for _, a := range cfg.RerunCommand {
			if a == casesPlaceholder {
				cmd = append(cmd, ids...)
			} else {
				cmd = append(cmd, a)
			}
		}
	} else {
		args, why := pytestArgs(first.Entrypoint, first.Command)
		if why != "" {
			return no("%s; give rerun-command (e.g. pytest, its options and %s, one argument per line)", why, casesPlaceholder)
		}
		cmd = append(args, ids...)
	}
	k.Infof("rerun-failed: %d failed cases again, on the same platform: %s", len(ids), strings.Join(quoted(cmd), " "))
	return cmd
}

// pytestArgs is the first run's command with its positional arguments (the paths pytest collected
// from) left out, so that node ids appended select only them; why says why the command cannot take
// node ids: it is not pytest's (pytest, py.test, pytest-3 or python -m pytest; an entrypoint that
// is not pytest is taken to run the command it is given, as docker-entrypoint.sh scripts do).
func pytestArgs(entrypoint, command []string) (args []string, why string) {
	if len(entrypoint) > 0 && pytestAt(entrypoint) >= 0 {
		return options(command), ""
	}
	i := pytestAt(command)
	if i < 0 {
		return nil, fmt.Sprintf("the test service's command (%s) is not pytest's", strings.Join(quoted(append(slices.Clone(entrypoint), command...)), " "))
	}
	return append(slices.Clone(command[:i+1]), options(command[i+1:])...), ""
}

// pytestAt is the index of the argument after which pytest's own arguments start, or -1.
func pytestAt(argv []string) int {
	if len(argv) == 0 {
		return -1
	}
	if pytestProgram.MatchString(path.Base(argv[0])) {
		return 0
	}
	if pythonProgram.MatchString(path.Base(argv[0])) && len(argv) > 2 && argv[1] == "-m" && (argv[2] == "pytest" || argv[2] == "py.test") {
		return 2
	}
	return -1
}

var (
	pytestProgram = regexp.MustCompile(`^(pytest(-3)?|py\.test)$`)
	pythonProgram = regexp.MustCompile(`^python(3(\.\d+)?)?$`)
	// pytestValued are pytest's options (and xdist's -n) whose value may be the next argument.
	pytestValued = map[string]bool{"-k": true, "-m": true, "-p": true, "-c": true, "-o": true, "-W": true, "-r": true, "-n": true,
		"--junitxml": true, "--junit-xml": true, "--junitprefix": true, "--junit-prefix": true, "--rootdir": true, "--basetemp": true,
		"--confcutdir": true, "--tb": true, "--durations": true, "--maxfail": true, "--deselect": true, "--ignore": true,
		"--ignore-glob": true, "--import-mode": true, "--override-ini": true, "--log-level": true, "--log-file": true,
		"--capture": true, "--color": true, "--cov": true, "--cov-report": true, "--config-file": true, "--numprocesses": true}
)

// options keeps pytest's options and their values, and leaves out its positional arguments.
func options(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		out = append(out, a)
		if pytestValued[a] && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

// quoted shows argv as a shell would need it, for the log only (the command is passed as argv).
func quoted(argv []string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`[]*?;&|<>()#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// readReport reads one report file.
func readReport(f string) (*junit.Report, error) {
	fh, err := os.Open(f)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r := &junit.Report{}
	return r, r.Parse(fh)
}

// mergeRerun records the re-run's outcomes in each report of the first run and writes each back in
// place, keeping both runs (junit.Report.WriteXML); the files as each run wrote them are kept in
// reports-dir/runs/1 and runs/2. reports are the first run's, one per file of res.Reports.
func mergeRerun(k *actionkit.Kit, cfg config, res *compose.Result, reports []*junit.Report) {
	second := &junit.Report{}
	for _, f := range res.Rerun.Reports {
		r, err := readReport(f)
		if err != nil {
			k.Warningf("re-run report %s: %v", filepath.Base(f), err)
			continue
		}
		second.Cases = append(second.Cases, r.Cases...)
	}
	for i, f := range res.Reports {
		if reports[i] == nil {
			continue
		}
		reports[i].Rerun(second)
		raw, err := os.ReadFile(f)
		if err == nil {
			err = writeReport(cfg, filepath.Join("runs", "1"), filepath.Base(f), raw)
		}
		if err == nil {
			var b strings.Builder
			if err = reports[i].WriteXML(&b); err == nil {
				err = writeReport(cfg, ".", filepath.Base(f), []byte(b.String()))
			}
		}
		if err != nil {
			k.Warningf("merged report %s: %v", filepath.Base(f), err)
		}
	}
}

// writeReport writes name into dir/sub, through an os.Root at the workspace (compose.WriteFile):
// nothing the test container planted there (a link) takes the write elsewhere.
func writeReport(cfg config, sub, name string, data []byte) error {
	_, err := compose.WriteFile(cfg.Workspace, filepath.Join(cfg.ReportsDir, sub), name, data)
	return err
}

// rerunOptions sets the run's re-run up, unless rerun-failed is off.
func rerunOptions(k *actionkit.Kit, cfg config, o *compose.Options) {
	if cfg.RerunFailed == "off" || cfg.Reports == "" {
		return
	}
	o.RerunReportsDir = filepath.Join(cfg.ReportsDir, "runs", "2")
	o.Rerun = func(_ context.Context, first *compose.Result, exists func(string) bool) []string {
		return rerunCommand(k, cfg, first, exists)
	}
}

// summariseFlaky lists the flaky cases: each failed, then passed on re-run.
func summariseFlaky(s *actionkit.Summary, rep *junit.Report) {
	var rows [][]string
	for _, c := range rep.Cases {
		if c.Flaky() {
			rows = append(rows, []string{c.Class + " " + c.Name, c.Message})
		}
	}
	if len(rows) == 0 {
		return
	}
	s.Heading(3, fmt.Sprintf("Flaky (%d)", len(rows)))
	s.Paragraph("Failed, then passed when run again against the same running platform.")
	s.Table([]string{"Test", "First run's failure"}, rows)
}

// summariseBase compares this run's outcomes with base-report's (junit.Compare) and lists the cases
// newly failing and newly passing.
func summariseBase(k *actionkit.Kit, cfg config, s *actionkit.Summary, rep *junit.Report) {
	if cfg.BaseReport == "" {
		return
	}
	base, err := readReport(cfg.BaseReport)
	if err != nil {
		k.Infof("base-report %s: %v; no comparison", workspace.Rel(cfg.Workspace, cfg.BaseReport), err)
		return
	}
	d := junit.Compare(rep, base)
	s.Heading(3, "Compared with the base report")
	if len(d.NewlyFailing)+len(d.NewlyPassing) == 0 {
		s.Paragraph("No case changed its outcome.")
		return
	}
	table := func(title string, cs []junit.Change) {
		if len(cs) == 0 {
			return
		}
		var rows [][]string
		for _, c := range cs {
			rows = append(rows, []string{c.Case.Class + " " + c.Case.Name, cmpOr(string(c.Base), "(not in base)"), string(c.Case.Outcome())})
		}
		s.Table([]string{fmt.Sprintf("%s (%d)", title, len(cs)), "Base", "Now"}, rows)
	}
	table("Newly failing", d.NewlyFailing)
	table("Newly passing", d.NewlyPassing)
}

package junit

import (
	"regexp"
	"strings"
)

// FromPytest reports whether pytest's junitxml plugin wrote the case: it names its one testsuite
// "pytest" (junit_suite_name's default).
func (c Case) FromPytest() bool { return c.Suite == "pytest" }

// PytestNodeID derives the pytest node id of a case from its classname and name, the inverse of
// pytest's junitxml (src/_pytest/junitxml.py, mangle_test_address and _NodeReporter.record_testreport):
// pytest splits the node id "tests/api/test_x.py::TestA::test_b[1-a.b]" at its first "[", splits the
// part before it at "::", turns the file path's "/" into "." and drops its ".py", puts the brackets
// back on the last name, and writes every name but the last, joined by ".", as classname
// ("tests.api.test_x.TestA"), the last as name ("test_b[1-a.b]"). The file attribute (xunit1 family)
// tells where the module path ends; the default family (xunit2) drops it, and then exists, asked
// whether a path relative to pytest's rootdir is a file (in the test container), decides; without
// it, the module is the last dotted name that pytest's default python_files (test_*.py, *_test.py)
// would collect. A directory whose name holds a dot is found only through the file attribute. It
// reports false when the case holds no id it can derive (no classname, no module to go by).
func (c Case) PytestNodeID(exists func(path string) bool) (string, bool) {
	if c.Class == "" || c.Name == "" {
		return "", false
	}
	parts := strings.Split(c.Class, ".")
	if f := strings.TrimPrefix(c.ReportedFile, "./"); f != "" && strings.HasSuffix(f, ".py") {
		dotted := strings.ReplaceAll(strings.TrimSuffix(f, ".py"), "/", ".")
		if c.Class == dotted || strings.HasPrefix(c.Class, dotted+".") {
			return join(f, strings.TrimPrefix(strings.TrimPrefix(c.Class, dotted), "."), c.Name), true
		}
	}
	// The module is the dotted prefix that is a file; try the longest first (a package directory
	// named like a module loses to the module inside it).
	if exists != nil {
		for i := len(parts); i >= 1; i-- {
			f := strings.Join(parts[:i], "/") + ".py"
			if exists(f) {
				return join(f, strings.Join(parts[i:], "."), c.Name), true
			}
		}
	}
	for i := len(parts); i >= 1; i-- {
		if testModule.MatchString(parts[i-1]) {
			return join(strings.Join(parts[:i], "/")+".py", strings.Join(parts[i:], "."), c.Name), true
		}
	}
	return "", false
}

// testModule is a module name pytest's default python_files collects: test_*.py or *_test.py.
var testModule = regexp.MustCompile(`^test_|_test$`)

// join is a node id: the file, its classes (dotted, as the classname holds them), the test's name.
func join(file, classes, name string) string {
	id := file
	if classes != "" {
		id += "::" + strings.ReplaceAll(classes, ".", "::")
	}
	return id + "::" + name
}

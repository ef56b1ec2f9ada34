package pyenv

import (
	"strings"
	"testing"
)

func TestCheckRequirement(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{
		"flake8", "flake8-bugbear==24.2.6", "django-stubs[compatible-mypy]", "Django_Stubs [ a , b ] >= 4.2 , < 5",
		"types-requests (>=2.31,<3)", "black===24.1.1", "pylint~=3.0", "celery[redis]>=5.3,<5.4", "numpy==2.*",
		"tomli; python_version < '3.11'", `pywin32 >=306 ; sys_platform == "win32" and (platform_machine=="AMD64" or platform_machine == 'x86')`,
		"importlib-metadata; python_version not in '3.10, 3.11'", "x ; extra == 'test'",
		"pkg @ https://example.com/pkg-1.0-py3-none-any.whl", "pkg[x] @ git+https://example.com/pkg.git@v1 ; os_name == 'posix'",
		"pkg@file:///wheels/pkg-1.0-py3-none-any.whl",
	} {
		if err := checkRequirement(ok); err != nil {
			t.Errorf("checkRequirement(%q) = %v, want accepted", ok, err)
		}
	}
	for bad, why := range map[string]string{
		"--index-url=http://evil/simple":        "a distribution name must come first",
		"--no-deps":                             "a distribution name must come first",
		"-r":                                    "a distribution name must come first",
		"/etc/passwd":                           "a distribution name must come first",
		"--target=/tmp/x":                       "a distribution name must come first",
		".":                                     "a distribution name must come first",
		"./libs/x":                              "a distribution name must come first",
		"":                                      "a distribution name must come first",
		"flake8 --index-url=http://evil/simple": "unexpected text",
		"git+https://example.com/x.git":         "unexpected text",
		"flake8==1.0 -r /etc/passwd":            "unexpected text",
		"pkg @ /etc/passwd":                     "needs a URL",
		"pkg @ https://x/p.whl; python_version>'3'": "unexpected text",
		"pkg[a,":                       "an extra's name is expected",
		"pkg (>=1":                     `")" is expected`,
		"pkg==":                        "a version is expected",
		"pkg; os_name == 'x' or":       "a marker variable",
		"pkg; __import__('os')":        "a marker variable",
		"pkg; os_name == 'x":           "an unclosed string",
		"pkg; os_name not 'x'":         `"not in" is expected`,
		"pkg\n--index-url=http://evil": "control character",
	} {
		err := checkRequirement(bad)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("checkRequirement(%q) = %v, want refused with %q", bad, err, why)
		}
	}
}

// FuzzCheckRequirement: whatever a project's config holds, an accepted entry is one pip argument
// that pip cannot read as an option or a path, and it names a distribution.
func FuzzCheckRequirement(f *testing.F) {
	for _, s := range []string{"flake8==7.0.0", "x[a]>=1;python_version<'3'", "p @ https://e/x", "--no-deps", "-r /etc/passwd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if checkRequirement(s) != nil {
			return
		}
		trimmed := strings.TrimLeft(s, " \t")
		if strings.HasPrefix(trimmed, "-") || strings.HasPrefix(trimmed, ".") || strings.HasPrefix(trimmed, "/") ||
			strings.ContainsAny(s, "\n\r\x00") || requirementName(s) == "" {
			t.Errorf("accepted %q", s)
		}
	})
}

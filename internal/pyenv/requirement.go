package pyenv

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// checkRequirement accepts s only when it is a PEP 508 dependency specifier
// (https://peps.python.org/pep-0508/): a distribution name, optional [extras], then a version
// specifier or a direct reference "@ <scheme>://…", then an optional "; marker". The project's
// config entries (pre-commit additional_dependencies, pyproject dependencies and groups) reach pip
// as arguments: anything else, such as "--index-url=…", "-r" or a bare path, would be read by pip
// as an option or a local project, so it is refused rather than passed on.
func checkRequirement(s string) error {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("it holds a control character")
		}
	}
	p := &requirementParser{s: s}
	return p.requirement()
}

// requirementParser reads one PEP 508 specifier; i is the offset of the next byte.
type requirementParser struct {
	s string
	i int
}

var (
	identifierRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`)
	versionRE    = regexp.MustCompile(`^[A-Za-z0-9_.*+!-]+`)
	urlRE        = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://[^\s]+$`)
	markerVarRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*`)
)

// versionOperators are PEP 440's comparison operators, longest first.
var versionOperators = []string{"===", "==", "!=", "~=", "<=", ">=", "<", ">"}

// markerVariables are the environment markers of PEP 508 (with the dotted spellings packaging still
// reads, and PEP 751's extras and dependency_groups).
var markerVariables = []string{"python_version", "python_full_version", "os_name", "sys_platform",
	"platform_release", "platform_system", "platform_version", "platform_machine",
	"platform_python_implementation", "implementation_name", "implementation_version", "extra",
	"extras", "dependency_groups", "os.name", "sys.platform", "platform.version", "platform.machine",
	"platform.python_implementation", "python_implementation"}

func (p *requirementParser) rest() string { return p.s[p.i:] }

func (p *requirementParser) space() int {
	start := p.i
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
	return p.i - start
}

func (p *requirementParser) eat(lit string) bool {
	if strings.HasPrefix(p.rest(), lit) {
		p.i += len(lit)
		return true
	}
	return false
}

func (p *requirementParser) match(re *regexp.Regexp) string {
	m := re.FindString(p.rest())
	p.i += len(m)
	return m
}

func (p *requirementParser) errorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	switch {
	case p.i == 0:
		return fmt.Errorf("%s", msg)
	case p.i == len(p.s):
		return fmt.Errorf("%s at the end", msg)
	}
	return fmt.Errorf("%s at %q", msg, p.rest())
}

func (p *requirementParser) requirement() error {
	p.space()
	if p.match(identifierRE) == "" {
		return p.errorf("a distribution name must come first")
	}
	p.space()
	if p.eat("[") {
		if err := p.extras(); err != nil {
			return err
		}
	}
	p.space()
	if p.eat("@") {
		p.space()
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != ' ' && p.s[p.i] != '\t' {
			p.i++
		}
		if !urlRE.MatchString(p.s[start:p.i]) {
			p.i = start
			return p.errorf("a direct reference needs a URL (scheme://…)")
		}
		// The URL runs to the next space (it may hold ";"): a marker comes after a space.
	} else if err := p.versionSpec(); err != nil {
		return err
	}
	p.space()
	if p.eat(";") {
		if err := p.markerOr(); err != nil {
			return err
		}
		p.space()
	}
	if p.i != len(p.s) {
		return p.errorf("unexpected text")
	}
	return nil
}

func (p *requirementParser) extras() error {
	p.space()
	if p.eat("]") {
		return nil
	}
	for {
		p.space()
		if p.match(identifierRE) == "" {
			return p.errorf("an extra's name is expected")
		}
		p.space()
		if p.eat("]") {
			return nil
		}
		if !p.eat(",") {
			return p.errorf("\",\" or \"]\" is expected")
		}
	}
}

// versionSpec reads an optional version specifier, bare or in parentheses.
func (p *requirementParser) versionSpec() error {
	paren := p.eat("(")
	if !paren && !p.atOperator() {
		return nil
	}
	for {
		p.space()
		if !p.operator() {
			return p.errorf("a version comparison (==, >=, ~= …) is expected")
		}
		p.space()
		if p.match(versionRE) == "" {
			return p.errorf("a version is expected")
		}
		p.space()
		if !p.eat(",") {
			break
		}
	}
	if paren && !p.eat(")") {
		return p.errorf("\")\" is expected")
	}
	return nil
}

func (p *requirementParser) atOperator() bool {
	for _, op := range versionOperators {
		if strings.HasPrefix(p.rest(), op) {
			return true
		}
	}
	return false
}

func (p *requirementParser) operator() bool {
	for _, op := range versionOperators {
		if p.eat(op) {
			return true
		}
	}
	return false
}

func (p *requirementParser) markerOr() error { return p.joined("or", p.markerAnd) }

func (p *requirementParser) markerAnd() error { return p.joined("and", p.markerExpr) }

// joined reads one operand or more, joined by the keyword word.
func (p *requirementParser) joined(word string, operand func() error) error {
	if err := operand(); err != nil {
		return err
	}
	for p.space(); p.keyword(word); p.space() {
		if err := operand(); err != nil {
			return err
		}
	}
	return nil
}

func (p *requirementParser) markerExpr() error {
	p.space()
	if p.eat("(") {
		if err := p.markerOr(); err != nil {
			return err
		}
		p.space()
		if !p.eat(")") {
			return p.errorf("\")\" is expected")
		}
		return nil
	}
	if err := p.markerValue(); err != nil {
		return err
	}
	p.space()
	switch {
	case p.operator(), p.keyword("in"):
	case p.keyword("not"):
		if p.space() == 0 || !p.keyword("in") {
			return p.errorf("\"not in\" is expected")
		}
	default:
		return p.errorf("a marker comparison (==, in, not in …) is expected")
	}
	return p.markerValue()
}

// keyword reads a marker keyword that is not the start of a longer word.
func (p *requirementParser) keyword(word string) bool {
	rest := p.rest()
	if !strings.HasPrefix(rest, word) {
		return false
	}
	if len(rest) > len(word) {
		if c := rest[len(word)]; c == '_' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			return false
		}
	}
	p.i += len(word)
	return true
}

// markerValue reads a marker variable or a quoted string.
func (p *requirementParser) markerValue() error {
	p.space()
	if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '\'') {
		end := strings.IndexByte(p.s[p.i+1:], p.s[p.i])
		if end < 0 {
			return p.errorf("an unclosed string")
		}
		p.i += end + 2
		return nil
	}
	start := p.i
	if v := p.match(markerVarRE); !slices.Contains(markerVariables, v) {
		p.i = start
		return p.errorf("a marker variable (python_version, sys_platform, extra …) or a quoted string is expected")
	}
	return nil
}

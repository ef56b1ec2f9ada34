package lint

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// tomlDoc is a TOML document with the order its keys first appear in: Python's tomllib keeps that
// order, and pylint applies the options of [tool.pylint] in it (an enable after a disable).
type tomlDoc struct {
	root  map[string]any
	order map[string]int // a key's path, parts joined by NUL → its first appearance
}

// readTOMLDoc decodes text (go-toml checks it is TOML: no repeated key, no table defined twice)
// and notes the order of its keys with go-toml's own parser.
func readTOMLDoc(text []byte) (*tomlDoc, error) {
	d := &tomlDoc{order: map[string]int{}}
	if err := toml.Unmarshal(text, &d.root); err != nil {
		return nil, err
	}
	p := unstable.Parser{}
	p.Reset(text)
	var table []string
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = keyParts(e.Key())
			d.note(table)
		case unstable.KeyValue:
			d.noteKeyValue(table, e)
		}
	}
	return d, p.Error()
}

func (d *tomlDoc) noteKeyValue(table []string, kv *unstable.Node) {
	path := append(append([]string(nil), table...), keyParts(kv.Key())...)
	d.note(path)
	if v := kv.Value(); v.Kind == unstable.InlineTable {
		it := v.Children()
		for it.Next() {
			if it.Node().Kind == unstable.KeyValue {
				d.noteKeyValue(path, it.Node())
			}
		}
	}
}

func (d *tomlDoc) note(path []string) {
	for i := 1; i <= len(path); i++ {
		k := strings.Join(path[:i], "\x00")
		if _, ok := d.order[k]; !ok {
			d.order[k] = len(d.order)
		}
	}
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// table is the table at path (nil when there is none, or it is not a table).
func (d *tomlDoc) table(path ...string) map[string]any {
	var v any = d.root
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	m, _ := v.(map[string]any)
	return m
}

// keys lists the keys of the table at path in document order.
func (d *tomlDoc) keys(path []string, m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	pos := func(k string) int {
		if i, ok := d.order[strings.Join(append(append([]string(nil), path...), k), "\x00")]; ok {
			return i
		}
		return math.MaxInt
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if pos(keys[i]) != pos(keys[j]) {
			return pos(keys[i]) < pos(keys[j])
		}
		return keys[i] < keys[j]
	})
	return keys
}

// tomlEntry is one key of a table to write: a value, or (entries) an inline table.
type tomlEntry struct {
	key     string
	value   any
	entries []tomlEntry
}

// renderTOML writes the entries as the one table [table.path]: each on a line of its own, keys as
// quoted strings, strings escaped, subtables inline, so that the document holds exactly these keys
// in this order.
func renderTOML(path []string, entries []tomlEntry) (string, error) {
	var b strings.Builder
	quoted := make([]string, len(path))
	for i, p := range path {
		quoted[i] = tomlString(p)
	}
	fmt.Fprintf(&b, "[%s]\n", strings.Join(quoted, "."))
	for _, e := range entries {
		v, err := e.render()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s = %s\n", tomlString(e.key), v)
	}
	return b.String(), nil
}

func (e tomlEntry) render() (string, error) {
	if e.entries == nil {
		return tomlValue(e.value)
	}
	parts := make([]string, 0, len(e.entries))
	for _, sub := range e.entries {
		v, err := sub.render()
		if err != nil {
			return "", err
		}
		parts = append(parts, tomlString(sub.key)+" = "+v)
	}
	return "{ " + strings.Join(parts, ", ") + " }", nil
}

// errTOMLType says a value is of a kind the sanitised copy does not carry (a date, a table in an
// option's value).
var errTOMLType = errors.New("not a string, number, boolean or list of them")

// tomlValue writes a string, number, boolean, list or table of them as TOML (a table inline, its
// keys sorted).
func tomlValue(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return tomlString(v), nil
	case bool:
		return strconv.FormatBool(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		switch {
		case math.IsNaN(v):
			return "nan", nil
		case math.IsInf(v, 1):
			return "inf", nil
		case math.IsInf(v, -1):
			return "-inf", nil
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s, nil
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			s, err := tomlValue(x)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(v))
		for _, k := range keys {
			s, err := tomlValue(v[k])
			if err != nil {
				return "", err
			}
			parts = append(parts, tomlString(k)+" = "+s)
		}
		return "{ " + strings.Join(parts, ", ") + " }", nil
	}
	return "", errTOMLType
}

// tomlString is s as a TOML basic string: quotes and backslashes escaped, and every control
// character, so that it stays on its line.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// pythonText is the text pylint makes of a TOML value (pylint/config/utils.py,
// _parse_rich_type_value): a list joined with commas, True/False, numbers as Python prints them
// (the sign is what matters here). ok is false for what pylint would turn into "key:value" text
// or a date's: the copy leaves those out.
func pythonText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		if v {
			return "True", true
		}
		return "False", true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case []any:
		parts := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := pythonText(x)
			if !ok {
				return "", false
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}

// tomlHas reports whether file is TOML with a table at path.
func tomlHas(file string, path ...string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	var doc map[string]any
	if toml.Unmarshal(b, &doc) != nil {
		return false
	}
	return tomlPath(doc, path)
}

// tomlPath reports whether doc holds a value at path (an empty element ends the path early).
func tomlPath(doc map[string]any, path []string) bool {
	var v any = doc
	for _, k := range path {
		if k == "" {
			break
		}
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

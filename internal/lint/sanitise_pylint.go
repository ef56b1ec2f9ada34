package lint

import (
	"path/filepath"
	"regexp"
	"strings"
)

// pylintConfigRules make the sanitised copy of pylint's config: without its hooks, plugins, reporters,
// compiled extensions and output files (see sanitise.go).
var pylintConfigRules = &configRules{flag: "--rcfile=", sanitise: sanitisePylint}

func sanitisePylint(st *stripper, file string, text []byte) (string, string) {
	if file == "" {
		return "pylintrc", ""
	}
	if strings.HasSuffix(file, ".toml") {
		return "pyproject.toml", sanitisePylintTOML(st, text)
	}
	base := filepath.Base(file)
	// In setup.cfg and tox.ini pylint reads its own sections only (a copy named so reads the same).
	withSections := base == "setup.cfg" || base == "tox.ini"
	name := "pylintrc"
	if withSections {
		name = base
	}
	f, err := parseINI(string(text), iniDialect{inlineComments: true})
	if err != nil {
		st.unreadable(err)
		return name, ""
	}
	var out []*iniSection
	for _, s := range f.sections {
		if withSections && !strings.HasPrefix(s.name, "pylint") && strings.ToLower(s.name) != "master" {
			continue
		}
		if kept := sanitiseINISection(st, f, s, pylintINIKey); kept != nil {
			out = append(out, kept)
		}
	}
	return name, renderINI(out)
}

// pylintINIKey is the key as pylint may get it, or false with why not.
func pylintINIKey(k iniKey) (iniKey, string) {
	if reason, ok := pylintKeyReason(k.name); !ok {
		return k, reason
	}
	if strings.ReplaceAll(k.name, "_", "-") == "load-plugins" {
		kept, reason := pylintPlugins(k.value())
		if reason != "" && kept == "" {
			return k, reason
		}
		k = iniKey{name: k.name, lines: []string{kept}}
		if reason != "" {
			return k, "partly: " + reason
		}
		return k, ""
	}
	values := iniValueLines(k)
	for _, v := range values {
		if hasInlineComment(v) { // configparser's search for inline comments can pass one over
			return k, "its value holds a comment marker that the copy cannot keep as it is"
		}
	}
	value := strings.Join(values, "\n")
	if reason := pylintValueReason(value); reason != "" {
		return k, reason
	}
	// configparser interpolates pylint's values: "%(x)s" could make one start with "-".
	if strings.HasPrefix(value, "%(") {
		return k, "its value is interpolated from another key, and could become another option"
	}
	return k, tripReason("pylint", renderINIKey(k))
}

// pylintKeyReason says whether pylint may get an option of this name (ok), or why not.
func pylintKeyReason(name string) (string, bool) {
	if r := pylintRule(name); r != nil && strings.ReplaceAll(strings.ToLower(name), "_", "-") != "load-plugins" {
		return r.reason, false
	}
	return "", true
}

// pylintValueReason: argparse reads a value that starts with "-" as an option of its own
// ("exit-zero = --output-format=x" sets the output format; "-fx" too).
func pylintValueReason(value string) string {
	if strings.HasPrefix(value, "-") && !negativeNumber.MatchString(value) {
		return "pylint reads a value starting with - as another option"
	}
	return ""
}

// pylintPlugins keeps the plugins that are part of pylint (pylint.extensions.*) of a load-plugins
// value, and says which it left out.
func pylintPlugins(value string) (kept, reason string) {
	var keep, drop []string
	for _, p := range strings.Split(value, ",") {
		if p = pyStrip(p); p == "" {
			continue
		}
		if pylintExtension.MatchString(p) {
			keep = append(keep, p)
		} else {
			drop = append(drop, printable(p))
		}
	}
	if len(drop) > 0 {
		reason = "pylint imports the plugin modules it names: " + strings.Join(drop, ", ")
		if len(keep) > 0 {
			reason += " (kept " + strings.Join(keep, ", ") + ", part of pylint)"
		}
	}
	return strings.Join(keep, ","), reason
}

func sanitisePylintTOML(st *stripper, text []byte) string {
	path := []string{"tool", "pylint"}
	empty, _ := renderTOML(path, nil)
	doc, err := readTOMLDoc(text)
	if err != nil {
		st.unreadable(err)
		return empty
	}
	table := doc.table(path...)
	var entries []tomlEntry
	for _, k := range doc.keys(path, table) {
		if sub, ok := table[k].(map[string]any); ok {
			section := "tool.pylint." + k
			if !plainTOMLKey.MatchString(k) {
				st.strip(section, "", "not a plain table name: left out with its keys")
				continue
			}
			e := tomlEntry{key: k, entries: []tomlEntry{}}
			for _, k2 := range doc.keys(append(path, k), sub) {
				if v, ok := pylintTOMLValue(st, section, k2, sub[k2]); ok {
					e.entries = append(e.entries, tomlEntry{key: k2, value: v})
				}
			}
			entries = append(entries, e)
			continue
		}
		if v, ok := pylintTOMLValue(st, "tool.pylint", k, table[k]); ok {
			entries = append(entries, tomlEntry{key: k, value: v})
		}
	}
	out, err := renderTOML(path, entries)
	if err != nil { // pylintTOMLValue kept only what renders
		st.unreadable(err)
		return empty
	}
	return out
}

var plainTOMLKey = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// pylintTOMLValue is the value pylint may get for key, or false (and the reason noted).
func pylintTOMLValue(st *stripper, section, key string, v any) (any, bool) {
	if !plainTOMLKey.MatchString(key) {
		st.strip(section, key, "not a plain option name")
		return nil, false
	}
	if reason, ok := pylintKeyReason(key); !ok {
		st.strip(section, key, reason)
		return nil, false
	}
	text, ok := pythonText(v)
	if _, err := tomlValue(v); !ok || err != nil {
		st.strip(section, key, "its value is "+errTOMLType.Error())
		return nil, false
	}
	if strings.ReplaceAll(strings.ToLower(key), "_", "-") == "load-plugins" {
		kept, reason := pylintPlugins(text)
		if reason != "" {
			if kept != "" {
				reason = "partly: " + reason
			}
			st.strip(section, key, reason)
		}
		return kept, kept != ""
	}
	if reason := pylintValueReason(text); reason != "" {
		st.strip(section, key, reason)
		return nil, false
	}
	return v, true
}

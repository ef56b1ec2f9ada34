package lint

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// mypyConfigRules make the sanitised copy of mypy's config: without its plugins, programs, package
// installs and report files (see sanitise.go).
var mypyConfigRules = &configRules{flag: "--config-file=", sanitise: sanitiseMypy}

// mypyEmpty is the copy of no config: a [mypy] section (mypy says when there is none).
var mypyEmpty = renderINI([]*iniSection{{name: "mypy"}})

func sanitiseMypy(st *stripper, file string, text []byte) (string, string) {
	if file == "" {
		return "mypy.ini", mypyEmpty
	}
	if strings.HasSuffix(file, ".toml") {
		return "pyproject.toml", sanitiseMypyTOML(st, text)
	}
	f, err := parseINI(string(text), iniDialect{})
	if err != nil {
		st.unreadable(err)
		return "mypy.ini", mypyEmpty
	}
	var out []*iniSection
	for _, s := range f.sections {
		if s.name != "mypy" && !strings.HasPrefix(s.name, "mypy-") {
			continue
		}
		if kept := sanitiseINISection(st, f, s, func(k iniKey) (iniKey, string) { return mypyINIKey(st, k) }); kept != nil {
			out = append(out, kept)
		}
	}
	return "mypy.ini", renderINI(out)
}

// mypyConfigDir is what mypy sets MYPY_CONFIG_FILE_DIR to and expands in paths: the copy names the
// original's directory instead of its own.
var mypyConfigDir = regexp.MustCompile(`\$\{MYPY_CONFIG_FILE_DIR\}|\$MYPY_CONFIG_FILE_DIR\b`)

func mypyINIKey(st *stripper, k iniKey) (iniKey, string) {
	if r := mypyRule(k.name); r != nil {
		return k, r.reason
	}
	lines := make([]string, len(k.lines))
	for i, l := range k.lines {
		lines[i] = mypyConfigDir.ReplaceAllLiteralString(l, st.dir)
	}
	k = iniKey{name: k.name, lines: lines}
	return k, tripReason("mypy", renderINIKey(k))
}

func sanitiseMypyTOML(st *stripper, text []byte) string {
	path := []string{"tool", "mypy"}
	empty, _ := renderTOML(path, nil)
	doc, err := readTOMLDoc(text)
	if err != nil {
		st.unreadable(err)
		return empty
	}
	table := doc.table(path...)
	var entries []tomlEntry
	for _, k := range doc.keys(path, table) {
		if k == "overrides" {
			if v, ok := mypyOverrides(st, table[k]); ok {
				entries = append(entries, tomlEntry{key: k, value: v})
			}
			continue
		}
		if v, ok := mypyTOMLValue(st, "tool.mypy", k, table[k]); ok {
			entries = append(entries, tomlEntry{key: k, value: v})
		}
	}
	out, err := renderTOML(path, entries)
	if err != nil {
		st.unreadable(err)
		return empty
	}
	return out
}

// mypyOverrides sanitises [[tool.mypy.overrides]]: each table keeps its module and its options.
func mypyOverrides(st *stripper, v any) (any, bool) {
	list, ok := v.([]any)
	if !ok {
		st.strip("tool.mypy", "overrides", "not a list of tables")
		return nil, false
	}
	var out []any
	for _, item := range list {
		t, ok := item.(map[string]any)
		if !ok {
			st.strip("tool.mypy", "overrides", "not a list of tables")
			return nil, false
		}
		kept := map[string]any{}
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if k == "module" {
				if _, err := tomlValue(t[k]); err != nil {
					st.strip("tool.mypy.overrides", k, "not a module name or list of them")
					return nil, false
				}
				kept[k] = t[k]
				continue
			}
			if v, ok := mypyTOMLValue(st, "tool.mypy.overrides", k, t[k]); ok {
				kept[k] = v
			}
		}
		out = append(out, kept)
	}
	return out, true
}

func mypyTOMLValue(st *stripper, section, key string, v any) (any, bool) {
	if !plainTOMLKey.MatchString(key) {
		st.strip(section, key, "not a plain option name")
		return nil, false
	}
	if r := mypyRule(key); r != nil {
		st.strip(section, key, r.reason)
		return nil, false
	}
	v = mypyExpand(v, st.dir)
	if _, isTable := v.(map[string]any); isTable {
		st.strip(section, key, "a table: mypy reads no option from it")
		return nil, false
	}
	if _, err := tomlValue(v); err != nil {
		st.strip(section, key, "its value is "+err.Error())
		return nil, false
	}
	return v, true
}

func mypyExpand(v any, dir string) any {
	switch v := v.(type) {
	case string:
		return mypyConfigDir.ReplaceAllLiteralString(v, dir)
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = mypyExpand(x, dir)
		}
		return out
	}
	return v
}

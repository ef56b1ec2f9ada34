package lint

import (
	"path/filepath"
	"regexp"
	"strings"
)

// flake8ConfigRules make the sanitised copy of flake8's config: its [flake8] section, without its
// local plugins and output files (see sanitise.go).
var flake8ConfigRules = &configRules{flag: "--config=", sanitise: sanitiseFlake8}

// flake8Paths are flake8's options whose entries with a slash are relative to the config file's
// directory (normalize_paths): the copy, elsewhere, names them absolutely.
var flake8Paths = map[string]bool{"exclude": true, "extend-exclude": true}

// flake8ListSeparator splits flake8's comma-separated lists (utils.parse_comma_separated_list).
var flake8ListSeparator = regexp.MustCompile(`[,\s]+`)

func sanitiseFlake8(st *stripper, file string, text []byte) (string, string) {
	if file == "" {
		return "setup.cfg", ""
	}
	name := filepath.Base(file)
	f, err := parseINI(string(text), iniDialect{})
	if err != nil {
		st.unreadable(err)
		return name, ""
	}
	if lp := f.section("flake8:local-plugins"); lp != nil {
		for _, k := range lp.keys {
			reason := "flake8 reads local plugins from this section, which is left out"
			switch k.name {
			case "extension", "report":
				reason = "flake8 imports the local plugins it names"
			case "paths":
				reason = "flake8 puts these directories on the import path for local plugins"
			}
			st.strip(lp.name, k.name, reason)
		}
	}
	var out []*iniSection
	if s := f.section("flake8"); s != nil {
		if kept := sanitiseINISection(st, f, s, func(k iniKey) (iniKey, string) { return flake8INIKey(st, k) }); kept != nil {
			out = append(out, kept)
		}
	}
	return name, renderINI(out)
}

func flake8INIKey(st *stripper, k iniKey) (iniKey, string) {
	if r := flake8Rule(k.name); r != nil {
		return k, r.reason
	}
	if flake8Paths[strings.ReplaceAll(k.name, "_", "-")] {
		var entries []string
		for _, e := range flake8ListSeparator.Split(k.value(), -1) {
			if e = strings.TrimSpace(e); e == "" {
				continue
			}
			switch {
			case filepath.IsAbs(e):
				e = filepath.Clean(e)
			case e == "." || strings.Contains(e, "/"):
				e = filepath.Join(st.dir, e) // flake8: os.path.abspath(os.path.join(cfg_dir, e))
			}
			entries = append(entries, e)
		}
		k = iniKey{name: k.name, lines: []string{strings.Join(entries, ",")}}
	}
	return k, tripReason("flake8", renderINIKey(k))
}

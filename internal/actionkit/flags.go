package actionkit

import (
	"fmt"
	"github.com/slipway-actions/slipway/internal/failure"
	"strings"
)

// parseFlags reads a CLI command line in which every flag mirrors an input: --name value,
// --name=value, and --name alone for true. A flag given twice is joined with a newline (lists and
// multiline inputs). --help/-h asks for usage; --debug turns on debug output.
func parseFlags(meta *Metadata, args []string) (map[string]string, bool, error) {
	flags := map[string]string{}
	help := false
	var problems []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "-h" || arg == "--help" || arg == "-help" {
			help = true
			continue
		}
		if !strings.HasPrefix(arg, "--") || arg == "--" {
			problems = append(problems, fmt.Sprintf("unexpected argument %q (inputs are given as --name value)", arg))
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		if name == "debug" {
			flags["debug"] = "true"
			continue
		}
		if _, ok := meta.Inputs[name]; !ok {
			problems = append(problems, fmt.Sprintf("unknown flag --%s (run with --help for the inputs)", name))
			if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
				i++
			}
			continue
		}
		if !hasValue {
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
				i++
				value = args[i]
			} else {
				value = "true"
			}
		}
		if prev, ok := flags[name]; ok {
			value = prev + "\n" + value
		}
		flags[name] = value
	}
	if len(problems) > 0 {
		return flags, help, failure.BadInput(fmt.Errorf("command line: %s", strings.Join(problems, "; ")))
	}
	return flags, help, nil
}

package rollout

import (
	"strings"
	"testing"
)

const validState = `{"project":101,"environment":"Production","environment_key":"prodKey","feature":"new-checkout","feature_id":7,` +
	`"default":{"enabled":false,"value":null},` +
	`"segment":{"id":9,"name":"slipway-rollout-new-checkout (Production)","project":101,"rules":[{"type":"ALL","rules":[{"type":"ANY","rules":[],` +
	`"conditions":[{"operator":"PERCENTAGE_SPLIT","property":null,"value":"10"}]}],"conditions":[]}]},` +
	`"override":{"priority":0,"enabled":true,"value":{"type":"string","value":"blue"}}}`

func TestParseState_ReadsWhatJSONWrites(t *testing.T) {
	t.Parallel()
	st, err := ParseState(validState)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := ParseState(st.JSON()); err != nil || again.JSON() != st.JSON() {
		t.Errorf("round trip: %v, %s", err, again.JSON())
	}
	if got := st.Describe(); got != `on for 10% (value "blue"), off for the rest` {
		t.Errorf("Describe = %q", got)
	}
}

// Every problem is named, at once; none panics (an override without a segment did).
func TestParseState_ValidatesAllOfIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"override without a segment", strings.Replace(validState, `"segment":{"id":9,`, `"segment":null,"x":{"id":9,`, 1), []string{"unknown field"}},
		{"override, segment null", `{"project":1,"environment":"P","environment_key":"k","feature":"f","feature_id":7,"default":{"enabled":false,"value":null},"segment":null,"override":{"priority":0,"enabled":true,"value":null}}`,
			[]string{"override without a segment"}},
		{"everything missing", `{}`, []string{"project is missing", "feature and feature_id are missing", "environment and environment_key are missing"}},
		{"values of the wrong type", strings.NewReplacer(`"value":null}`, `"value":{"type":"integer","value":"ten"}}`, `{"type":"string","value":"blue"}`, `{"type":"float","value":"1.5"}`).Replace(validState),
			[]string{`default.value: "ten" is not an integer`, `override.value: type "float" is not string, integer or boolean`}},
		{"rules Flagsmith refuses", strings.NewReplacer(`"type":"ANY"`, `"type":"SOME"`, `"value":"10"`, `"value":"110"`, `"PERCENTAGE_SPLIT"`, `"PERCENT"`).Replace(validState),
			[]string{`rule type "SOME"`, `operator "PERCENT"`}},
		{"a split above 100", strings.Replace(validState, `"value":"10"`, `"value":"110"`, 1), []string{`percentage "110" is not a number from 0 to 100`}},
		{"a segment without rules", strings.Replace(validState, `"rules":[{"type":"ALL"`, `"rules":[],"x":[{"type":"ALL"`, 1), []string{"unknown field"}},
		{"a negative priority", strings.Replace(validState, `"priority":0`, `"priority":-1`, 1), []string{"override.priority -1 is negative"}},
		{"the segment of another project", strings.Replace(validState, `"project":101,"rules"`, `"project":5,"rules"`, 1), []string{"segment.project 5 is not project 101"}},
		{"two values", validState + " {}", []string{"more than one JSON value"}},
		{"not JSON", "previous", []string{"not a previous-state output of flag-rollout"}},
	} {
		_, err := ParseState(tc.in)
		for _, want := range tc.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, want)
			}
		}
	}
}

// A state that skipped validation still describes itself.
func TestDescribe_OverrideWithoutSegment(t *testing.T) {
	t.Parallel()
	if got := (State{Override: &Override{Enabled: true}}).Describe(); got != "on for an unnamed segment, off for the rest" {
		t.Errorf("Describe = %q", got)
	}
}

// previous-state comes from a workflow's outputs: any text gives an error or a state that
// describes itself and survives a round trip, never a panic.
func FuzzParseState(f *testing.F) {
	f.Add(validState)
	f.Add(`{"project":1,"environment":"P","environment_key":"k","feature":"f","feature_id":7,"default":{"enabled":true,"value":null},"segment":null,"override":{"priority":0,"enabled":true,"value":null}}`)
	f.Fuzz(func(t *testing.T, in string) {
		st, err := ParseState(in)
		if err != nil {
			return
		}
		_ = st.Describe()
		if _, err := ParseState(st.JSON()); err != nil {
			t.Errorf("%s parsed, but its JSON does not: %v", in, err)
		}
	})
}

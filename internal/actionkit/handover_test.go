package actionkit

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

// Every input survives the handover byte for byte: '=' and line breaks inside values, bytes that
// are not UTF-8, empty values; the rest of the environment stays where it was.
func TestHandover_InputsRoundTripExactly(t *testing.T) {
	t.Parallel()
	environ := []string{"PATH=/bin", "INPUT_API-KEY=ab=c\nd", "INPUT_RAW=\xff\xfe", "INPUT_EMPTY=", "GITHUB_ACTIONS=true", "ACTIONS_RUNTIME_TOKEN=rt"}
	inputs, rest := splitInputs(environ)
	if !reflect.DeepEqual(rest, []string{"PATH=/bin", "GITHUB_ACTIONS=true"}) {
		t.Errorf("rest = %q", rest)
	}
	f, err := os.CreateTemp(t.TempDir(), "inputs")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(encodeInputs(inputs)); err != nil { // the offset is left at the end, as after the write before exec
		t.Fatal(err)
	}
	receiveInputs(f)
	defer handedInputs.Store(nil)
	want := map[string]string{"INPUT_API-KEY": "ab=c\nd", "INPUT_RAW": "\xff\xfe", "INPUT_EMPTY": "", "ACTIONS_RUNTIME_TOKEN": "rt"}
	if got := *handedInputs.Load(); !reflect.DeepEqual(got, want) {
		t.Errorf("received %q, want %q", got, want)
	}
	if processGetenv("INPUT_API-KEY") != "ab=c\nd" {
		t.Error("the Kit's environment does not hold the input")
	}
	if _, err := f.Stat(); err == nil {
		t.Error("the descriptor was left open")
	}
}

// The relay takes out the lines that register secrets, wherever writes split them, and redacts
// what follows them: the order of the one stream is the order of the child's writes.
func TestMaskRelay_RegistersThenRedacts(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s := &secrets{}
	m := &maskRelay{secrets: s, next: &redactWriter{w: &out, secrets: s}}
	stream := "starting\n"
	for _, form := range maskForms("pa%ss\nword") { // as AddMask tells Guard: the value and each line
		stream += maskLine + escapeCommandData(form) + "\n"
	}
	stream += maskLine + "tok3n\n" + "half a line " + maskLine + "42\n" + "panic: tok3n and pa%ss\nword and 42\n"
	for i := 0; i < len(stream); i += 7 {
		_, _ = m.Write([]byte(stream[i:min(i+7, len(stream))]))
	}
	m.Flush()
	want := "starting\nhalf a line \npanic: *** and ***\n*** and ***\n"
	if out.String() != want {
		t.Errorf("relayed %q, want %q", out.String(), want)
	}
}

func FuzzMaskRelay(f *testing.F) {
	f.Add("line\n"+maskLine+"s3cret\nsaid s3cret\n", 5)
	f.Add(maskLine+"%25%0A\n%\n", 0)
	f.Fuzz(func(t *testing.T, stream string, cut int) {
		var out bytes.Buffer
		s := &secrets{}
		m := &maskRelay{secrets: s, next: &redactWriter{w: &out, secrets: s}}
		cut = min(max(cut, 0), len(stream))
		_, _ = m.Write([]byte(stream[:cut]))
		_, _ = m.Write([]byte(stream[cut:]))
		m.Flush()
		if strings.Contains(out.String(), maskLine) {
			t.Errorf("relayed a line that registers a secret: %q", out.String())
		}
	})
}

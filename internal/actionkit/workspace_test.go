package actionkit

import "testing"

func TestWorkspacePath_InsideOnly(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"api", "/ws/api", true},
		{"./api/../web", "/ws/web", true},
		{"/ws/api/Dockerfile", "/ws/api/Dockerfile", true},
		{".", "/ws", true},
		{"../elsewhere", "", false},
		{"/etc/passwd", "", false},
		{"api/../../ws2", "", false},
	} {
		got, err := WorkspacePath("/ws", tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("WorkspacePath(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

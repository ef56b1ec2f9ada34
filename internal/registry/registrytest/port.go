package registrytest

import (
	"net"
	"testing"
)

// ClosedPort is a loopback address where nothing listens: connecting is refused, as to a registry
// that is down.
func ClosedPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

package images

import (
	"fmt"
	"io"
	"net"
)

// DialCommand is slipway's hidden subcommand that joins its standard input and output to buildkitd's
// socket, as `buildctl dial-stdio` does: the engine's exec API runs it in the builder's container
// (slipway's image holds no buildctl), and the BuildKit client speaks through it.
//
//	slipway buildkitd-dial-stdio /run/buildkit/buildkitd.sock
const DialCommand = "buildkitd-dial-stdio"

// DialStdio copies in to the unix socket and the socket to out until buildkitd closes the connection
// (after in ends, the socket's write side is closed, so buildkitd sees the client go).
func DialStdio(socket string, in io.Reader, out io.Writer) error {
	c, err := net.Dial("unix", socket)
	if err != nil {
		return fmt.Errorf("dial buildkitd: %w", err)
	}
	defer c.Close()
	go func() {
		_, _ = io.Copy(c, in)
		_ = c.(*net.UnixConn).CloseWrite()
	}()
	if _, err := io.Copy(out, c); err != nil {
		return fmt.Errorf("from buildkitd: %w", err)
	}
	return nil
}

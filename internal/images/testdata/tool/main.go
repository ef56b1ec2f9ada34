// Command tool runs inside FROM scratch test images (no shell there): it writes random bytes,
// records a build secret's hash, prints files, says its architecture, and fails on demand.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: tool rand FILE | secret ID FILE | cat FILE | arch FILE | fail TEXT")
	}
	switch args[0] {
	case "rand":
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return os.WriteFile(args[1], []byte(hex.EncodeToString(b)), 0o644)
	case "secret":
		v, err := os.ReadFile("/run/secrets/" + args[1])
		if err != nil {
			return err
		}
		sum := sha256.Sum256(v)
		return os.WriteFile(args[2], []byte(hex.EncodeToString(sum[:])), 0o644)
	case "cat":
		b, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		_, err = os.Stdout.Write(b)
		return err
	case "arch": // the architecture the tool runs as: under QEMU, the emulated one
		return os.WriteFile(args[1], []byte(runtime.GOARCH), 0o644)
	case "fail":
		fmt.Println(args[1])
		return fmt.Errorf("failing as asked")
	}
	return fmt.Errorf("unknown command %q", args[0])
}

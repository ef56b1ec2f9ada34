// Command tool runs inside FROM scratch test images (no shell there): it writes random bytes,
// records a build secret's hash, prints files, says its architecture, waits, and fails on demand.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: tool rand FILE | secret ID FILE | cat FILE | arch FILE | fill FILE MIB | sbom | sleep DURATION | fail TEXT")
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
	case "fill": // MIB mebibytes of random base64 text: a layer that costs work to build and compress
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		b := make([]byte, n<<20*3/4)
		_, _ = rand.Read(b)
		return os.WriteFile(args[1], []byte(base64.StdEncoding.EncodeToString(b)), 0o644)
	case "sbom": // a stand-in SBOM generator, per BuildKit's SBOM protocol (docs/attestations/sbom-protocol.md)
		return sbom(os.Getenv("BUILDKIT_SCAN_SOURCE"), os.Getenv("BUILDKIT_SCAN_DESTINATION"))
	case "sleep": // a step that is still running when a test cancels the build
		d, err := time.ParseDuration(args[1])
		if err != nil {
			return err
		}
		time.Sleep(d)
		return nil
	case "fail":
		fmt.Println(args[1])
		return fmt.Errorf("failing as asked")
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// sbom writes one in-toto statement with an SPDX document listing the scanned files, as BuildKit's
// SBOM protocol asks of a generator image.
func sbom(src, dst string) error {
	var files []map[string]string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(src, p)
			files = append(files, map[string]string{"fileName": "/" + rel, "SPDXID": "SPDXRef-File-" + strconv.Itoa(len(files))})
		}
		return err
	})
	if err != nil {
		return err
	}
	doc, err := json.Marshal(map[string]any{
		"_type": "https://in-toto.io/Statement/v0.1", "predicateType": "https://spdx.dev/Document",
		"predicate": map[string]any{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "slipway-test-sbom",
			"dataLicense": "CC0-1.0", "files": files},
	})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, "sbom.spdx.json"), doc, 0o644)
}

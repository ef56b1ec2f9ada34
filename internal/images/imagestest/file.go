package imagestest

import (
	"archive/tar"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// FileIn reads one file of an image's filesystem (its layers flattened), failing the test when the
// image lacks it.
func FileIn(t testing.TB, img v1.Image, path string) []byte {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s is not in the image: %v", path, err)
		}
		if strings.TrimPrefix(h.Name, "/") == path {
			b, _ := io.ReadAll(tr)
			return b
		}
	}
}

package registryauth

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The module's one registry-login lookup and one naming of Docker Hub live here: outside this
// package no code (tests aside) reads the docker config's logins through the docker CLI's config
// package, or spells a name of Docker Hub other than docker.io, in a literal or through
// go-containerregistry's constants for it.
func TestOnePlace_DockerConfigLoginsAndDockerHubNamesLiveOnlyHere(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root: %v", err)
	}
	here, _ := filepath.Abs(".")
	var inside, outside []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "testdata" || d.Name() == "vendor" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		found, err := loginCode(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, f := range found {
			if filepath.Dir(path) == here {
				inside = append(inside, rel+":"+f)
			} else {
				outside = append(outside, rel+":"+f)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range outside {
		t.Errorf("%s: registry logins and Docker Hub's names belong in internal/registryauth", f)
	}
	// The scan must see this package's own: a scan that finds nothing proves nothing.
	for _, want := range []string{"config.Load", "GetAuthConfig", `"registry-1.docker.io"`, `"https://index.docker.io/v1/"`} {
		if !containsSuffix(inside, want) {
			t.Errorf("the scan did not find %s in this package (found %v)", want, inside)
		}
	}
}

// hubNames are Docker Hub's names other than docker.io (which image references spell everywhere).
var hubNames = []string{"index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}

// loginCode lists, as "line: what", a file's docker-config login lookups (config.Load,
// config.LoadFromReader, config.LoadDefaultConfigFile of github.com/docker/cli/cli/config, and any
// GetAuthConfig or GetCredentialsStore call), string literals naming Docker Hub by another name than
// docker.io, and uses of go-containerregistry's names for Docker Hub.
func loginCode(path string) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	names := importNames(f)
	var found []string
	add := func(n ast.Node, what string) {
		found = append(found, strconv.Itoa(fset.Position(n.Pos()).Line)+": "+what)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				break
			}
			for _, h := range hubNames {
				if strings.Contains(n.Value, h) {
					add(n, n.Value)
				}
			}
		case *ast.CallExpr:
			if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "GetAuthConfig" || sel.Sel.Name == "GetCredentialsStore") {
				add(n, sel.Sel.Name)
			}
		case *ast.SelectorExpr:
			x, ok := n.X.(*ast.Ident)
			if !ok {
				break
			}
			switch names[x.Name] + "." + n.Sel.Name {
			case "github.com/docker/cli/cli/config.Load", "github.com/docker/cli/cli/config.LoadFromReader",
				"github.com/docker/cli/cli/config.LoadDefaultConfigFile",
				"github.com/google/go-containerregistry/pkg/authn.DefaultAuthKey",
				"github.com/google/go-containerregistry/pkg/name.DefaultRegistry":
				add(n, x.Name+"."+n.Sel.Name)
			}
		}
		return true
	})
	return found, nil
}

// importNames maps the names a file's imports go by to their paths.
func importNames(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := p[strings.LastIndex(p, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		m[name] = p
	}
	return m
}

func containsSuffix(list []string, suffix string) bool {
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}

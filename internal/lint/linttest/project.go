package linttest

import (
	"os"
	"path"
	"testing"

	"github.com/slipway-actions/slipway/internal/sandbox/sandboxtest"
)

// Project is a project directory with files, and a getenv that has pip reach index (a PEP 503
// index on loopback, see Index; PyPI is out of reach).
func Project(t testing.TB, index string, files map[string]string) (string, func(string) string) {
	t.Helper()
	dir := sandboxtest.Dir(t)
	WriteFiles(t, dir, files)
	home := sandboxtest.Dir(t)
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": home, "PIP_INDEX_URL": index, "LANG": "C.UTF-8"}
	return dir, func(k string) string { return env[k] }
}

// LocalProject is the files of a pure-Python project at dir (a slash path; "" for the root) that pip
// can build offline, as a requirements file's "-e ." or "./libs/x" asks: a pyproject.toml whose
// build backend is in the tree (PEP 517 backend-path, no build requirement to download) and
// modules (path below src/ → text). The backend builds a wheel (PEP 427), leaving copies of the
// modules in build/lib as setuptools does, and, for -e, an editable wheel whose .pth puts the
// project's src/ on the path (PEP 660).
func LocalProject(dir, name, version string, modules map[string]string) map[string]string {
	files := map[string]string{
		path.Join(dir, "pyproject.toml"): "[build-system]\nrequires = []\nbuild-backend = \"slipway_backend\"\nbackend-path = [\"_build\"]\n\n" +
			"[project]\nname = \"" + name + "\"\nversion = \"" + version + "\"\n",
		path.Join(dir, "_build", "slipway_backend.py"): backend,
	}
	for p, text := range modules {
		files[path.Join(dir, "src", p)] = text
	}
	return files
}

// backend is a PEP 517/660 build backend written with the standard library alone.
const backend = `"""A build backend for tests: pure-Python wheels from src/, with the standard library alone."""
import base64
import hashlib
import os
import tomllib
import zipfile


def _project():
    with open("pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _wheel(directory, files):
    project = _project()
    dist = project["name"].replace("-", "_")
    info = dist + "-" + project["version"] + ".dist-info/"
    files = dict(files)
    files[info + "METADATA"] = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (project["name"], project["version"])
    files[info + "WHEEL"] = "Wheel-Version: 1.0\nGenerator: slipway-linttest\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    wheel = dist + "-" + project["version"] + "-py3-none-any.whl"
    record = []
    with zipfile.ZipFile(os.path.join(directory, wheel), "w") as z:
        for name, text in sorted(files.items()):
            data = text.encode()
            z.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
        record.append(info + "RECORD,,")
        z.writestr(info + "RECORD", "\n".join(record) + "\n")
    return wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    # As setuptools does, the modules are copied to build/lib in the project's tree first.
    files = {}
    for root, _, names in os.walk("src"):
        for n in names:
            if n.endswith(".py"):
                rel = os.path.relpath(os.path.join(root, n), "src")
                with open(os.path.join(root, n), encoding="utf-8") as f:
                    files[rel] = f.read()
                os.makedirs(os.path.dirname(os.path.join("build", "lib", rel)), exist_ok=True)
                with open(os.path.join("build", "lib", rel), "w", encoding="utf-8") as f:
                    f.write(files[rel])
    return _wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    name = _project()["name"].replace("-", "_")
    return _wheel(wheel_directory, {"_" + name + ".pth": os.path.abspath("src") + "\n"})
`

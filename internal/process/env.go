package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// allowedEnv is the part of the environment a linter sees: never tokens or INPUT_* values.
var allowedEnv = []string{"PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "PYTHONPATH",
	"XDG_CACHE_HOME", "RUFF_CACHE_DIR", "PYLINTHOME", "PYTHONUTF8", "MYPYPATH"}

// pipEnv is what pip sees besides: where packages come from. A private index URL may carry a token;
// pip never prints it, and it reaches no linter.
var pipEnv = []string{"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_FIND_LINKS",
	"PIP_NO_INDEX", "PIP_CERT", "PIP_CLIENT_CERT", "PIP_CONFIG_FILE", "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR",
	"PIP_DEFAULT_TIMEOUT", "PIP_RETRIES", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy",
	"https_proxy", "no_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"}

// Environ builds child environments from an injected getenv (the Kit's, in the action); nil reads
// os.Getenv.
type Environ func(string) string

func (getenv Environ) pick(names []string, extra ...string) []string {
	if getenv == nil {
		getenv = os.Getenv
	}
	env := []string{"NO_COLOR=1"}
	for _, k := range names {
		if v := getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// Linter is the environment of a linter; extra entries (KEY=VALUE) replace inherited ones.
func (getenv Environ) Linter(extra ...string) []string {
	return Override(getenv.pick(allowedEnv), extra)
}

// Pip is the environment of pip and the interpreter queries.
func (getenv Environ) Pip() []string {
	return getenv.pick(append(append([]string(nil), allowedEnv...), pipEnv...), "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1")
}

// NeutralDir is where the interpreter is asked about itself (python -c puts its working directory
// first on the import path): not the workspace, whose json.py or re.py would run in place of the
// standard library's.
const NeutralDir = "/"

// Query is the environment of those questions: pip's, and the working directory kept off the
// import path (Python 3.11+) for good measure.
func (getenv Environ) Query() []string {
	return Override(getenv.Pip(), []string{"PYTHONSAFEPATH=1"})
}

// Override sets each KEY=VALUE of extra in env, replacing an inherited value.
func Override(env, extra []string) []string {
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		env = deleteKey(env, k)
		env = append(env, kv)
	}
	return env
}

func deleteKey(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// LookPath finds an executable on the PATH that getenv gives ("" for none).
func LookPath(getenv Environ, name string) string {
	if getenv == nil {
		p, _ := exec.LookPath(name)
		return p
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if st, err := statExecutable(p); err == nil && st {
			return p
		}
	}
	return ""
}

// statExecutable reports whether p is an executable regular file.
func statExecutable(p string) (bool, error) {
	st, err := os.Stat(p)
	if err != nil {
		return false, err
	}
	return st.Mode().IsRegular() && st.Mode()&0o111 != 0, nil
}

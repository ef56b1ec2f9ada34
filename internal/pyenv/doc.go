// Package pyenv provisions the Python environment a project's linters run from, as lint-python's
// install input asks. It reads what the project asks to install before anything is touched (plan.go,
// pyproject.go, precommit.go: the pins of .pre-commit-config.yaml, requirements files,
// pyproject.toml's dependencies and groups, each entry checked to be a PEP 508 requirement,
// requirement.go); makes a virtual environment over the image's packages with pip, in the sandbox
// (install.go); archives it in a cache directory of the workspace with a manifest of every entry,
// and restores it from there only when it is exactly that (archive.go); and says which of the
// linters' distributions its interpreter imports, and from where (interpreter.go).
//
// It knows no linter by name: the caller (internal/lint, from its table of tools) says which
// distributions, pre-commit hooks and executables are linters'. It does not run the linters, print
// anything, nor decide exit codes: its errors say what failed (*InstallError; every error of
// ReadPlan is the input's).
package pyenv

// Package process runs the child processes of lint-python — the linters, pip, the Python
// interpreters asked about themselves, git — to their end: each in the sandbox (internal/sandbox),
// in a process group of its own that a cancelled context kills whole, with an allow-listed
// environment (never a token or an INPUT_* value), and with what it printed captured.
//
// It does not decide what runs, where, or what an exit code means: internal/lint and internal/pyenv
// do.
package process

// Command probe reports what the runner gave its container: working directory, user, environment,
// mounts, who owns the workspace, and whether RUNNER_TEMP exists; it writes a file into the workspace
// and one into RUNNER_TEMP and names both in its outputs.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	cwd, _ := os.Getwd()
	report := map[string]any{"cwd": cwd, "uid": os.Getuid()}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	report["env"] = env
	var mounts []string
	if data, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) > 4 && (strings.HasPrefix(f[4], "/github") || f[4] == "/var/run/docker.sock") {
				mounts = append(mounts, f[4])
			}
		}
	}
	report["mounts"] = mounts
	if fi, err := os.Stat("/github/workspace/checked-out.txt"); err == nil {
		report["owner"] = fi.Sys().(*syscall.Stat_t).Uid
	}
	_, err := os.Stat(env["RUNNER_TEMP"])
	report["runnerTempExists"] = err == nil
	if event, err := os.ReadFile(env["GITHUB_EVENT_PATH"]); err == nil {
		report["event"] = json.RawMessage(event)
	}

	must(os.MkdirAll("out", 0o755))
	must(os.WriteFile("out/probe.txt", []byte("written in the container"), 0o644))
	must(os.MkdirAll(env["RUNNER_TEMP"], 0o755))
	temp := filepath.Join(env["RUNNER_TEMP"], "probe.txt")
	must(os.WriteFile(temp, []byte("lost with the container"), 0o644))

	data, _ := json.Marshal(report)
	out, err := os.OpenFile(env["GITHUB_OUTPUT"], os.O_APPEND|os.O_WRONLY, 0)
	must(err)
	fmt.Fprintf(out, "report=%s\nrelative=out/probe.txt\nabsolute=%s\ntemp=%s\n", data, filepath.Join(cwd, "out/probe.txt"), temp)
	must(out.Close())
	fmt.Println("::notice::probe ran")
	code, _ := strconv.Atoi(env["INPUT_EXIT-CODE"])
	os.Exit(code)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(99)
	}
}

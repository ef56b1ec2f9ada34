// Command platform plays every part of a small platform in the compose tests, from one static
// binary in a FROM scratch image:
//
//	platform serve -delay 2s      an API (or DB) that becomes healthy after the delay; GET /ns
//	                               answers its IPC namespace
//	platform check                 the healthcheck: exit 0 once healthy
//	platform migrate -exit 0       a migration that exits with the code
//	platform e2e -url http://api:8080/health -reports /reports -fail
//	                               a test runner: writes JUnit XML, exits 1 with -fail; without
//	                               -url it tests $BASE_URL/health (URL mode)
//	platform e2e -pytest [-fail] [-flaky-marker F] [NODEID…]
//	                               as pytest -q --junitxml would: a pytest-shaped report (suite
//	                               "pytest", a class, a parametrised case); with node ids, runs only
//	                               those (exit 4, as pytest, for an id it does not have); with
//	                               -flaky-marker, the checkout case fails unless F exists, which
//	                               it creates: it fails once, then passes
//	platform suite -n 10 -reports /reports [-failing test_5]
//	                               a suite of n cases (test_1 … test_n, test_3 skipped), of which it
//	                               runs its shard's part when SLIPWAY_SHARD_INDEX and
//	                               SLIPWAY_SHARD_TOTAL are set (case k when (k-1) mod n = index-1);
//	                               the cases named in -failing fail, and then it exits 1
//	platform sleep                 a test that never ends
//	platform lines -n 30 -exit 1   prints "line 1 of 30" … "line 30 of 30", then exits with the code
//	platform facts -name x -out /facts [-get URL]
//	                               writes what the container sees (capabilities, /dev/shm, hosts,
//	                               ulimits, namespaces, mounts…) to /facts/x.json
//	platform count FILE OUT        adds one to the number in FILE (a cache mount) and copies it to OUT
//	platform copy FROM TO          copies a file (a build secret, a built file into the reports)
//	platform flaky -delay 1s       crashes (exit 3) the first time it runs in a container, then serves
//	                               as serve does: a restart policy brings it up on the second run
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	delay := fs.Duration("delay", 0, "")
	code := fs.Int("exit", 0, "")
	url := fs.String("url", "", "")
	reports := fs.String("reports", "/reports", "")
	fail := fs.Bool("fail", false, "")
	name := fs.String("name", "facts", "")
	out := fs.String("out", "/facts", "")
	get := fs.String("get", "", "")
	n := fs.Int("n", 0, "")
	pytest := fs.Bool("pytest", false, "")
	marker := fs.String("flaky-marker", "", "")
	failing := fs.String("failing", "", "")
	_ = fs.Parse(os.Args[2:])
	switch os.Args[1] {
	case "flaky":
		// The container's own filesystem outlives a restart: the marker says this is the second run.
		if _, err := os.Stat("/crashed-once"); err != nil {
			_ = os.WriteFile("/crashed-once", nil, 0o644)
			fmt.Println("crashing on the first run")
			os.Exit(3)
		}
		fallthrough
	case "serve":
		fmt.Println("starting; healthy in", *delay)
		time.AfterFunc(*delay, func() { _ = os.WriteFile("/tmp/healthy", nil, 0o644); fmt.Println("ready") })
		http.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
			if _, err := os.Stat("/tmp/healthy"); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		http.HandleFunc("/ns", func(w http.ResponseWriter, _ *http.Request) {
			ns, _ := os.Readlink("/proc/self/ns/ipc")
			_, _ = io.WriteString(w, ns)
		})
		_ = http.ListenAndServe(":8080", nil)
	case "check":
		if _, err := os.Stat("/tmp/healthy"); err != nil {
			os.Exit(1)
		}
	case "migrate":
		fmt.Println("migrating")
		os.Exit(*code)
	case "e2e":
		if *pytest {
			pytestE2E(*url, *reports, *fail, *marker, fs.Args())
			return
		}
		e2e(*url, *reports, *fail)
	case "suite":
		suite(*n, *reports, strings.Split(*failing, ","))
	case "lines":
		for i := 1; i <= *n; i++ {
			fmt.Printf("line %d of %d\n", i, *n)
		}
		os.Exit(*code)
	case "sleep":
		fmt.Println("sleeping")
		time.Sleep(time.Hour)
	case "facts":
		if err := facts(*name, *out, *get); err != nil {
			fmt.Println("facts:", err)
			os.Exit(1)
		}
	case "count":
		n, _ := os.ReadFile(fs.Arg(0))
		i, _ := strconv.Atoi(strings.TrimSpace(string(n)))
		i++
		must(os.WriteFile(fs.Arg(0), []byte(strconv.Itoa(i)), 0o644))
		must(os.WriteFile(fs.Arg(1), []byte(strconv.Itoa(i)), 0o644))
	case "copy":
		data, err := os.ReadFile(fs.Arg(0))
		must(err)
		must(os.MkdirAll(filepath.Dir(fs.Arg(1)), 0o755))
		must(os.WriteFile(fs.Arg(1), data, 0o644))
	}
}

func must(err error) {
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}

func e2e(url, reports string, fail bool) {
	if url == "" {
		url = strings.TrimRight(os.Getenv("BASE_URL"), "/") + "/health"
	}
	status := "ok"
	resp, err := http.Get(url)
	if err != nil || resp.StatusCode != 200 {
		status = fmt.Sprintf("api not healthy: %v", err)
		fail = true
	}
	fmt.Println("::set-output name=result::pwned")
	failure := ""
	if fail {
		failure = `<failure message="expected 200">tests/test_checkout.py:42: AssertionError</failure>`
	}
	xml := `<testsuites><testsuite name="e2e"><testcase classname="tests.test_health" name="test_health" time="0.1"/>` +
		`<testcase classname="tests.test_checkout" name="test_checkout" time="0.2">` + failure + `</testcase></testsuite></testsuites>`
	_ = os.MkdirAll(reports, 0o755)
	_ = os.WriteFile(filepath.Join(reports, "junit.xml"), []byte(xml), 0o644)
	fmt.Println("e2e:", status, "("+url+")")
	if fail {
		os.Exit(1)
	}
}

// suite runs this shard's part of a suite of n cases, as a test runner that shards would.
func suite(n int, reports string, failing []string) {
	index, _ := strconv.Atoi(os.Getenv("SLIPWAY_SHARD_INDEX"))
	total, _ := strconv.Atoi(os.Getenv("SLIPWAY_SHARD_TOTAL"))
	if total < 1 || index < 1 || index > total {
		index, total = 1, 1
	}
	name := "suite"
	if s := os.Getenv("SLIPWAY_SHARD"); s != "" {
		name = "suite, shard " + s
	}
	xml, ran, failed := `<testsuites><testsuite name="`+name+`">`, 0, 0
	for k := 1; k <= n; k++ {
		if (k-1)%total != index-1 {
			continue
		}
		ran++
		class, body := "tests.test_cart", ""
		if k%2 == 0 {
			class = "tests.test_pay"
		}
		switch c := fmt.Sprintf("test_%d", k); {
		case k == 3:
			body = `<skipped message="not yet"/>`
		case slices.Contains(failing, c):
			failed++
			body = `<failure message="expected 200">tests/test_suite.py:` + strconv.Itoa(10+k) + `: AssertionError</failure>`
		}
		xml += fmt.Sprintf(`<testcase classname=%q name="test_%d" time="0.1">%s</testcase>`, class, k, body)
	}
	xml += `</testsuite></testsuites>`
	must(os.MkdirAll(reports, 0o755))
	must(os.WriteFile(filepath.Join(reports, "junit.xml"), []byte(xml), 0o644))
	fmt.Printf("%s: %d of %d cases, %d failed\n", name, ran, n, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// pytestE2E plays pytest: node ids are argv, each one exactly as pytest --collect-only -q prints it.
func pytestE2E(url, reports string, fail bool, marker string, selected []string) {
	fmt.Printf("e2e args: %q\n", selected)
	type tc struct{ id, class, name, failure string }
	cases := []tc{
		{id: "tests/test_health.py::test_health", class: "tests.test_health", name: "test_health"},
		{id: "tests/test_checkout.py::TestCheckout::test_pay[card-1.5 EUR]", class: "tests.test_checkout.TestCheckout", name: "test_pay[card-1.5 EUR]"},
	}
	if resp, err := http.Get(url); err != nil || resp.StatusCode != 200 {
		cases[0].failure = "api not healthy"
	}
	switch {
	case fail:
		cases[1].failure = "expected 200"
	case marker != "":
		if _, err := os.Stat(marker); err != nil {
			_ = os.WriteFile(marker, nil, 0o644)
			cases[1].failure = "first run: no marker"
		}
	}
	if len(selected) > 0 {
		var run []tc
		for _, id := range selected {
			found := false
			for _, c := range cases {
				if c.id == id {
					run, found = append(run, c), true
				}
			}
			if !found {
				fmt.Printf("ERROR: not found: %s\n", id)
				os.Exit(4)
			}
		}
		cases = run
	}
	xml, failed := `<testsuites><testsuite name="pytest">`, 0
	for _, c := range cases {
		body := ""
		if c.failure != "" {
			failed++
			body = fmt.Sprintf(`<failure message=%q>tests/x.py:42: AssertionError</failure>`, c.failure)
		}
		xml += fmt.Sprintf(`<testcase classname=%q name=%q time="0.1">%s</testcase>`, c.class, c.name, body)
	}
	xml += `</testsuite></testsuites>`
	must(os.MkdirAll(reports, 0o755))
	must(os.WriteFile(filepath.Join(reports, "junit.xml"), []byte(xml), 0o644))
	fmt.Printf("e2e: %d passed, %d failed\n", len(cases)-failed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// Facts is what a container sees of its own settings.
type Facts struct {
	Args       []string `json:"args"`
	UID        int      `json:"uid"`
	GID        int      `json:"gid"`
	Cwd        string   `json:"cwd"`
	Hostname   string   `json:"hostname"`
	Arch       string   `json:"arch"`
	ShmBytes   uint64   `json:"shm_bytes"`
	Hosts      string   `json:"hosts"`
	CapEff     uint64   `json:"cap_eff"`
	Mounts     string   `json:"mounts"`
	NofileSoft uint64   `json:"nofile_soft"`
	NofileHard uint64   `json:"nofile_hard"`
	PID1       string   `json:"pid1"`
	Somaxconn  string   `json:"somaxconn"`
	IPCNS      string   `json:"ipc_ns"`
	Interfaces []string `json:"interfaces"`
	Get        string   `json:"get"` // the body of -get URL, or the error
}

func facts(name, out, get string) error {
	f := Facts{Args: os.Args, UID: os.Getuid(), GID: os.Getgid(), Arch: runtime.GOARCH}
	f.Cwd, _ = os.Getwd()
	f.Hostname, _ = os.Hostname()
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil {
		f.ShmBytes = st.Blocks * uint64(st.Bsize)
	}
	f.Hosts = read("/etc/hosts")
	for _, line := range strings.Split(read("/proc/self/status"), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			f.CapEff, _ = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	f.Mounts = read("/proc/self/mounts")
	// Go raises its own soft limit of open files at start: PID 1's limits are the container's.
	for _, line := range strings.Split(read("/proc/1/limits"), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if v := strings.Fields(rest); len(v) >= 2 {
				f.NofileSoft, _ = strconv.ParseUint(v[0], 10, 64)
				f.NofileHard, _ = strconv.ParseUint(v[1], 10, 64)
			}
		}
	}
	f.PID1 = strings.ReplaceAll(read("/proc/1/cmdline"), "\x00", " ")
	f.Somaxconn = strings.TrimSpace(read("/proc/sys/net/core/somaxconn"))
	f.IPCNS, _ = os.Readlink("/proc/self/ns/ipc")
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		f.Interfaces = append(f.Interfaces, i.Name)
	}
	if get != "" {
		c := http.Client{Timeout: 10 * time.Second}
		if resp, err := c.Get(get); err != nil {
			f.Get = "error: " + err.Error()
		} else {
			b, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			f.Get = strings.TrimSpace(fmt.Sprintf("%d %s", resp.StatusCode, b))
		}
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o777); err != nil {
		return err
	}
	fmt.Printf("%s\n", data)
	return os.WriteFile(filepath.Join(out, name+".json"), data, 0o644)
}

func read(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

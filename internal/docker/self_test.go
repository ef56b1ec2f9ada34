package docker

import (
	"slices"
	"testing"
)

const (
	inContainer = "01b5da3cd9406c74ea46d6dd8eb83ab63b019be3f87bab1430def504d3a5b3d7"
	other       = "9f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b"
)

// What the engine leaves in a container (its mountinfo and cgroup v1 read there), and what the host
// sees of another container's directory, which must not count.
func TestSelfCandidates_FromTheEnginesMountsCgroupAndHostname(t *testing.T) {
	t.Parallel()
	mountinfo := `235 160 0:48 / / rw,relatime master:91 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X
252 235 254:0 /var/lib/docker/containers/` + inContainer + `/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw
253 235 254:0 /var/lib/docker/containers/` + inContainer + `/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw
254 235 254:0 /containers/` + inContainer + `/hosts /etc/hosts rw,relatime - ext4 /dev/vda rw
300 30 0:60 / /var/lib/docker/containers/` + other + `/mounts/shm rw,nosuid,nodev,noexec,relatime shared:150 - tmpfs shm rw,size=65536k
`
	for _, tc := range []struct {
		name, mountinfo, cgroup, hostname string
		want                              []string
	}{
		{"in a container", mountinfo, "9:name=systemd:/docker/" + inContainer + "\n8:pids:/docker/" + inContainer + "\n", "01b5da3cd940", []string{inContainer, "01b5da3cd940"}},
		{"cgroup v2 with the host's namespace", "", "0::/system.slice/docker-" + inContainer + ".scope\n", "web", []string{inContainer, "web"}},
		{"on the host", "300 30 0:60 / /var/lib/docker/containers/" + other + "/mounts/shm rw - tmpfs shm rw\n", "0::/user.slice\n", "vm", []string{"vm"}},
		{"nothing", "", "", "", nil},
	} {
		if got := selfCandidates(tc.mountinfo, tc.cgroup, tc.hostname); !slices.Equal(got, tc.want) {
			t.Errorf("%s: candidates %q, want %q", tc.name, got, tc.want)
		}
	}
}

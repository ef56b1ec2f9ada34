package images

import (
	"reflect"
	"testing"
)

// The mounts a container given buildkitd's privileges one by one has (cgroup v1, as Docker mounts
// them read-only), one cgroup v2 mount, and mounts that are no business of ExecCommand.
func TestReadOnlyCgroups_ListsTheReadOnlyCgroupMountsWithTheirOptions(t *testing.T) {
	t.Parallel()
	mountinfo := `94 93 0:47 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
95 94 0:29 /docker/01b5 /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu
96 94 0:30 /docker/01b5 /sys/fs/cgroup/name\040with\040space ro,nosuid - cgroup cgroup rw,name=x
97 94 0:31 /docker/01b5 /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory
98 93 0:32 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime shared:7 - cgroup2 cgroup2 rw,nsdelegate
99 93 0:33 / /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw
`
	want := []cgroupMount{
		{Path: "/sys/fs/cgroup/cpu", Options: []string{"nosuid", "nodev", "noexec", "relatime"}},
		{Path: "/sys/fs/cgroup/name with space", Options: []string{"nosuid"}},
		{Path: "/sys/fs/cgroup", Options: []string{"nosuid", "nodev", "noexec", "relatime"}},
	}
	if got := readOnlyCgroups(mountinfo); !reflect.DeepEqual(got, want) {
		t.Errorf("readOnlyCgroups = %+v\nwant %+v", got, want)
	}
}

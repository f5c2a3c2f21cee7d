package harness

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePin(t *testing.T) {
	p, err := ParsePin("0-2,4/5")
	require.NoError(t, err)
	require.Equal(t, Pin{Target: "0-2,4", Generator: "5"}, p)
	name, args := p.command("/bin/edge-node", []string{"--demo"})
	require.Equal(t, "taskset", name)
	require.Equal(t, []string{"-c", "0-2,4", "/bin/edge-node", "--demo"}, args)
	name, args = Pin{Generator: "1"}.command("/bin/edge-node", []string{"--demo"})
	require.Equal(t, "/bin/edge-node", name, "an unpinned target starts as it is")
	require.Equal(t, []string{"--demo"}, args)

	p, err = ParsePin("/1")
	require.NoError(t, err)
	require.Equal(t, Pin{Generator: "1"}, p)
	cpus, err := parseCPUList("0-2,4")
	require.NoError(t, err)
	require.Equal(t, []int{0, 1, 2, 4}, cpus)
	for _, bad := range []string{"", "1", "/", "a/1", "0/2-1", "0/-1", "0/1,,2"} {
		_, err := ParsePin(bad)
		require.Error(t, err, bad)
	}
}

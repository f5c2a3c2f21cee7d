// Package sumotest is what tests that need Eclipse SUMO share. It imports the standard library
// only.
package sumotest

import (
	"os"
	"os/exec"
	"testing"
)

// Require skips the test when one of SUMO's tools is not installed (sumo when none is named),
// unless MICHI_REQUIRE_INTEGRATION=1 (CI), where it fails it instead.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	if len(tools) == 0 {
		tools = []string{"sumo"}
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("MICHI_REQUIRE_INTEGRATION") == "1" {
				t.Fatalf("MICHI_REQUIRE_INTEGRATION=1 but %s is not installed (Debian: apt-get install sumo sumo-tools)", tool)
			}
			t.Skipf("%s is not installed (Debian: apt-get install sumo sumo-tools)", tool)
		}
	}
}

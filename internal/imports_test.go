// Package internal_test holds the house's dependency rules (docs/ARCHITECTURE.md, "Dependency
// rules") as a test: each rule names a package and what it must not depend on, directly or
// through another package. pkg/imports_test.go holds the public packages' rule.
package internal_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/michi-v2x/michi/"

// rules: package (relative to the module) → packages it must not depend on (prefixes).
var rules = map[string][]string{
	// Transports call down into a Handler; they know nothing of the pipeline or of each other.
	"internal/broker": {"internal/edge", "internal/native", "internal/ldm", "internal/hazard", "internal/detect", "internal/road", "internal/uplink", "internal/hub", "internal/auth"},
	"internal/native": {"internal/edge", "internal/broker", "internal/ldm", "internal/hazard", "internal/detect", "internal/road", "internal/uplink", "internal/hub"},
	"internal/uplink": {"internal/edge", "internal/broker", "internal/native", "internal/hub", "internal/ldm", "internal/hazard", "internal/detect"},
	// The pipeline's parts know no transport and no node.
	"internal/ldm":    {"internal/"},
	"internal/hazard": {"internal/"},
	"internal/road":   {"internal/edge", "internal/broker", "internal/native", "internal/uplink", "internal/hub", "internal/detect", "internal/hazard"},
	"internal/detect": {"internal/edge", "internal/broker", "internal/native", "internal/uplink", "internal/hub"},
	// The hub and the edge meet only over the uplink.
	"internal/hub/...": {"internal/edge", "internal/broker", "internal/native", "internal/ldm", "internal/detect"},
	"internal/edge":    {"internal/hub", "internal/demo"},
	// Leaves.
	"internal/auth":     {"internal/"},
	"internal/httpsrv":  {"internal/"},
	"internal/testutil": {"internal/", "github.com/"},
}

func TestDependencyRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	for pkg, banned := range rules {
		out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			for _, dep := range fields[1:] {
				for _, b := range banned {
					if b == "github.com/" && strings.HasPrefix(dep, b) || strings.HasPrefix(dep, module+b) {
						t.Errorf("%s depends on %s, which it must not (%s)", fields[0], dep, b)
					}
				}
			}
		}
	}
}

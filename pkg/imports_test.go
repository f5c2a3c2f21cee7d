// Package pkg_test holds the rule that keeps the public packages public: nothing under pkg/
// depends, directly or through another package, on anything under internal/. Vehicle and tool
// authors import pkg/…; an internal/ package they cannot import would make the SDK unusable
// outside this module. Tests may import internal/ (they run inside the module); the rule is on
// what the packages themselves build from.
package pkg_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/michi-v2x/michi"

func TestPublicPackagesImportNoInternal(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	// One line per public package: its path, then every package it depends on.
	out, err := exec.Command("go", "list",
		"-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"/pkg/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 5 {
		t.Fatalf("go list found %d public packages, want the SDK, codecs and geo among them:\n%s", len(lines), out)
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		for _, dep := range fields[1:] {
			if strings.HasPrefix(dep, module+"/internal/") {
				t.Errorf("%s depends on %s: pkg/ may depend on pkg/ and outside modules only", fields[0], dep)
			}
		}
	}
}

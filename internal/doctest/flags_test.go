package doctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// flagDocs names, per binary, the page that documents each of its flags.
var flagDocs = map[string]string{
	"edge-node": "docs/edge.md",
	"cloud-hub": "cmd/cloud-hub/README.md",
	"vehicle":   "examples/vehicle/README.md",
}

var flagLine = regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`)

// TestEveryFlagIsDocumented runs each binary with -h and wants every flag it prints named on its
// page (as --flag or -flag), and every flag the page names known to the binary.
func TestEveryFlagIsDocumented(t *testing.T) {
	requireTools(t, "make")
	root := repoRoot(t)
	bin := built(t, root)
	for name, doc := range flagDocs {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(filepath.Join(bin, name), "-h").CombinedOutput()
			if err != nil {
				t.Fatalf("%s -h: %v\n%s", name, err, out)
			}
			page, err := os.ReadFile(filepath.Join(root, doc))
			if err != nil {
				t.Fatal(err)
			}
			known := map[string]bool{}
			for _, m := range flagLine.FindAllStringSubmatch(string(out), -1) {
				known[m[1]] = true
				if !regexp.MustCompile(`(^|[^\w-])--?` + regexp.QuoteMeta(m[1]) + `\b([^-]|$)`).Match(page) {
					t.Errorf("%s -%s is not on %s", name, m[1], doc)
				}
			}
			if len(known) < 5 {
				t.Fatalf("%s -h printed too few flags:\n%s", name, out)
			}
			// Flags the page lists — a line of a usage block or a row of a flag table, not the
			// shell examples, which may run other commands — must exist.
			inShell := false
			for _, l := range strings.Split(string(page), "\n") {
				if strings.HasPrefix(l, "```") {
					inShell = !inShell && (strings.HasPrefix(l, "```sh") || strings.HasPrefix(l, "```bash"))
					continue
				}
				m := regexp.MustCompile("^(?:  |\\| `)--?([a-z][a-z0-9-]+)").FindStringSubmatch(l)
				if m != nil && !inShell && !known[m[1]] {
					t.Errorf("%s names %s -%s, which it does not have: %q", doc, name, m[1], l)
				}
			}
		})
	}
}

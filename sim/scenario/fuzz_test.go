package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: a scenario file either loads or gets an error naming the file; nothing panics.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(string(b))
		}
	}
	f.Add(good)
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > 4096 || strings.Count(in, "*") > 8 {
			return // keep iterations cheap (YAML alias expansion is yaml.v3's to bound)
		}
		_, err := Parse("f.yaml", []byte(in))
		if err != nil && !strings.Contains(err.Error(), "f.yaml") {
			t.Fatalf("error without the file name: %v", err)
		}
	})
}

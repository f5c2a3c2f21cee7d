package doctest

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestRunnableBlocksAreFoundInOrder(t *testing.T) {
	md := "# page\n\n```sh\necho not me\n```\n\n```sh runnable\necho one\n```\n\ntext\n\n```bash runnable\necho two\necho three\n```\n\n```go\n```sh runnable\n```\n"
	f := filepath.Join(t.TempDir(), "page.md")
	if err := os.WriteFile(f, []byte(md), 0o600); err != nil {
		t.Fatal(err)
	}
	blocks, err := runnableBlocks(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []block{{line: 7, text: "echo one\n"}, {line: 13, text: "echo two\necho three\n"}}
	if len(blocks) != len(want) || blocks[0] != want[0] || blocks[1] != want[1] {
		t.Fatalf("blocks = %+v, want %+v", blocks, want)
	}

	if err := os.WriteFile(f, []byte("```sh runnable\necho open\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runnableBlocks(f); err == nil {
		t.Fatal("an unclosed block is an error")
	}
}

func TestEachPortIsReplacedByOneFreePort(t *testing.T) {
	got := withFreePorts(t, "a 127.0.0.1:9090 b localhost:9090 c 127.0.0.1:7443/x 127.0.0.1:9090 d 10.0.0.1:9090")
	m := regexp.MustCompile(`^a 127\.0\.0\.1:(\d+) b localhost:(\d+) c 127\.0\.0\.1:(\d+)/x 127\.0\.0\.1:(\d+) d 10\.0\.0\.1:9090$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("replaced: %q", got)
	}
	if m[1] != m[2] || m[1] != m[4] || m[1] == m[3] || m[1] == "9090" || m[3] == "7443" {
		t.Fatalf("want one new port per distinct port, others untouched: %q", got)
	}
}

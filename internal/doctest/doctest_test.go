package doctest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// scriptTimeout bounds one file's script: the README's quickstart builds the binaries and starts
// a hub and two edges.
const scriptTimeout = 5 * time.Minute

// docGlobs are the Markdown files whose runnable blocks are run, relative to the repository root.
var docGlobs = []string{"README.md", "docs/*.md", "cmd/*/*.md", "examples/*/*.md", "sim/*.md", "benchmarks/*.md"}

// block is one runnable shell block of a file.
type block struct {
	line int // of the opening fence
	text string
}

var fence = regexp.MustCompile("^```(sh|bash)[ \t]+runnable[ \t]*$")

// runnableBlocks returns the file's blocks fenced as ```sh runnable, in order.
func runnableBlocks(file string) ([]block, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		out   []block
		cur   *block // in a runnable block
		other bool   // in another fenced block, whose content is not looked at
		text  strings.Builder
		n     int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		l := sc.Text()
		closing := strings.TrimSpace(l) == "```"
		switch {
		case other:
			other = !closing
		case cur == nil && fence.MatchString(l):
			cur = &block{line: n}
			text.Reset()
		case cur == nil && strings.HasPrefix(strings.TrimSpace(l), "```"):
			other = true
		case cur != nil && closing:
			cur.text = text.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			text.WriteString(l)
			text.WriteByte('\n')
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: runnable block not closed", file, cur.line)
	}
	return out, sc.Err()
}

var portRef = regexp.MustCompile(`\b(127\.0\.0\.1|localhost):(\d{2,5})\b`)

// withFreePorts replaces every port the script names after 127.0.0.1 or localhost by a port free
// on 127.0.0.1 for TCP and UDP alike (the hub's uplink and the edges' QUIC listeners are UDP), the
// same replacement wherever a port repeats.
func withFreePorts(t *testing.T, script string) string {
	t.Helper()
	free := map[string]string{}
	var held []func()
	defer func() {
		for _, release := range held {
			release()
		}
	}()
	for _, m := range portRef.FindAllStringSubmatch(script, -1) {
		if _, ok := free[m[2]]; ok {
			continue
		}
		for {
			tl, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatalf("free port: %v", err)
			}
			port := tl.Addr().(*net.TCPAddr).Port
			ul, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil { // taken for UDP: hold the TCP one so it is not drawn again, and retry
				held = append(held, func() { tl.Close() })
				continue
			}
			held = append(held, func() { tl.Close(); ul.Close() })
			free[m[2]] = strconv.Itoa(port)
			break
		}
	}
	return portRef.ReplaceAllStringFunc(script, func(s string) string {
		m := portRef.FindStringSubmatch(s)
		return m[1] + ":" + free[m[2]]
	})
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// requireTools skips the test when a tool is missing, unless MICHI_REQUIRE_INTEGRATION=1.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the documented commands build and start real daemons")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("MICHI_REQUIRE_INTEGRATION") == "1" {
				t.Fatalf("%s is not installed and MICHI_REQUIRE_INTEGRATION=1", tool)
			}
			t.Skipf("%s is not installed (set MICHI_REQUIRE_INTEGRATION=1 to make this a failure)", tool)
		}
	}
}

var (
	buildOnce sync.Once
	buildErr  error
)

// built runs `make build` once, as the README does, and returns the directory of the binaries.
func built(t *testing.T, root string) string {
	t.Helper()
	buildOnce.Do(func() {
		cmd := exec.Command("make", "build")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("make build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(root, "bin")
}

// untracked lists the files git reports as changed or unignored-untracked under root.
func untracked(root string) (map[string]bool, error) {
	cmd := exec.Command("git", "status", "--porcelain", "--untracked-files=all")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			set[l] = true
		}
	}
	return set, nil
}

func TestRunnableDocs(t *testing.T) {
	requireTools(t, "bash", "make", "curl", "openssl")
	root := repoRoot(t)
	var files []string
	for _, g := range docGlobs {
		m, err := filepath.Glob(filepath.Join(root, g))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	ran := 0
	for _, file := range files {
		blocks, err := runnableBlocks(file)
		if err != nil {
			t.Fatal(err)
		}
		if len(blocks) == 0 {
			continue
		}
		ran++
		rel, _ := filepath.Rel(root, file)
		t.Run(rel, func(t *testing.T) { runScript(t, root, rel, blocks) })
	}
	if ran == 0 {
		t.Fatal("no runnable block in the docs: the README's quickstart should be one")
	}
}

func runScript(t *testing.T, root, name string, blocks []block) {
	bin := built(t, root)
	var script strings.Builder
	for _, b := range blocks {
		fmt.Fprintf(&script, "# %s:%d\n%s", name, b.line, b.text)
	}
	text := withFreePorts(t, script.String())
	tmp := t.TempDir()
	file := filepath.Join(tmp, "script.sh")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	before, gitErr := untracked(root)

	// The output goes to a file, not a pipe: Wait would otherwise wait for the background daemons,
	// which hold the pipe, to end.
	out, err := os.Create(filepath.Join(tmp, "output"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("bash", "-euo", "pipefail", file)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its background daemons too, to kill them all
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(scriptTimeout):
		runErr = fmt.Errorf("still running after %s", scriptTimeout)
	}
	stopGroup(t, cmd.Process.Pid)
	if runErr != nil {
		output, _ := os.ReadFile(out.Name())
		t.Errorf("%s: the runnable blocks failed: %v\n--- script (ports replaced)\n%s\n--- output\n%s%s", name, runErr, text, output, logs(tmp))
	}
	if gitErr == nil {
		after, err := untracked(root)
		if err != nil {
			t.Fatal(err)
		}
		var left []string
		for f := range after {
			if !before[f] {
				left = append(left, f)
			}
		}
		sort.Strings(left)
		if len(left) > 0 {
			t.Errorf("%s: the blocks left files in the repository (cd \"$(mktemp -d)\" first): %v", name, left)
		}
	}
}

// stopGroup ends every process of the group: SIGTERM, then SIGKILL for what is left after 10 s.
func stopGroup(t *testing.T, pgid int) {
	t.Helper()
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(-pgid, 0) == nil { // some process of the group is still there
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			deadline = time.Now().Add(10 * time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logs returns the *.log files under dir, for a failure's report.
func logs(dir string) string {
	var b strings.Builder
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".log") {
			content, _ := os.ReadFile(p)
			fmt.Fprintf(&b, "--- %s\n%s", p, content)
		}
		return nil
	})
	return b.String()
}

// subcommands are the binaries' subcommands, each with its own flags and -h.
var subcommands = map[string][][]string{
	"michi-sim": {{"demo"}, {"run"}, {"check"}, {"eval"}},
	"cloud-hub": {{"pki", "init"}, {"pki", "issue-edge"}},
	"edge-node": {{"credentials", "add"}},
}

func TestEveryBinaryHelpExitsZero(t *testing.T) {
	requireTools(t, "make")
	root := repoRoot(t)
	list := exec.Command("go", "list", "-f", `{{if eq .Name "main"}}{{.ImportPath}}{{end}}`, "./cmd/...", "./examples/...")
	list.Dir = root
	pkgs, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	bin := built(t, root)
	names := strings.Fields(string(pkgs))
	if len(names) < 5 {
		t.Fatalf("found only %v", names)
	}
	for _, pkg := range names {
		name := filepath.Base(pkg)
		for _, args := range append([][]string{nil}, subcommands[name]...) {
			args := append(append([]string(nil), args...), "-h")
			t.Run(strings.Join(append([]string{name}, args...), " "), func(t *testing.T) {
				out, err := exec.Command(filepath.Join(bin, name), args...).CombinedOutput()
				var exit *exec.ExitError
				if errors.As(err, &exit) {
					t.Fatalf("exit status %d, want 0\n%s", exit.ExitCode(), out)
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Contains(out, []byte("  -")) && !bytes.Contains(out, []byte("usage")) {
					t.Fatalf("no usage printed:\n%s", out)
				}
			})
		}
	}
}

package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a target the bench started: edge-node or mosquitto on 127.0.0.1.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done closes

	mu   sync.Mutex
	tail []string // its last lines of output, for errors
}

var (
	errTargetExited = errors.New("target process exited")
	errNotReady     = errors.New("target did not become ready")
)

const tailLines = 30

// startProcess starts bin with args; every line it writes to stderr or stdout goes to onLine
// (from one goroutine) and to the tail.
func startProcess(bin string, args []string, pin Pin, onLine func(string)) (*process, error) {
	name, args := pin.command(bin, args)
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = sysProcAttr()
	out, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = cmd.Stderr // the same pipe
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			if p.tail = append(p.tail, line); len(p.tail) > tailLines {
				p.tail = p.tail[1:]
			}
			p.mu.Unlock()
			if onLine != nil {
				onLine(line)
			}
		}
		_, _ = io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// stop asks the process to end (SIGTERM), then kills it after a while.
func (p *process) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return nil
}

// BuildEdge builds cmd/edge-node into dir and returns the binary's path. It must run inside the
// michi module.
func BuildEdge(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "edge-node")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/michi-v2x/michi/cmd/edge-node")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build edge-node: %w\n%s", err, out)
	}
	return bin, nil
}

// edgeListenFlags are the listener flags edge-node is started with: everything on 127.0.0.1
// with a port of the kernel's choosing, read back from its "edge node ready" log line.
var edgeListenFlags = map[string]string{
	"mqtt-addr": "mqtt", "ws-addr": "ws", "http-addr": "http", "mqtt-quic-addr": "mqtt_quic", "quic-addr": "quic",
}

// StartEdge starts an edge-node binary on 127.0.0.1 and waits until it is ready. extra flags are
// passed on (a --config file, say). The native QUIC listener is asked for when the binary has a
// --quic-addr flag.
func StartEdge(ctx context.Context, bin string, extra []string, pin Pin, log *slog.Logger) (Target, func() error, error) {
	help, _ := exec.CommandContext(ctx, bin, "--help").CombinedOutput()
	args := []string{"--log-level", "info"}
	for flag := range edgeListenFlags {
		if strings.Contains(string(help), "  -"+flag+" ") { // a flag line of Go's usage output
			args = append(args, "--"+flag, "127.0.0.1:0")
		}
	}
	args = append(args, extra...)
	ready := make(chan map[string]string, 1)
	var fingerprint string
	var fmu sync.Mutex
	p, err := startProcess(bin, args, pin, func(line string) {
		kv := parseLogLine(line)
		if fp := kv["fingerprint_sha256"]; fp != "" {
			fmu.Lock()
			fingerprint = fp
			fmu.Unlock()
		}
		if kv["msg"] == "edge node ready" {
			select {
			case ready <- kv:
			default:
			}
		} else if lvl := kv["level"]; lvl == "WARN" || lvl == "ERROR" {
			attrs := []any{}
			for _, k := range []string{"type", "reason", "error"} {
				if v := kv[k]; v != "" {
					attrs = append(attrs, k, v)
				}
			}
			log.Warn("edge-node: "+kv["msg"], attrs...)
		}
	})
	if err != nil {
		return Target{}, nil, err
	}
	var kv map[string]string
	select {
	case kv = <-ready:
	case <-p.done:
		return Target{}, nil, fmt.Errorf("%w: %v\n%s", errTargetExited, p.err, p.output())
	case <-time.After(30 * time.Second):
		_ = p.stop()
		return Target{}, nil, fmt.Errorf("edge-node: %w in 30s\n%s", errNotReady, p.output())
	case <-ctx.Done():
		_ = p.stop()
		return Target{}, nil, ctx.Err()
	}
	t := Target{Name: "michi", MQTTAddr: kv["mqtt"], WSAddr: kv["ws"], MQTTQUICAddr: kv["mqtt_quic"],
		QUICAddr: kv["quic"], HTTPAddr: kv["http"], PID: p.pid()}
	fmu.Lock()
	t.TLSFingerprint = fingerprint
	fmu.Unlock()
	if t.TLSFingerprint == "" && t.HTTPAddr != "" {
		t.TLSFingerprint = fetchFingerprint(ctx, t.HTTPAddr)
	}
	return t, p.stop, nil
}

// fetchFingerprint asks michi's HTTP API for the certificate fingerprint its QUIC listeners serve.
func fetchFingerprint(ctx context.Context, httpAddr string) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+httpAddr+"/api/v1/tls", nil)
	if err != nil {
		return ""
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var v struct {
		Fingerprint string `json:"fingerprint_sha256"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return v.Fingerprint
}

// AttachEdge describes a michi edge that is already running: its HTTP address gives the
// certificate fingerprint for the QUIC transports when fingerprint is empty.
func AttachEdge(ctx context.Context, t Target) Target {
	t.Name = "michi"
	if t.TLSFingerprint == "" && t.HTTPAddr != "" {
		t.TLSFingerprint = fetchFingerprint(ctx, t.HTTPAddr)
	}
	return t
}

// parseLogLine splits a log/slog text line into its keys and values.
func parseLogLine(line string) map[string]string {
	kv := map[string]string{}
	for line != "" {
		line = strings.TrimLeft(line, " ")
		k, rest, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsAny(k, " \"") {
			break
		}
		var v string
		if strings.HasPrefix(rest, `"`) {
			// a quoted value: find its closing quote, skipping escaped ones
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(rest) {
				break
			}
			uq, err := strconv.Unquote(rest[:end+1])
			if err != nil {
				break
			}
			v, line = uq, rest[end+1:]
		} else {
			v, line, _ = strings.Cut(rest, " ")
		}
		kv[k] = v
	}
	return kv
}

// StartMosquitto starts Debian's mosquitto on a free 127.0.0.1 port with a configuration of
// its own (anonymous clients, no persistence, TCP_NODELAY like michi) and waits until it
// accepts connections.
func StartMosquitto(ctx context.Context, bin string, pin Pin, log *slog.Logger) (Target, func() error, error) {
	if bin == "" {
		bin = "mosquitto"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return Target{}, nil, fmt.Errorf("mosquitto: %w (apt-get install -y mosquitto)", err)
	}
	port, err := freePort()
	if err != nil {
		return Target{}, nil, err
	}
	dir, err := os.MkdirTemp("", "michi-bench-mosquitto")
	if err != nil {
		return Target{}, nil, err
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	body := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nlog_dest stderr\nlog_type error\nlog_type warning\n", port)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return Target{}, nil, err
	}
	p, err := startProcess(path, []string{"-c", conf}, pin, func(line string) { log.Debug("mosquitto: " + line) })
	if err != nil {
		os.RemoveAll(dir)
		return Target{}, nil, err
	}
	stop := func() error { err := p.stop(); os.RemoveAll(dir); return err }
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-p.done:
			stop()
			return Target{}, nil, fmt.Errorf("mosquitto: %w: %v\n%s", errTargetExited, p.err, p.output())
		case <-ctx.Done():
			stop()
			return Target{}, nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return Target{}, nil, fmt.Errorf("mosquitto: %w\n%s", errNotReady, p.output())
		}
	}
	return Target{Name: mosquittoName(path), Baseline: true, MQTTAddr: addr, PID: p.pid()}, stop, nil
}

// mosquittoName is "mosquitto" and its version, from the banner of `mosquitto -h`.
func mosquittoName(path string) string {
	out, _ := exec.Command(path, "-h").CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	if v, ok := strings.CutPrefix(strings.TrimSpace(first), "mosquitto version "); ok {
		return "mosquitto " + v
	}
	return "mosquitto"
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

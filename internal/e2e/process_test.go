package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// build compiles a command of this module into dir.
func build(t *testing.T, dir, name string) string {
	t.Helper()
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, "github.com/michi-v2x/michi/cmd/"+name)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", name, b)
	return out
}

// freeAddr picks a free loopback port by binding it and letting it go.
func freeAddr(t *testing.T, network string) string {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		defer pc.Close()
		return pc.LocalAddr().String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// process is a daemon the test runs; its output is shown when the test fails.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func startProcess(t *testing.T, name, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(bin, args...), out: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

// stop ends the process with SIGTERM, as an operator or systemd would, and expects a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		require.NoError(t, err, "%s exit; output:\n%s", p.name, p.out.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("%s did not stop on SIGTERM; output:\n%s", p.name, p.out.String())
	}
}

func waitHealthy(t *testing.T, p *process, url string) {
	t.Helper()
	testutil.CheckFor(t, 15*time.Second, func() error {
		select {
		case err := <-p.done:
			t.Fatalf("%s exited: %v\n%s", p.name, err, p.out.String())
		default:
		}
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	})
}

// TestSeparateProcesses runs cloud-hub and edge-node as the operator would: PKI from
// `cloud-hub pki init/issue-edge`, the edge configured by flags and a YAML file. A vehicle's
// hazard arrives at the hub; the hub is stopped (SIGTERM) and started again on the same
// address and database while the edge takes another hazard: both are at the hub afterwards,
// each event stored once.
func TestSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries")
	}
	dir := t.TempDir()
	hubBin, edgeBin := build(t, dir, "cloud-hub"), build(t, dir, "edge-node")
	pkiDir := filepath.Join(dir, "pki")
	for _, args := range [][]string{{"pki", "init", "--dir", pkiDir}, {"pki", "issue-edge", "--dir", pkiDir, "edge-p"}} {
		out, err := exec.Command(hubBin, args...).CombinedOutput()
		require.NoError(t, err, "cloud-hub %v: %s", args, out)
	}

	uplinkAddr, hubHTTP := freeAddr(t, "udp"), freeAddr(t, "tcp")
	hubArgs := []string{"--pki-dir", pkiDir, "--uplink-addr", uplinkAddr, "--http-addr", hubHTTP,
		"--db", filepath.Join(dir, "hub.db"), "--token", token}
	hub := startProcess(t, "cloud-hub", hubBin, hubArgs...)
	h := &testHub{base: "http://" + hubHTTP}
	waitHealthy(t, hub, h.base+"/healthz")

	cfg := filepath.Join(dir, "edge.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("edge_id: edge-p\nuplink:\n  health_every: 200ms\n  backoff_min: 50ms\n  backoff_max: 500ms\n"), 0o600))
	mqttAddr, edgeHTTP := freeAddr(t, "tcp"), freeAddr(t, "tcp")
	edgeProc := startProcess(t, "edge-node", edgeBin, "--config", cfg,
		"--mqtt-addr", mqttAddr, "--ws-addr", "off", "--http-addr", edgeHTTP, "--mqtt-quic-addr", "off", "--quic-addr", "off",
		"--data-dir", filepath.Join(dir, "edge-data"), "--coverage", bbox(boxA),
		"--hub", uplinkAddr, "--hub-ca", filepath.Join(pkiDir, "ca.crt"),
		"--edge-cert", filepath.Join(pkiDir, "edge-p.crt"), "--edge-key", filepath.Join(pkiDir, "edge-p.key"))
	waitHealthy(t, edgeProc, "http://"+edgeHTTP+"/healthz")

	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + mqttAddr).SetClientID("com_car_9"))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(50) })
	v := &vehicle{id: 9, source: "com_car_9", c: c}
	first, second := geo.Point{Lat: 48.85, Lon: 2.32}, geo.Point{Lat: 48.86, Lon: 2.33}

	v.report(t, time.Now(), 1, v2x.CauseAccident, first, nil)
	testutil.CheckFor(t, 15*time.Second, func() error {
		e := edgesAtHub(t, h)["edge-p"]
		if !e.Connected || e.Health == nil {
			return fmt.Errorf("edge at the hub: %+v", e)
		}
		_, err := hubHazard(t, h, "edge-p", func(p map[string]any) bool { return p["cause"] == float64(v2x.CauseAccident) })
		return err
	})

	hub.stop(t)
	v.report(t, time.Now(), 2, v2x.CauseAccident, second, nil) // taken while the hub is away
	var local featureCollection
	getJSON(t, "http://"+edgeHTTP+"/api/v1/hazards", &local)
	require.Len(t, local.Features, 2, "the edge serves on without its hub")

	hub = startProcess(t, "cloud-hub (restarted)", hubBin, hubArgs...)
	waitHealthy(t, hub, h.base+"/healthz")
	testutil.CheckFor(t, 15*time.Second, func() error {
		var fc featureCollection
		getJSON(t, h.base+"/api/v1/hazard-events?edge=edge-p&from=-1h", &fc)
		if len(fc.Features) != 2 {
			return fmt.Errorf("hazard events at the hub: %+v", fc.Features)
		}
		seqs := map[any]bool{}
		for _, f := range fc.Features {
			seqs[f.Properties["seq"]] = true
		}
		require.Len(t, seqs, 2, "each event stored once")
		return nil
	})
	edgeProc.stop(t)
	hub.stop(t)
}

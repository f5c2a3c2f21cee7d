package edge_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// requireTool skips when an integration tool is missing, unless MICHI_REQUIRE_INTEGRATION is set
// (CI sets it, so a missing install fails instead of silently skipping).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("MICHI_REQUIRE_INTEGRATION") != "" {
			t.Fatalf("%s not installed (apt-get install mosquitto-clients)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

// mosquittoSub starts mosquitto_sub (MQTT v5) and returns its payload lines once it is subscribed.
func mosquittoSub(t *testing.T, addr, filter string, extra ...string) <-chan string {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithCancel(context.Background())
	args := append([]string{"-V", "5", "-h", host, "-p", port, "-t", filter, "-d", "-F", "PAYLOAD %r %p"}, extra...)
	// stdbuf: mosquitto_sub's debug lines (the SUBACK we wait for) are block-buffered into a pipe.
	cmd := exec.CommandContext(ctx, "stdbuf", append([]string{"-oL", requireTool(t, "mosquitto_sub")}, args...)...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	lines := make(chan string, 64)
	subscribed := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		once := false
		for sc.Scan() {
			line := sc.Text()
			if !once && strings.Contains(line, "SUBACK") {
				once = true
				close(subscribed)
			}
			if rest, ok := strings.CutPrefix(line, "PAYLOAD "); ok {
				lines <- rest
			}
		}
		close(lines)
	}()
	select {
	case <-subscribed:
	case <-time.After(10 * time.Second):
		t.Fatal("mosquitto_sub did not subscribe")
	}
	return lines
}

// mosquittoPub publishes payload with mosquitto_pub (MQTT v5, QoS 1), with extra arguments such
// as a user name and password.
func mosquittoPub(t *testing.T, addr, topic string, payload []byte, extra ...string) (string, error) {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	args := append([]string{"-V", "5", "-q", "1", "-h", host, "-p", port, "-t", topic, "-s"}, extra...)
	cmd := exec.Command(requireTool(t, "mosquitto_pub"), args...)
	cmd.Stdin = strings.NewReader(string(payload))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// nextPayload reads one "retainFlag payload" line and decodes the DENM in it.
func nextPayload(t *testing.T, lines <-chan string) (retained bool, d *v2x.DENM) {
	t.Helper()
	select {
	case line, ok := <-lines:
		require.True(t, ok, "mosquitto_sub ended")
		flag, body, _ := strings.Cut(line, " ")
		d, err := v2x.UnmarshalDENM([]byte(body))
		require.NoError(t, err, body)
		return flag == "1", d
	case <-time.After(10 * time.Second):
		t.Fatal("mosquitto_sub received nothing within 10s")
		return false, nil
	}
}

func TestMosquittoClientsInterop(t *testing.T) {
	requireTool(t, "mosquitto_pub")
	n, clk := startNode(t)
	addr := n.MQTTAddr()
	event := geo.Destination(here, 90, 800)
	live := mosquittoSub(t, addr, denmFilter(n, event, 16))

	now := clk.Now()
	for i, p := range []geo.Point{here, geo.Destination(here, 90, 40), geo.Destination(here, 90, 80)} {
		src := "com_car_" + string(rune('a'+i))
		out, err := mosquittoPub(t, addr, camTopic(src, p), camJSON(t, src, uint32(100+i), now, p, nil))
		require.NoError(t, err, out)
	}
	testutil.CheckFor(t, 5*time.Second, func() error {
		if n.LDM().Stats().Vehicles != 3 {
			return errNotYet
		}
		return nil
	})

	denm, err := json.Marshal(v2x.NewDENM(v2x.DENMSpec{SourceUUID: "com_car_a", StationID: 100, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: 100, SequenceNumber: 1}, Cause: v2x.CauseStationaryVehicle,
		Pos: event, Detection: now, Reference: now, At: now}))
	require.NoError(t, err)
	topic := v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeDENM, SourceID: "com_car_a", Quadkey: geo.Quadkey(event, 22)}.String()
	out, err := mosquittoPub(t, addr, topic, denm)
	require.NoError(t, err, out)

	_, got := nextPayload(t, live)
	cause, _ := got.Cause()
	require.Equal(t, uint8(v2x.CauseStationaryVehicle), cause)
	require.Equal(t, uint32(777), got.ActionID().OriginatingStationID)

	// A late subscriber receives the same hazard, flagged retained.
	retained, again := nextPayload(t, mosquittoSub(t, addr, denmFilter(n, event, 16)))
	require.True(t, retained)
	require.Equal(t, got.ActionID(), again.ActionID())

	// MQTT v5 clients are told why a message was refused.
	out, _ = mosquittoPub(t, addr, topic, []byte(`{"message_type":"denm"`))
	require.Contains(t, strings.ToLower(out), "payload format invalid", "mosquitto_pub output: %s", out)
}

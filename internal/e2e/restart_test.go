package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// pahoAt connects a paho client to an MQTT address (no reconnection: the edge it talks to dies).
func pahoAt(t *testing.T, addr, id string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).SetOrderMatters(true).
		SetAutoReconnect(false).SetConnectRetry(false))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second), "connect %s", id)
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

// Item 5 of issue 14: a real edge-node killed with SIGKILL forgot its hazards; the hub kept them
// active and vehicles kept them until their validity ended. Now the restarted edge resumes what
// it had published: a vehicle's accident comes back retained on its tile under the same action
// id and stays active at the hub; an authority's road works that the hub withdrew while the
// edge was down are claimed by no detector, so the edge ends them explicitly after resume_grace —
// a cancellation to the vehicles, "terminated" to the hub.
func TestRestartAfterSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds edge-node")
	}
	dir := t.TempDir()
	edgeBin := build(t, dir, "edge-node")
	p := newPKI(t)
	h := startHub(t, p, filepath.Join(dir, "hub.db"), "127.0.0.1:0")
	cert, key := p.edgeCert(t, "edge-k")
	cfg := filepath.Join(dir, "edge.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("edge_id: edge-k\nresume_grace: 3s\nuplink:\n  health_every: 200ms\n  backoff_min: 50ms\n  backoff_max: 500ms\n"), 0o600))
	mqttAddr, httpAddr := freeAddr(t, "tcp"), freeAddr(t, "tcp")
	args := []string{"--config", cfg, "--mqtt-addr", mqttAddr, "--ws-addr", "off", "--http-addr", httpAddr,
		"--mqtt-quic-addr", "off", "--quic-addr", "off", "--data-dir", filepath.Join(dir, "edge-data"), "--coverage", bbox(boxA),
		"--hub", h.uplinkAddr(), "--hub-ca", p.caFile, "--edge-cert", cert, "--edge-key", key}
	edge := startProcess(t, "edge-node", edgeBin, args...)
	waitHealthy(t, edge, "http://"+httpAddr+"/healthz")
	waitCoverage(t, h, "edge-k")

	crash, works := geo.Point{Lat: 48.85, Lon: 2.32}, geo.Point{Lat: 48.86, Lon: 2.31}
	crashSub := subscribeDENMs(t, pahoAt(t, mqttAddr, "sub-crash"), crash)
	worksSub := subscribeDENMs(t, pahoAt(t, mqttAddr, "sub-works"), works)
	v := &vehicle{id: 9, source: "com_car_9", c: pahoAt(t, mqttAddr, "com_car_9")}
	v.report(t, time.Now(), 1, v2x.CauseAccident, crash, nil)
	accident := nextDENM(t, crashSub, "the accident", isCause(v2x.CauseAccident, false))
	status, body := call(t, http.MethodPost, h.base+"/api/v1/hazards",
		fmt.Sprintf(`{"id":"works-k","cause":3,"lat":%f,"lon":%f,"radius_m":200,"validity_s":7200}`, works.Lat, works.Lon))
	require.Equal(t, http.StatusCreated, status, "%s", body)
	roadworks := nextDENM(t, worksSub, "the road works", isCause(v2x.CauseRoadworks, false))
	atHub := func(id v2x.ActionID, state string) func() error {
		return func() error {
			_, err := hubHazard(t, h, "edge-k", func(p map[string]any) bool { return p["action"] == id.String() && p["state"] == state })
			return err
		}
	}
	testutil.CheckFor(t, 10*time.Second, atHub(accident.ActionID(), "active"))
	testutil.CheckFor(t, 10*time.Second, atHub(roadworks.ActionID(), "active"))

	require.NoError(t, edge.cmd.Process.Kill()) // SIGKILL: no shutdown of any kind
	<-edge.done
	status, body = call(t, http.MethodDelete, h.base+"/api/v1/hazards/works-k", "")
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.NoError(t, atHub(roadworks.ActionID(), "active")(), "the edge's copy is active at the hub while the edge is away")

	edge = startProcess(t, "edge-node (restarted)", edgeBin, args...)
	waitHealthy(t, edge, "http://"+httpAddr+"/healthz")
	again := subscribeDENMs(t, pahoAt(t, mqttAddr, "sub-crash-2"), crash)
	got := nextDENM(t, again, "the accident retained again", isCause(v2x.CauseAccident, false))
	require.Equal(t, accident.ActionID(), got.ActionID(), "the same hazard, not a new one")
	require.True(t, accident.ReferenceTime().Equal(got.ReferenceTime()), "the same version")
	worksAgain := subscribeDENMs(t, pahoAt(t, mqttAddr, "sub-works-2"), works)
	ended := nextDENM(t, worksAgain, "the road works ended", isCause(v2x.CauseRoadworks, true))
	require.Equal(t, roadworks.ActionID(), ended.ActionID())
	testutil.CheckFor(t, 15*time.Second, atHub(roadworks.ActionID(), "terminated"))
	require.NoError(t, atHub(accident.ActionID(), "active")())
	var local featureCollection
	getJSON(t, "http://"+httpAddr+"/api/v1/hazards", &local)
	require.Len(t, local.Features, 1, "the edge carries the accident only")
	edge.stop(t)
}

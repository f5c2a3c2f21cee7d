package web_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// TestDashboardWithLiveEdge runs a hub and one real edge node connected over the uplink,
// drives MQTT vehicles sending CAMs and one reporting an accident, and checks the dashboard
// shows the hazard on the map and in the table, the edge connected with its health, focuses
// the hazard on a click, and keeps a clean console.
func TestDashboardWithLiveEdge(t *testing.T) {
	exe := chromium(t)
	h := startHub(t)
	base := "http://" + h.HTTPAddr().String()

	dir := t.TempDir()
	caFile, certFile, keyFile := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "edge.crt"), filepath.Join(dir, "edge.key")
	require.NoError(t, h.ca.WriteFiles(caFile, filepath.Join(dir, "ca.key")))
	cert, err := h.ca.IssueClient("edge-live")
	require.NoError(t, err)
	require.NoError(t, tlsconf.WriteKeyPair(cert, certFile, keyFile))
	n, err := edge.New(edge.Options{
		EdgeID:   "edge-live",
		MQTTAddr: "127.0.0.1:0", WSAddr: edge.Off, HTTPAddr: "127.0.0.1:0", MQTTQUICAddr: edge.Off, QUICAddr: edge.Off,
		DataDir: t.TempDir(), HubAddr: h.UplinkAddr().String(), HubCA: caFile, EdgeCert: certFile, EdgeKey: keyFile,
		Coverage: "11.60,48.24,11.70,48.28",
		Uplink: edge.UplinkOptions{HealthEvery: 200 * time.Millisecond, TrafficSample: 30 * time.Second,
			BackoffMin: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond},
	})
	require.NoError(t, err)
	testutil.Start(t, n)

	type car struct {
		id  uint32
		src string
		c   paho.Client
		at  geo.Point
	}
	publish := func(v *car, typ v2x.MessageType, msg any) {
		b, err := json.Marshal(msg)
		require.NoError(t, err)
		topic := v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: typ, SourceID: v.src, Quadkey: geo.Quadkey(v.at, 22)}.String()
		tok := v.c.Publish(topic, 1, false, b)
		require.True(t, tok.WaitTimeout(5*time.Second))
		require.NoError(t, tok.Error())
	}
	var cars []*car
	for i := range 4 {
		v := &car{id: uint32(200 + i), src: fmt.Sprintf("com_car_%d", 200+i), at: geo.Point{Lat: 48.26, Lon: 11.62 + 0.01*float64(i)}}
		v.c = paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + n.MQTTAddr()).SetClientID(v.src).SetAutoReconnect(false))
		tok := v.c.Connect()
		require.True(t, tok.WaitTimeout(5*time.Second))
		require.NoError(t, tok.Error())
		t.Cleanup(func() { v.c.Disconnect(50) })
		cars = append(cars, v)
	}
	cam := func(v *car) {
		v.at.Lon += 0.00005
		publish(v, v2x.TypeCAM, v2x.NewCAM(v2x.CAMSpec{SourceUUID: v.src, StationID: v.id, StationType: v2x.StationPassengerCar,
			Pos: v.at, SpeedMPS: 14, HeadingDeg: 90, At: time.Now()}))
	}
	// A few seconds of CAMs at 4 Hz, then the first vehicle reports an accident where it is.
	for range 8 {
		for _, v := range cars {
			cam(v)
		}
		time.Sleep(250 * time.Millisecond)
	}
	now := time.Now()
	publish(cars[0], v2x.TypeDENM, v2x.NewDENM(v2x.DENMSpec{SourceUUID: cars[0].src, StationID: cars[0].id, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: cars[0].id, SequenceNumber: 1}, Cause: v2x.CauseAccident, Pos: cars[0].at,
		Detection: now, Reference: now, At: now}))
	testutil.CheckFor(t, 15*time.Second, func() error {
		var fc struct{ Features []json.RawMessage }
		getJSON(t, base+"/api/v1/hazards?active=true", &fc)
		if len(fc.Features) != 1 {
			return fmt.Errorf("%d active hazards at the hub, want the accident", len(fc.Features))
		}
		return nil
	})

	b := startBrowser(t, exe, h.HTTPAddr().String())
	do(t, b.ctx, chromedp.EmulateViewport(1440, 900), chromedp.Navigate(base+"/"))
	waitJS(t, b, "the accident on the map", `document.querySelectorAll('#map .hazard:not(.ended)').length === 1`)
	waitJS(t, b, "the accident in the table", `document.querySelectorAll('#hazard-rows tr.active').length === 1`)
	waitJS(t, b, "the edge connected with health", `(() => {
		const c = document.querySelector('#edge-cards .edge-card[data-edge="edge-live"]');
		return c !== null && c.querySelector('.badge.connected') !== null && c.querySelectorAll('svg.plot').length === 3
			&& document.querySelectorAll('#map .coverage .edge').length === 1;
	})()`)
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#hazard-rows tr.active').dataset.id`))
	require.NoError(t, err)
	do(t, b.ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#hazard-rows tr[data-id=%q]`, id))))
	waitJS(t, b, "the clicked hazard focused", fmt.Sprintf(
		`document.querySelector('#hazard-rows tr.selected[data-id=%q]') !== null && document.querySelector('#map .hazard.focused[data-id=%q]') !== null`, id, id))
	b.checkClean(t)
}

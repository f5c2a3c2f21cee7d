package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/alertlatency"
	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/promtest"
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

	// The edge's metric of its part of alert latency: named and explained as everywhere else,
	// and the accident's alert is in it.
	testutil.CheckFor(t, 10*time.Second, func() error {
		resp, err := http.Get("http://" + n.HTTPAddr() + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		help := fmt.Sprintf("# HELP %s Edge hand-off, %s;", alertlatency.HandoffMetric, alertlatency.HandoffDefinition)
		if !strings.Contains(string(body), help) {
			return fmt.Errorf("no %q in /metrics", help)
		}
		if n, err := promtest.Sum(bytes.NewReader(body), alertlatency.HandoffMetric+"_count"); err != nil || n < 1 {
			return fmt.Errorf("%s_count = %v (%v), want the accident's alert", alertlatency.HandoffMetric, n, err)
		}
		return nil
	})
	// The hub's API carries the hand-off under its one name.
	var edges struct {
		Edges []struct{ Health map[string]any }
	}
	getJSON(t, base+"/api/v1/edges", &edges)
	require.Len(t, edges.Edges, 1)
	require.Contains(t, edges.Edges[0].Health, alertlatency.HandoffP50Field)
	require.Contains(t, edges.Edges[0].Health, alertlatency.HandoffP99Field)
	require.NotContains(t, edges.Edges[0].Health, "alert_p99_ms")
	var hist struct{ Samples []struct{ At time.Time } }
	getJSON(t, base+"/api/v1/edges/edge-live/health?from=-30m", &hist)
	require.NotEmpty(t, hist.Samples)
	first := hist.Samples[0].At
	// The health record after the accident carries its hand-off (the intervals around it: 0).
	testutil.CheckFor(t, 10*time.Second, func() error {
		var hs struct{ Samples []map[string]any }
		getJSON(t, base+"/api/v1/edges/edge-live/health?from=-30m", &hs)
		for _, x := range hs.Samples {
			if v, _ := x[alertlatency.HandoffP99Field].(float64); v > 0 {
				return nil
			}
		}
		return fmt.Errorf("no health sample at the hub has the accident's hand-off yet")
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
	// A young edge: the plots span the shortest window that holds its samples, not 30 minutes.
	window := checkLatencyWords(t, b, 0)
	age := time.Since(first)
	require.GreaterOrEqual(t, window, age-time.Second, "the window holds every sample")
	if i := slices.Index(healthWindows, window); i > 0 {
		require.Less(t, healthWindows[i-1], age+5*time.Second, "the smallest window that holds them")
	}
	// The hand-off plot shows the accident's interval as its latest value and a point.
	waitJS(t, b, "the hand-off plot has the accident", `(() => {
		const box = [...document.querySelectorAll('#edge-cards .plot-box')].find((p) => p.querySelector('.plot-title')?.textContent === 'Edge hand-off');
		const svg = box && box.querySelector('svg.plot'), dots = box ? [...box.querySelectorAll('svg.plot circle.last')] : [];
		return dots.length === 2 && dots.every((c) => c.cy.baseVal.value >= 0 && c.cy.baseVal.value <= svg.viewBox.baseVal.height)
			&& /p99 \d/.test(box.querySelector('.plot-head').textContent);
	})()`)
	// The header counts clients (the four cars are all of them here) apart from tracked vehicles.
	waitJS(t, b, "clients and vehicles in the header", `document.querySelector('#sum-clients').textContent === '4'
		&& /clients connected/.test(document.querySelector('#sum-clients').parentElement.textContent)
		&& /vehicles tracked/.test(document.querySelector('#sum-vehicles').parentElement.textContent)`)
	save(t, b, filepath.Join(t.ArtifactDir(), "dashboard-young-edge.png"), true)
	id, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#hazard-rows tr.active').dataset.id`))
	require.NoError(t, err)
	do(t, b.ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#hazard-rows tr[data-id=%q]`, id))))
	waitJS(t, b, "the clicked hazard focused", fmt.Sprintf(
		`document.querySelector('#hazard-rows tr.selected[data-id=%q]') !== null && document.querySelector('#map .hazard.focused[data-id=%q]') !== null`, id, id))
	b.checkClean(t)
}

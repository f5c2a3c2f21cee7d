package web_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/uplink"
)

var updateScreenshots = flag.Bool("update", false, "write the screenshots to docs/screenshots (otherwise to the test's artifact directory)")

const token = "dashboard-test-token-0123"

// chromium returns the browser to drive, or skips the test (fails it when
// MICHI_REQUIRE_INTEGRATION=1, as CI sets it).
func chromium(t *testing.T) string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("MICHI_REQUIRE_INTEGRATION") == "1" {
		t.Fatal("chromium is not installed (apt-get install chromium) and MICHI_REQUIRE_INTEGRATION=1")
	}
	t.Skip("chromium not installed (apt-get install chromium); set MICHI_REQUIRE_INTEGRATION=1 to make this a failure")
	return ""
}

// TestDashboardInBrowser runs a hub with two edges sending a day of history and live records
// over the uplink, opens the dashboard in headless Chromium, and checks what an operator sees:
// hazards on the map and in the table (a new one arriving live), a click focusing the map on a
// hazard with its lifecycle, the health plots, the planning view and its downloads, a console
// without errors and no request leaving the hub. It saves screenshots (-update: into
// docs/screenshots).
func TestDashboardInBrowser(t *testing.T) {
	exe := chromium(t)
	now := time.Now().UTC()
	rng := rand.New(rand.NewPCG(5, 17))

	h := startHub(t)
	base := "http://" + h.HTTPAddr().String()
	ca := h.ca
	edges := map[string]*uplink.Queue{}
	for _, e := range []edgeSpec{south, north} {
		edges[e.id] = startEdge(t, h.UplinkAddr().String(), ca, e.id)
	}
	appendAll := func(edge string, recs ...uplink.Record) {
		for _, r := range recs {
			_, err := edges[edge].Append(r)
			require.NoError(t, err)
		}
	}

	// A day of history: hazards, hourly traffic, 30 minutes of health, 15 minutes of traffic.
	for id, recs := range history(rng, now) {
		appendAll(id, recs...)
	}
	ts := tiles()
	thisMinute := now.Truncate(time.Minute)
	for _, tl := range ts {
		for hr := 24; hr >= 1; hr-- {
			m := now.Add(-time.Duration(hr) * time.Hour).Truncate(time.Hour).Add(30 * time.Minute)
			appendAll(tl.edge, trafficRec(tl, m, sample(rng, tl.flow*60*profile(m.Local().Hour())), tl.speed*(0.95+rng.Float64()*0.1)))
		}
		for k := 15; k >= 1; k-- {
			m := thisMinute.Add(-time.Duration(k) * time.Minute)
			appendAll(tl.edge, trafficRec(tl, m, sample(rng, tl.flow*profile(m.Local().Hour())), tl.speed*(0.9+rng.Float64()*0.2)))
		}
	}
	for at := now.Add(-30 * time.Minute); at.Before(now); at = at.Add(15 * time.Second) {
		appendAll(south.id, healthRec(rng, south, at, 1))
		appendAll(north.id, healthRec(rng, north, at, 2))
	}
	// Hazards now: a broken-down car at motorway km 10 and the queue behind it (north), ice on
	// the crossing road (south), a collision risk that ended 20 minutes ago, and road works.
	stopped, queue, ice := motorway.at(10), motorway.at(8.9), crossing.at(2.2)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	appendAll(north.id,
		hz(north, 101, uplink.EventCreated, 94, 2, stopped, 500, 1, ago(250*time.Second), ago(250*time.Second), "vehicle_0042"),
		hz(north, 101, uplink.EventUpdated, 94, 2, stopped, 500, 3, ago(180*time.Second), ago(180*time.Second), "vehicle_0042", "michi_cam_7", "vehicle_0107"),
		hz(north, 102, uplink.EventCreated, 27, 1, queue, 800, 2, ago(160*time.Second), ago(160*time.Second), "vehicle_0311", "vehicle_0290"))
	appendAll(south.id,
		hz(south, 101, uplink.EventCreated, 6, 5, ice, 400, 1, ago(12*time.Minute), ago(12*time.Minute), "michi_rsu_weather_3"),
		hz(south, 101, uplink.EventUpdated, 6, 5, ice, 400, 2, ago(9*time.Minute), ago(9*time.Minute), "michi_rsu_weather_3", "vehicle_0017"),
		hz(south, 102, uplink.EventCreated, 97, 2, crossing.at(5.05), 150, 2, ago(21*time.Minute), ago(21*time.Minute), "vehicle_0450", "michi_cam_2"),
		hz(south, 102, uplink.EventTerminated, 97, 2, crossing.at(5.05), 150, 2, ago(20*time.Minute+20*time.Second), ago(20*time.Minute+20*time.Second)))
	// Road works from the city: the hub sends them to the south edge, which disseminates them as
	// its own hazard and reports that copy back (it is listed once, carried by edge-south).
	works := crossing.at(6.6)
	var issued struct{ Hazard struct{ ID string } }
	postJSON(t, base+"/api/v1/hazards", fmt.Sprintf(`{"cause":3,"sub_cause":4,"lat":%f,"lon":%f,"radius_m":250,"validity_s":14400,"issuer":"City of Garching"}`, works.Lat, works.Lon), &issued)
	require.NotEmpty(t, issued.Hazard.ID)
	cp := hz(south, 104, uplink.EventCreated, 3, 4, works, 250, 1, now, now, "authority:"+issued.Hazard.ID)
	cp.Hazard.Authority = issued.Hazard.ID
	appendAll(south.id, cp)

	testutil.CheckFor(t, 20*time.Second, func() error {
		var fc struct{ Features []json.RawMessage }
		getJSON(t, base+"/api/v1/hazards?active=true", &fc)
		if len(fc.Features) != 5 {
			return fmt.Errorf("%d active hazards, want 5 (3 of the edges, the road works and their copy)", len(fc.Features))
		}
		for id, q := range edges {
			if n := q.Depth(); n > 0 {
				return fmt.Errorf("%s: %d records not yet acknowledged", id, n)
			}
		}
		return nil
	})

	// Live: every second each edge reports its health, and when a minute ends its traffic (the
	// distinct vehicles per tile in that minute), as the edge's uplink does.
	liveCtx, stopLive := context.WithCancel(context.Background())
	var liveWG sync.WaitGroup
	liveWG.Add(1)
	go func() {
		defer liveWG.Done()
		rng := rand.New(rand.NewPCG(7, 11))
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		open := thisMinute
		for {
			select {
			case <-liveCtx.Done():
				return
			case at := <-tick.C:
				at = at.UTC()
				edges[south.id].Append(healthRec(rng, south, at, 1))
				edges[north.id].Append(healthRec(rng, north, at, 2))
				if m := at.Truncate(time.Minute); m.After(open) {
					for _, tl := range ts {
						edges[tl.edge].Append(trafficRec(tl, open, sample(rng, tl.flow*profile(open.Local().Hour())), tl.speed))
					}
					open = m
				}
			}
		}
	}()
	t.Cleanup(func() { stopLive(); liveWG.Wait() })

	b := startBrowser(t, exe, h.HTTPAddr().String())
	ctx := b.ctx
	shots := screenshotDir(t)

	// The live view: hazards on the map and in the table.
	do(t, ctx, chromedp.EmulateViewport(1440, 900), chromedp.Navigate(base+"/"))
	waitJS(t, b, "4 active hazards on the map", `document.querySelectorAll('#map .hazard:not(.ended)').length === 4`)
	waitJS(t, b, "hazard rows, the road works once", `document.querySelectorAll('#hazard-rows tr.active').length === 4 && document.querySelectorAll('#hazard-rows tr.ended').length >= 2
		&& /on edge-south/.test(document.querySelector('#hazard-rows tr[data-id^="auth-"]').textContent)`)
	waitJS(t, b, "traffic tiles and roads", `document.querySelectorAll('#map .tile').length > 20 && document.querySelector('#map .roads') !== null`)
	waitJS(t, b, "edge coverage", `document.querySelectorAll('#map .coverage .edge').length === 2`)
	waitJS(t, b, "the stream is live", `document.querySelector('#status').classList.contains('live')`)

	// A hazard that arrives while the page is open shows up without a reload.
	wrongWay := "edge-south/2002/103"
	appendAll(south.id, hz(south, 103, uplink.EventCreated, 14, 2, motorway.at(3.2), 1000, 1, time.Now().UTC(), time.Now().UTC(), "michi_cam_4"))
	waitJS(t, b, "the live hazard in the table and on the map", fmt.Sprintf(
		`document.querySelector('#hazard-rows tr.active[data-id=%q]') !== null && document.querySelector('#map .hazard[data-id=%q]') !== null`, wrongWay, wrongWay))

	// Clicking a row focuses that hazard: highlighted, centred, zoomed to its relevance area.
	focused := "edge-north/2001/101"
	small, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const m = document.getElementById('map'), a = m.querySelector('.hazard[data-id=%q]') && m.querySelectorAll('.area');
		return !!a && [...a].every((c) => c.r.baseVal.value < Math.min(m.clientWidth, m.clientHeight) * 0.12);
	})()`, focused)))
	require.NoError(t, err)
	require.True(t, small, "before the click the map shows the whole area, the hazard among the others")
	do(t, ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#hazard-rows tr[data-id=%q]`, focused))))
	waitJS(t, b, "the map focused the clicked hazard", fmt.Sprintf(`(() => {
		const m = document.getElementById('map'), g = m.querySelector('.hazard.focused[data-id=%q]');
		if (!g || m.dataset.focus !== %q) return false;
		const r = g.querySelector('.mark').getBoundingClientRect(), mr = m.getBoundingClientRect();
		const dx = Math.abs(r.x + r.width / 2 - (mr.x + mr.width / 2)), dy = Math.abs(r.y + r.height / 2 - (mr.y + mr.height / 2));
		const area = m.querySelector('.area.focused');
		return dx < mr.width * 0.03 && dy < mr.height * 0.03 && area !== null && area.r.baseVal.value > Math.min(mr.width, mr.height) * 0.12
			&& m.querySelector('.focus-ring') !== null;
	})()`, focused, focused))
	waitJS(t, b, "the row is selected and its lifecycle listed", fmt.Sprintf(
		`document.querySelector('#hazard-rows tr.selected[data-id=%q]') !== null && document.querySelectorAll('#lifecycle:not([hidden]) .timeline li.ev').length === 2`, focused))

	// Health: three plots per edge, every series a drawn line over the last 30 minutes.
	waitJS(t, b, "health plots", `(() => {
		const lines = [...document.querySelectorAll('#edge-cards svg.plot path.line')];
		return document.querySelectorAll('#edge-cards svg.plot').length === 6 && lines.length === 10
			&& lines.every((p) => (p.getAttribute('d').match(/L/g) || []).length >= 60);
	})()`)
	// Each page names the hand-off as the edge's metric and the API do, says from where to
	// where, and spans the window its data needs: 30 minutes of history, the longest.
	checkLatencyWords(t, b, 30*time.Minute)
	save(t, b, filepath.Join(shots, "dashboard.png"), true)

	// The planning view: hotspots, traffic by hour, downloads of the period.
	do(t, ctx, chromedp.Click(chromedp.CSS(`nav a[href="#planning"]`)))
	waitJS(t, b, "planning charts", `document.querySelectorAll('#plan-hourly rect.bar').length >= 24 && document.querySelectorAll('#plan-profile rect.bar').length === 24`)
	waitJS(t, b, "hotspots", `document.querySelectorAll('#plan-map .hotspot').length >= 4 && document.querySelectorAll('#hotspots li').length >= 4`)
	for _, id := range []string{"dl-events-csv", "dl-events-geojson", "dl-traffic-csv", "dl-traffic-geojson"} {
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).href`, id)))
		require.NoError(t, err)
		checkDownload(t, href, strings.HasSuffix(id, "-csv"))
	}
	save(t, b, filepath.Join(shots, "planning.png"), true)

	// A wall display: 1920×1080 in large-text mode, one screen, no scrolling.
	do(t, ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(base+"/?wall"))
	waitJS(t, b, "wall: hazards", `document.documentElement.classList.contains('large') && document.querySelectorAll('#map .hazard:not(.ended)').length === 5`)
	waitJS(t, b, "wall: plots", `document.querySelectorAll('#edge-cards svg.plot path.line').length === 10`)
	save(t, b, filepath.Join(shots, "dashboard-wall.png"), false)
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollHeight > window.innerHeight + 2`))
	require.NoError(t, err)
	require.False(t, overflow, "the wall layout fits one screen")

	b.checkClean(t)
}

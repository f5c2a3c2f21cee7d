package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/michi-v2x/michi/sim"
	"github.com/michi-v2x/michi/sim/report"
)

// hubAuthority issues road works through the cloud hub's API (POST /api/v1/hazards with the
// bearer token), which sends them down to the edges whose coverage they touch, as a road
// authority would; the edges then publish them like any hazard.
type hubAuthority struct {
	base, token string
	hc          *http.Client
}

var unsafeID = regexp.MustCompile(`[^A-Za-z0-9._:-]`)

// post sends one road-works hazard (or its termination) to the hub.
func (a *hubAuthority) post(ctx context.Context, h *sim.Hazard, p [2]float64, terminate bool) error {
	body := map[string]any{"id": "sim-" + unsafeID.ReplaceAllString(h.Spec.ID, "_"), "issuer": "michi-sim"}
	if terminate {
		body["terminate"] = true
	} else {
		body["cause"], body["lat"], body["lon"] = int(sim.RoadWorks.Cause()), p[0], p[1]
		if h.Spec.RadiusM > 0 {
			body["radius_m"] = h.Spec.RadiusM
		}
		if h.HasHeading {
			body["heading_deg"] = h.Heading
		}
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/api/v1/hazards", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("hub: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// hubReport hands a road-works report to the hub in the background (the stepping loop never
// waits for HTTP).
func (r *runner) hubReport(rep sim.Report) {
	h := &r.eng.Hazards[rep.Hazard]
	p := r.eng.Point(rep.Pos)
	r.cwg.Add(1)
	go func() {
		defer r.cwg.Done()
		ctx, cancel := context.WithTimeout(r.clientCtx, 10*time.Second)
		defer cancel()
		err := r.hub.post(ctx, h, [2]float64{p.Lat, p.Lon}, rep.Terminate)
		r.col.Count(func(c *report.Counters) { c.DENMs++ })
		if err != nil {
			r.col.Count(func(c *report.Counters) { c.SendErrors++ })
			r.o.Log.Warn("road works via the hub", "hazard", h.Spec.ID, "error", err)
		}
	}()
}

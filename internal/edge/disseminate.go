package edge

import (
	"math"
	"strings"
	"time"

	"github.com/michi-v2x/michi/internal/broker"

	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// published is what the edge last put on the outQueue tiles for one hazard.
type published struct {
	ref   time.Time // reference time of the published version
	tiles []string  // full topics it is retained on
}

// disseminate publishes hazard events as its-client DENM JSON, retained, on every zoom-N
// outQueue tile the relevance circle touches. since is when the triggering input arrived.
//
// Active versions carry an MQTT v5 message expiry equal to their remaining validity, so a late
// subscriber gets every active hazard and nothing stale. A termination replaces the retained
// version on every tile (kept TerminatedExpiry so late subscribers learn of it); an expired
// hazard's retained copies are deleted without a delivery, since every receiver already knows
// its validity. Tiles the hazard no longer touches after a move are cleared the same way.
func (n *Node) disseminate(events []hazard.Event, since time.Time) {
	if len(events) == 0 {
		return
	}
	n.fanning.Add(1)
	defer n.fanning.Add(-1)
	n.pubMu.Lock()
	defer n.pubMu.Unlock()
	for _, ev := range events {
		h := ev.Hazard
		last, seen := n.published[h.ActionID]
		if seen && ev.Kind != hazard.Expired && h.Reference.Before(last.ref) {
			continue // an older version raced a newer one here; the newer one is out already
		}
		n.metrics.hazardEvts.WithLabelValues(eventName(ev.Kind)).Inc()
		now := n.opts.Now()
		n.journal.hazard(ev, now) // before anyone can hold it (restart.go)
		var (
			d      *v2x.DENM
			expiry uint32 // seconds the MQTT copies stay retained
		)
		switch ev.Kind {
		case hazard.Created, hazard.Updated:
			remaining := h.Expiry().Sub(now)
			if remaining <= 0 {
				continue
			}
			d, expiry = n.DENM(h, now, nil), uint32(math.Ceil(remaining.Seconds()))
		case hazard.Terminated:
			term := v2x.Termination(0) // cancellation: the edge originated the hazard
			d, expiry = n.DENM(h, now, &term), uint32(n.opts.TerminatedExpiry.Seconds())
		}
		// Native vehicles first: the geocast reaches the few inside the relevance area, each on a
		// stream of its own, in well under the time the MQTT fan-out to every tile takes.
		if n.geo != nil {
			n.geo.publish(n.ldm, ev, d)
		}
		if d != nil {
			topics := n.hazardTopics(h)
			n.retain(topics, d, expiry, n.stationsNear(h))
			n.mqtt.ClearRetained(minus(last.tiles, topics))
			if ev.Kind == hazard.Terminated {
				delete(n.published, h.ActionID)
			} else {
				n.published[h.ActionID] = published{ref: h.Reference, tiles: topics}
			}
		} else { // expired: every receiver knows its validity, so the copies just go
			n.mqtt.ClearRetained(last.tiles)
			delete(n.published, h.ActionID)
		}
		if n.up != nil { // after the vehicles: the uplink queue writes to disk
			n.up.recordHazard(ev, now)
		}
		lat := time.Since(since).Seconds()
		n.metrics.latency.Observe(lat)
		if n.up != nil {
			n.up.lat.add(lat)
		}
	}
}

// retain publishes d, signed, retained for expiry seconds on topics, to the connections of the
// vehicles in near first (see broker.Server.PublishRetained).
func (n *Node) retain(topics []string, d *v2x.DENM, expiry uint32, near map[uint32]bool) {
	payload := d.AppendJSON(nil)
	n.mqtt.PublishRetained(broker.Retained{
		Topics: topics, Payload: payload, Expiry: expiry,
		ContentType: "application/json", User: n.signatureProperties(payload),
		First: func(c *broker.Conn) bool { s, ok := c.Session.(*mqttSession); return ok && near[s.station.Load()] },
	})
}

// stationsNear are the vehicles the LDM has inside h's relevance circle: the fan-out writes to
// their connections first.
func (n *Node) stationsNear(h hazard.Hazard) map[uint32]bool {
	near := map[uint32]bool{}
	n.ldm.Within(h.Pos, h.RadiusM, func(o *ldm.Object, _ float64) bool {
		if o.StationID != 0 {
			near[o.StationID] = true
		}
		return true
	})
	return near
}

// hazardTopics lists the topics a hazard is retained on: one per zoom-N tile its relevance circle
// touches. Retained state is one message per topic, so each hazard gets its own topic inside the
// tile: the tile's digits continued down to zoom 23 towards the point of the tile nearest the
// event (the event's own cell in the tile that holds it). A subscription to the tile, "…/{tile}/#",
// matches every hazard in it, and a second hazard on the same tile no longer replaces the first
// one's retained copy. Only hazards within one zoom-23 cell (≈ 5 m) of each other share a topic.
func (n *Node) hazardTopics(h hazard.Hazard) []string {
	tiles := geo.TilesCoveringCircle(h.Pos, h.RadiusM, n.opts.DisseminateZoom)
	topics := make([]string, len(tiles))
	for i, qk := range tiles {
		topics[i] = v2x.Topic{Root: n.opts.Root, Queue: v2x.OutQueue, Type: v2x.TypeDENM, SourceID: n.opts.SourceUUID,
			Quadkey: cellToward(qk, h.Pos)}.String()
	}
	return topics
}

// cellToward continues tile qk down to zoom 23 at the point of the tile nearest p.
func cellToward(qk string, p geo.Point) string {
	box, err := geo.QuadkeyBox(qk)
	if err != nil {
		return qk
	}
	// Clamp p into the tile, a hair inside its edges (the north and east edges belong to the
	// neighbours).
	epsLat, epsLon := (box.Max.Lat-box.Min.Lat)*1e-6, (box.Max.Lon-box.Min.Lon)*1e-6
	q := geo.Point{
		Lat: min(max(p.Lat, box.Min.Lat+epsLat), box.Max.Lat-epsLat),
		Lon: min(max(p.Lon, box.Min.Lon+epsLon), box.Max.Lon-epsLon),
	}
	if cell := geo.Quadkey(q, geo.MaxZoom); strings.HasPrefix(cell, qk) {
		return cell
	}
	return qk
}

// DENM renders a hazard as the DENM the edge originates.
func (n *Node) DENM(h hazard.Hazard, now time.Time, term *v2x.Termination) *v2x.DENM {
	return v2x.NewDENM(v2x.DENMSpec{
		SourceUUID: n.opts.SourceUUID, StationID: n.opts.StationID, StationType: v2x.StationRoadSideUnit,
		ActionID: h.ActionID, Cause: h.Cause, SubCause: h.SubCause, Pos: h.Pos,
		HeadingDeg: h.HeadingDeg, HasHeading: h.HasHeading,
		Detection: h.Detection, Reference: h.Reference, Validity: h.Validity,
		AwarenessRadiusM: h.RadiusM, TrafficDirection: h.Direction,
		InformationQuality: h.InformationQuality, Termination: term, At: now,
	})
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

func eventName(k hazard.EventKind) string {
	switch k {
	case hazard.Created:
		return "created"
	case hazard.Updated:
		return "updated"
	case hazard.Terminated:
		return "terminated"
	case hazard.Expired:
		return "expired"
	}
	return "unknown"
}

package api

import (
	"time"

	"github.com/michi-v2x/michi/internal/hub/store"
)

// PublishRecords puts the records just stored for edgeID on the live stream: one hazard event
// per hazard record (a GeoJSON Feature like /api/v1/hazard-events gives), one traffic event
// per batch with all its cells, and an edge event per health record. It never blocks.
func (a *API) PublishRecords(edgeID string, recs []store.Record) {
	var cells []map[string]any
	for i := range recs {
		r := &recs[i]
		switch r.Kind {
		case store.KindHazard:
			e := store.StoredHazardEvent{EdgeID: edgeID, Seq: r.Seq, At: r.At, ReceivedAt: a.o.Now(), HazardEvent: *r.Hazard}
			a.o.Broker.Publish(EventHazard, eventFeature(&e))
		case store.KindTraffic:
			t := r.Traffic
			cells = append(cells, map[string]any{"quadkey": t.Quadkey, "minute": ts(t.Minute.Truncate(time.Minute)),
				"count": t.Count, "mean_speed_mps": t.MeanSpeedMPS})
		case store.KindHealth:
			h := store.HealthSample{EdgeID: edgeID, Seq: r.Seq, At: r.At, Health: *r.Health}
			a.o.Broker.Publish(EventEdge, map[string]any{"id": edgeID, "event": "health", "health": healthOf(&h)})
		}
	}
	if len(cells) > 0 {
		a.o.Broker.Publish(EventTraffic, map[string]any{"edge_id": edgeID, "cells": cells})
	}
}

// PublishEdge puts an edge's connection change on the live stream.
func (a *API) PublishEdge(edgeID string, connected bool) {
	ev := "disconnected"
	if connected {
		ev = "connected"
	}
	a.o.Broker.Publish(EventEdge, map[string]any{"id": edgeID, "event": ev, "connected": connected, "at": ts(a.o.Now())})
}

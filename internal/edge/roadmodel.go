package edge

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"time"

	"github.com/michi-v2x/michi/internal/road"
)

// roadModelFile is the road model's file in the data dir; the detection loop saves it every
// roadSaveEvery and when the node stops.
const (
	roadModelFile = "road-model"
	roadSaveEvery = time.Minute
)

// newRoadModel makes the node's road model, kept in DataDir/road-model unless the options name
// another path.
func newRoadModel(o Options) *road.Model {
	ro := o.Road
	if ro.Path == "" && o.DataDir != "" {
		ro.Path = filepath.Join(o.DataDir, roadModelFile)
	}
	return road.New(ro)
}

// loadRoad reads what the edge learned before a restart, then seeds the model from the road map
// if one is configured. A model that does not load is logged and learned anew: it only makes
// the detectors hold back for a while. A map that does not load stops the edge.
func (n *Node) loadRoad() error {
	if n.road.Options().Path != "" {
		cells, err := n.road.Load()
		if err != nil {
			n.log.Warn("road model not loaded; learning it anew", "err", err)
		} else {
			n.log.Info("road model loaded", "path", n.road.Options().Path, "cells", cells)
		}
	}
	lanes, err := n.road.SeedFromMap()
	if err != nil {
		return err
	}
	if lanes > 0 {
		n.log.Info("road model seeded from a map", "map", n.road.Options().Map, "lanes", lanes)
	}
	return nil
}

// saveRoad writes the road model to the data dir, if there is one.
func (n *Node) saveRoad() {
	if n.road.Options().Path == "" {
		return
	}
	if err := n.road.Save(); err != nil {
		n.log.Warn("road model not saved", "err", err)
	}
}

// serveRoad answers GET /api/v1/road: what the road model holds and which side traffic keeps to.
func (n *Node) serveRoad(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(n.road.Stats())
}

// SeedRoad seeds the road model from a map the caller has (a simulation's own roads, say), as
// Options.Road.Map does from a file.
func (n *Node) SeedRoad(m road.Map) { n.road.Seed(m) }

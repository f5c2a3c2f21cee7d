// Package edge is michi's roadside edge node: an embedded MQTT broker (mochi-mqtt) whose hooks
// feed every validated CAM, DENM and CPM into the Local Dynamic Map and the hazard detectors, and
// whose inline publisher disseminates the hazards the edge originates as its-client DENM JSON on
// every zoom-16 outQueue tile their relevance area touches.
//
// Data flows one way: listener → ingest (decode, validate, authorise) → ldm / reports →
// detectors → hazard manager → dissemination. Ingest runs on the publishing client's goroutine;
// periodic detection runs on one goroutine owned by Run; dissemination is serialised by
// Node.pubMu so retained state per tile only moves forward in time.
//
// Locks (never held while calling into another component that locks):
//   - ldm.Map and hazard.Manager each own one mutex; the edge never holds its own lock while
//     calling them.
//   - Node.pubMu guards the dissemination state (last published version per hazard) and the
//     injection of publishes into the broker; it is taken after the hazard manager returns its
//     events, never before.
//
// This package must not be imported by pkg/…; it may import every internal package it wires.
package edge

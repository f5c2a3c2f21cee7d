// Package edge is michi's roadside edge node: an embedded MQTT broker (mochi-mqtt) whose hooks
// feed every validated CAM, DENM and CPM into the Local Dynamic Map and the hazard detectors, and
// whose inline publisher disseminates the hazards the edge originates as its-client DENM JSON on
// every zoom-16 outQueue tile their relevance area touches.
//
// Data flows one way: listener → ingest (decode, validate, authorise; a vehicle's QoS 0
// telemetry is taken from the connection before the broker reads it, inbound.go) → ldm / reports →
// detectors → hazard manager → dissemination (MQTT tiles, native QUIC geocast, and, with
// Options.HubAddr, the uplink queue to the cloud hub). The uplink (uplink.go) also carries
// per-tile traffic aggregates and edge health, sampled by loops of its own off the ingest path,
// and brings hazards down from the hub (an authority's road works, a neighbour's relayed
// hazard), which enter the "authority" detector and are disseminated like a vehicle's report. Ingest runs on the publishing client's goroutine;
// periodic detection runs on one goroutine owned by Run; dissemination is serialised by
// Node.pubMu so retained state per tile only moves forward in time.
//
// Locks (never held while calling into another component that locks):
//   - ldm.Map and hazard.Manager each own one mutex; the edge never holds its own lock while
//     calling them.
//   - Node.pubMu guards the dissemination state (last published version per hazard) and the
//     injection of publishes into the broker; it is taken after the hazard manager returns its
//     events, never before.
//   - The station book (stations.go) is a leaf, taken under one connection's binding lock.
//   - The hazard journal's lock (journal.go) is taken under pubMu and reportMu, and holds the
//     report store's lock while it rewrites the file.
//   - The per-credential quotas (quota.go) are leaves, taken on a client's own goroutine; a
//     full credential asks the broker's client map (a leaf lock of mochi's) under quotas.mu.
//   - The uplink's locks are leaves — the record backlog (taken under pubMu), the coverage, the
//     latency reservoir — except the traffic aggregate's, held by one sampling round over the
//     LDM's read pass and then the coverage and backlog locks.
//
// This package must not be imported by pkg/…; it may import every internal package it wires.
package edge

// Package edge is michi's roadside edge node: the pipeline that takes every validated CAM, DENM
// and CPM into the Local Dynamic Map and the hazard detectors, and disseminates the hazards the
// edge originates through three sinks: the MQTT broker (internal/broker; its-client DENM JSON
// retained on every zoom-16 outQueue tile the relevance area touches), the native QUIC geocast
// (geocast.go, over internal/native) and the uplink to the cloud hub (uplink.go).
//
// The edge is the broker's Handler (mqtt.go) and the native server's (nativehandler.go): transports
// call down into it through those interfaces and know nothing of the pipeline.
//
// Data flows one way: listener → ingest (decode, validate, authorise; ingest.go) → ldm / reports →
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
//     publishes into the broker; it is taken after the hazard manager returns its events, never
//     before. The broker's locks are leaves to the edge.
//   - The station book (stations.go) is a leaf, taken under one connection's binding lock.
//   - The hazard journal's lock (journal.go) is taken under pubMu and reportMu, and holds the
//     report store's lock while it rewrites the file.
//   - The per-credential quotas (quota.go) are leaves, taken on a client's own goroutine; a
//     full credential asks the broker which connection holds a session (a leaf lock of the
//     broker's) under quotas.mu.
//   - The uplink's locks are leaves — the record backlog (taken under pubMu), the coverage, the
//     latency reservoir — except the traffic aggregate's, held by one sampling round over the
//     LDM's read pass and then the coverage and backlog locks.
//
// This package must not be imported by pkg/… nor by internal/broker or internal/native (the
// transports it implements the Handler of); it may import every other internal package it wires,
// but not mochi-mqtt, which is internal/broker's.
package edge

// Package hub is michi's cloud hub: edge nodes connect to its uplink Server (QUIC, mutual TLS,
// ALPN michi-uplink/1) and send hazard events, traffic aggregates and health; the hub stores
// each record exactly once (internal/hub/store, SQLite or PostgreSQL), serves them over HTTP
// (internal/hub/api: JSON, GeoJSON, CSV, a Server-Sent Events stream, /metrics, /healthz) and
// sends authority hazards and relayed neighbour hazards back down (internal/hub/downlink).
//
// Hub follows the project lifecycle: New checks Options and does no I/O; Run opens the
// database, listens (Ready, UplinkAddr, HTTPAddr), serves until its context ends and then
// drains: live streams end, HTTP shuts down within DrainTimeout, the uplink finishes storing
// and acknowledging in-flight batches, the database closes. Every goroutine Run starts has
// ended when it returns.
//
// After a batch commits, the hub's Sink feeds the downlink (coverage, relay) and the live
// stream from memory without blocking, so neither a slow dashboard nor the downlink delays an
// edge's acknowledgement.
//
// This package wires the hub's parts; cmd/cloud-hub is its only importer. It must not import
// internal/edge.
package hub

// Package e2e holds michi's end-to-end tests of the edge ↔ hub system: a real cloud hub
// (internal/hub, SQLite in a temporary directory) and real edge nodes (internal/edge) in one
// process on 127.0.0.1:0, with a throwaway PKI from internal/tlsconf, vehicles on MQTT (paho)
// and michi's native QUIC protocol; and the same with cloud-hub and edge-node built and run as
// separate processes.
//
// It has no code of its own besides these tests, and nothing imports it.
package e2e

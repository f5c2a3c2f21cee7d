// Package demo is `michi-sim demo`: one process, embedded defaults, nothing to install. It runs
// a cloud hub and two edge nodes in-process (a motorway and a city district, each with its own edge), a few
// hundred simulated vehicles (half of them real MQTT clients), roadside sensors and a timeline of
// hazards, prints where to look (API, metrics, MQTT) and a live line of the vehicles warned and
// their alert latency, and returns the run's report when the duration is over or the context ends.
//
// A cloud hub (internal/hub) runs in the same process with its dashboard, on an SQLite file and
// a throwaway PKI in a temporary directory; both edges send it their hazards and traffic over
// the QUIC uplink with mutual TLS, as in production (Options.NoHub leaves it out).
//
// It imports sim, sim/live, sim/report, internal/edge, internal/hub and internal/tlsconf.
package demo

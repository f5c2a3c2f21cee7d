// Package demo is `michi-sim demo`: one process, embedded defaults, nothing to install. It runs
// two edge nodes in-process (a motorway and a city district, each with its own edge), a few
// hundred simulated vehicles (half of them real MQTT clients), roadside sensors and a timeline of
// hazards, prints where to look (API, metrics, MQTT) and a live line of alert latency and
// delivery, and returns the run's report when the duration is over or the context ends.
//
// The cloud hub (issue 5) has a seam here: Options.Hub, when set, is started first and its
// address printed; the edges' uplink is wired to it once internal/hub serves.
//
// It imports sim, sim/live, sim/report and internal/edge (the edges' options).
package demo

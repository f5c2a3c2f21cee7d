// Package live runs a simulated world against real edge nodes in real time: every connected
// vehicle is a real client (pkg/v2x/client) of an edge node over the chosen transport, sending
// its state as CAMs and its own hazard reports as DENMs and reacting to the alerts it receives;
// every roadside sensor publishes CPMs of what it perceives; the road authority publishes its
// road works as DENMs. Edge nodes are started in-process (internal/edge) unless a scenario names
// external ones. An observer client per edge sees every hazard the edge publishes; a
// report.Collector turns it all into the report.
//
// The engine (package sim) steps virtual time; Run paces it by the wall clock, one step per
// Config.Step, so that the edges' detectors, clocks and TTLs see real time.
//
// It may import sim, sim/report, internal/edge, pkg/v2x (and its client) and pkg/geo; the
// command and the demo import it.
package live

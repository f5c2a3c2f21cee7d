// Package demo drives a few simulated vehicles against a running edge node, as real MQTT clients
// over loopback, so a newcomer sees the edge work with one command. It is a showcase, not the
// simulator (sim/): motion is a constant-speed loop on one straight two-way road.
//
// It imports internal/edge and pkg/…; nothing imports it but cmd/edge-node.
package demo

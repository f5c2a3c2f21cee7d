// Package worlds generates SUMO worlds to measure michi's hazard detection on: a network made at
// run time by SUMO's own tools (netgenerate, or plain XML through netconvert), traffic from
// randomTrips.py, and a breakdown placed on the network, written into a directory as a
// michi-sim scenario (world.yaml beside world.net.xml and world.rou.xml). Nothing is
// downloaded.
//
// A Spec names a world: its kind (spider, grid-tls, roundabout, motorway), its driving side,
// its demand (quiet or rush) and a seed; Suite is the 16 worlds of `michi-sim eval`, Short the
// two of its CI version. Everything about a world follows from its Spec: the same Spec gives
// the same files (SUMO's tools are seeded).
//
// Ground truth comes from SUMO, not from michi: the breakdown is a SUMO vehicle with a <stop>
// (sim/sumo reads from SUMO's FCD when it really stood), and the scenarios leave the edge's
// configuration at its defaults.
//
// It imports sim/scenario and sim/sumo, and runs the sumo tools as processes; it must not import
// internal/ packages.
package worlds

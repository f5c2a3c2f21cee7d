// Package sim is michi's traffic and sensor simulation engine: road networks (a generated
// highway with N lanes each way, a grid of streets), vehicles following the Intelligent Driver
// Model with simple lane keeping (and a lane change only to get round a blocked lane), a share
// of them connected, roadside sensors with a range and a position noise, and hazards injected at
// set times and places (stopped vehicle, wrong-way driver, obstacle, slippery road, pedestrian on
// the road, road works from the authority). Vehicles can also be driven from outside (SUMO
// floating-car data, see sim/sumo) instead of by the model.
//
// The Engine steps virtual time (Config.Step, default 100 ms) and is deterministic: the same
// Config and seed give the same vehicles, trajectories, sensor readings and events, as long as the
// same alerts are applied (Engine.Warn) at the same steps. It does no I/O and knows nothing of
// MQTT: sim/live turns its vehicles into real clients of real edge nodes and paces it by the wall
// clock, sim/report turns what happened into a report.
//
// Coordinates inside the engine are metres east (X) and north (Y) of Config.Origin on a local
// tangent plane (geo.Projection); headings are degrees clockwise from north.
//
// It imports pkg/geo only; it must not import internal/ packages or any network code.
package sim

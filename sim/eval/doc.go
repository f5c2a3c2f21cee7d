// Package eval runs a suite of SUMO worlds (sim/worlds) against in-process edge nodes with their
// default configuration and measures how well the edges' hazard detectors do: per world, the
// hazards raised, matched to the breakdown SUMO really had (or its end of queue) or phantom,
// duplicates, phantom warnings delivered to vehicles, precision, recall and time to detect
// (sim/report's detection figures). It writes results.json and results.md (the table, with
// the commit, date and machine) — the measuring instrument of `michi-sim eval`.
//
// Each world is a normal live run (scenario.Run), several at once (Options.Parallel). A run
// that fails is reported as such and makes Run return an error; bad precision does not: the
// table is the measurement.
//
// It imports sim/worlds, sim/scenario and sim/report; only cmd/michi-sim and tests import it.
package eval

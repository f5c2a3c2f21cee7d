// Package road is the edge's road model: what ordinary traffic does where, learned from the
// vehicles the edge sees (and optionally seeded from a map), so that detectors raise a hazard
// only for what ordinary traffic does not do there.
//
// The model is a grid of square cells (Options.CellM, 2 m: finer than a lane, so the two lanes of
// an undivided road fall into different cells) on a tangent plane around the first point it
// learns (or the map's origin). Per cell it keeps:
//
//   - flow: how many vehicle passes it has seen in each of 16 heading bins (22.5° each). A pass
//     is one moving vehicle entering the cell; between two rounds a vehicle's straight path is
//     rasterised, so fast vehicles leave no holes. The shares of passes along, against and across
//     a heading answer "does traffic go this way here?" (wrong way) and "do headings spread
//     here?" (junction areas, where turning and crossing are routine);
//   - slowing: how many of those passes were slow (Options.SlowSpeedMPS): where traffic
//     routinely slows down — yield lines, ramp ends, the approach to lights — the share is high
//     after a few vehicles, long before anyone has stopped there twice;
//   - stops: where vehicles stood and then moved on (stop lines, yield lines, queue zones), with
//     the longest such dwell and the number of separate stop episodes (stops more than
//     Options.EpisodeGap apart). A place where traffic stopped in two or more episodes is a
//     routine stop zone; one long queue behind an incident is a single episode and does not
//     teach the model that stopping there is normal.
//
// A cell is known once it has seen Options.MinPasses passes. Detectors hold back where the model
// knows nothing: a fresh edge raises no map-dependent hazard until traffic has taught it the
// road there (a map seed makes every mapped lane known at once).
//
// The model is saved to Options.Path (msgpack, written atomically) by Save and read back by
// Load, so a restarted edge keeps what it learned.
//
// # Lock rule
//
// One sync.RWMutex guards the model. Learn and Seed take it for writing; every query takes it for
// reading; none calls out while holding it.
//
// # Imports
//
// road imports internal/ldm and pkg/geo. It must not import internal/detect, internal/hazard or
// internal/edge.
package road

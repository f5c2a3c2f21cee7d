// Package detect holds the edge's hazard detectors. Each detector is a small unit with its own
// Options (the zero value of every field means the documented default), a Name, and
// Detect(now, *ldm.Map) returning its full round of hazard.Findings for the hazard manager:
//
//	name        cause  from
//	reports     any    vehicle and roadside DENMs (Reports store), accepted on the first report
//	slippery    6, 9   the same store; confirmed by ≥ 2 independent reporters or 1 trusted one
//	stationary  94     a self-reporting vehicle standing in a lane that traffic from behind gets
//	                   past; not a queue, a junction or a place where traffic routinely waits
//	wrongway    14     sustained travel against the flow the road model learned, outside junctions
//	endofqueue  27     a slow queue with fast traffic approaching its tail, not a routine queue
//	collision   97     constant-velocity closest point of approach (off by default, OffByDefault)
//	human       12     a roadside-perceived pedestrian on the road
//	authority   any    hazards the cloud hub sends down: an authority's road works, closures and
//	                   weather, and neighbouring edges' hazards relayed to this edge (Authorities)
//
// Keys are stable identities within one detector ("station:<id>" for a self-reporting vehicle,
// "obj:<ldm id>" for an object only sensors see); sources name stations as "station:<id>" for a
// vehicle reporting itself and for a sensor station alike, so independence means "a distinct
// station" over the LDM. Over the Reports store it means a distinct reporter (Report.Reporter:
// the credential a report came with, whatever station ids it claims), and a report's sources
// name one station per reporter.
//
// Detectors over the LDM copy what they need out of one ldm.Map.Each into a flat scene with a
// local projection and a dense grid (scene.go), so neighbour queries cost a few float
// operations and no map lock; over 5,000 vehicles a round of every default detector and the road
// model's learning costs about 9 ms of one core (BenchmarkDetectionRound). They never call
// the map from inside its callbacks.
//
// Concurrency: Reports is safe for concurrent use (one mutex, also taken by the detectors over
// it). The other detectors keep small per-round state (key memories) under their own mutex, so
// running one detector from two goroutines is safe but pointless.
//
// The detectors over the LDM lean on the edge's road model (internal/road): what ordinary traffic
// does where. Where it knows nothing they raise nothing.
//
// This package may import internal/hazard, internal/ldm, internal/road, pkg/geo and pkg/v2x;
// nothing but the edge imports it.
package detect

// Package ldm is the edge's Local Dynamic Map: the vehicles that report themselves (CAM) and the
// objects roadside sensors perceive (CPM), fused into one Object per real thing, kept in a
// geo.Index (R-tree) with per-layer time-to-live, plus the road surface learned from where
// vehicles drive. Detectors read it; the edge queries it for the vehicles an alert is relevant to.
//
// # Lock rule
//
// One sync.RWMutex inside Map guards everything in it. Updates (UpdateVehicle, UpdatePerceived,
// Expire) take it for writing; queries take it for reading and run their callbacks (Within,
// InBox, Each, Relevant) while holding it. No callback may call back into the map — not even a
// query: a read lock taken again while a writer waits deadlocks — and the *Object a callback gets
// points into the map and is valid only during the call (Object.Clone keeps a copy). Get and
// Vehicle return copies. The map never calls out while locked, so any lock of the caller may be
// held around a call, as long as no callback takes that lock in the other order.
//
// # Fusion
//
// A sighting (sensor, object id) or a vehicle's first CAM joins an existing object when all of:
//   - its position is within FusionGateM (3 m) of the object's position predicted to the
//     sighting's time along the object's velocity (at most 1 s ahead or back);
//   - the kinds are compatible (equal, or either unknown): pedestrians never fuse with cars;
//   - when both velocities are known, speeds differ by at most FusionSpeedGateMPS and, when both
//     move, headings by at most FusionHeadingGateDeg;
//   - the object has no report yet from the same station: one sensor's distinct object ids stay
//     distinct objects, and a vehicle's own CPM never perceives itself.
//
// The nearest such object wins. A sensor's association then persists until its sightings drift
// beyond 2·FusionGateM or it expires. A vehicle's CAM position is authoritative for its object;
// an object seen by sensors only takes the mean of its sightings from the last 0.5 s (each
// predicted to the latest) and the velocity of the latest. When a vehicle whose sensors saw it
// first sends its first CAM, the sensor object becomes the vehicle (keeping its id), so one car
// seen by three sensors and reporting itself is one Object with four Sources. Two sensor-only
// objects are not merged with each other after they were created.
//
// # Time to live
//
// Each Source lives VehicleTTL (own CAM) or ObjectTTL (sensor sighting) after its latest report;
// Expire drops stale sources, then objects left without any. The map never reads the clock.
//
// # Imports
//
// ldm imports pkg/geo only (no pkg/v2x: the edge converts messages into VehicleState and
// Perceived). It must not import internal/hazard, internal/detect or internal/edge.
package ldm

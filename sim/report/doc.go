// Package report measures a simulation run and writes what it found: per injected hazard and
// overall, how many alerts were expected and delivered inside the relevance area, deliveries
// outside it, alert latency, detection delay and warning lead time, as JSON and as a
// self-contained HTML page with inline SVG plots (no scripts, no map tiles).
//
// It also measures detection quality: every hazard the edges raised is matched to an incident
// that really happened (one the simulator injected, or one SUMO made happen, reported with
// Injected), as its detection or as its consequence (the end of the queue behind it), or it
// is a phantom; per cause and overall it counts raised, matched, phantom, duplicates and phantom
// warnings delivered, and gives precision, recall and time to detect.
//
// A Collector is fed while the run goes on: the hazards the edges publish (seen by an observer
// subscribed to every outQueue DENM), the alerts each vehicle receives, and at every step the
// position of every connected vehicle and when it reaches a hazard. Report computes the figures
// at the end.
//
// Relevance area. Over MQTT an edge publishes a hazard on every zoom-16 tile its relevance
// circle touches, and a vehicle subscribes to its own tile and the 8 around it (at its
// subscription zoom), so the area a vehicle can be alerted in is a set of tiles, not the circle:
// here a vehicle is inside a hazard's relevance area while the tile of the position it last
// sent (its subscription) or one of its 8 neighbours is, or contains, a tile the hazard was
// published on. The tiles are those the observer actually received the hazard on, so the
// measure follows the edge's real dissemination. (With michi's native QUIC geocast the area
// would be the relevance circle and heading; the simulator runs over MQTT.)
//
// Alert latency is the one definition of internal/alertlatency (docs/metrics.md): from the
// edge accepting the event to the vehicle reading the alert, with its delivery part beside it.
//
// It imports pkg/geo, pkg/v2x and internal/alertlatency (names and sentences) only.
package report

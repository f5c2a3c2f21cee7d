// Package hazard is the edge's hazard manager: it turns the findings of the detectors into the
// hazards the edge originates and publishes as DENMs, and owns their lifecycle
// (create / update / confirm / terminate / expire).
//
// # Identity
//
// The edge is the originator of every hazard it publishes. A hazard's action_id is the edge's own
// station id (Options.StationID, station type 15, RSU) and a sequence number the manager
// allocates: uint16, counting up from Options.FirstSequence, wrapping, and skipping numbers that
// are still active. A vehicle's own DENM is therefore never forwarded under the vehicle's
// action_id: the reports detector turns it into a finding, and the finding becomes (or
// confirms) a hazard of the edge.
//
// # Findings, keys and merging
//
// A detector hands the manager its full round of findings (Apply). A finding's Key identifies the
// underlying condition within that detector ("station:42", "a|b", …); the manager scopes keys by
// detector. A known key updates the hazard it belongs to. A new key is merged into the nearest
// active hazard of the same cause within the cause's merge radius (whose heading, when both have
// one, differs by at most 90°, or which lies within MaxOppositeLateralM across the road: one
// event on an undivided road seen from both sides), so several sources and several detectors that
// see one event make one hazard; otherwise a new hazard is created. A hazard aggregates its keys:
//
//   - position: mean of the keys' positions; heading: circular mean of the keys' headings, none
//     when they come from both directions of the road (traffic from either side is concerned);
//   - radius and validity: the largest among the keys (0 in a finding = the cause default);
//   - direction: the first key's non-zero direction, else the cause default;
//   - Sources: the sorted union of the keys' sources (a finding without sources counts as the
//     source "detector:<name>"); Detectors: the detectors that currently hold a key;
//   - InformationQuality = Quality(len(Sources)): 1 independent source → 1, each further
//     independent source +1, capped at 7 (the ETSI maximum).
//
// # Events
//
// Apply and Tick return events rather than calling back, so the caller disseminates outside the
// manager's lock. Created is emitted once per hazard. Updated is emitted only when something a
// receiver cares about changed (sources, quality, sub-cause, direction, radius, validity,
// detectors, the position by more than Options.MoveThresholdM, the heading by more than
// Options.HeadingThresholdDeg) or when a refresh is due (Options.RefreshEvery, default half the
// hazard's validity), so a live hazard never runs out of validity at the receivers. Every
// published version carries Detection = Reference = now, with Reference strictly increasing by at
// least one millisecond (the ETSI resolution) per version.
//
// A key that is absent from its detector's rounds for Options.ClearAfter is dropped; a finding
// with Terminate set drops its key at once. A hazard left without keys is Terminated — a
// cancellation, since the edge is the originator. Tick drops keys of detectors that stopped
// reporting, emits Expired for hazards past Detection+Validity, and emits the refreshes that are
// due. Ended hazards leave the active set; the last Options.History of them are kept for Recent
// and Get.
//
// # Restarts
//
// Restore takes back, on a restarted edge, the hazards the run before published and had not
// ended: active, under their action ids and last versions, held by no key until a given time. A
// finding that merges into one carries it on; one left unclaimed then is Terminated like any
// hazard whose keys are gone. The edge keeps what to restore (internal/edge, restart.go).
//
// # Concurrency
//
// A Manager is safe for concurrent use. One sync.Mutex guards all of its state; every exported
// method takes it for its whole duration and calls nothing outside the package while holding it
// (the geo.Index it owns is used only under that mutex). Returned Hazards are deep copies the
// caller may keep and modify.
//
// This package may import pkg/geo and pkg/v2x. It must not import internal/ldm or
// internal/detect (detectors depend on the manager, not the other way round).
package hazard

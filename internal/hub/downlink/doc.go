// Package downlink sends hazards from the hub down to edge nodes: authority hazards (road
// works, closures, weather) issued through the hub's API, and edge hazards relayed to
// neighbouring edges.
//
// Routing is by coverage: each edge reports the box it serves in its health records, and a
// hazard goes to every connected edge whose box its circle (centre, radius) touches; an edge
// whose coverage is not known yet gets every authority hazard (it filters by area itself).
//
// Delivery: the uplink Server queues a sent hazard per edge until the edge acknowledges it,
// across reconnects of that edge to the same hub. On top of that the Dispatcher reconciles:
// when an edge connects, when its coverage changes, and every ReconcileEvery, it sends each
// connected edge the active authority hazards it concerns that this hub has not yet sent it in
// their current version, and a termination for every copy the edge still reports active of a
// hazard that has ended. That covers hub restarts and several hub replicas sharing one
// database (a hazard issued on replica A reaches an edge connected to replica B within one
// reconcile period). The edge treats a resent hazard with a known ID as a replacement.
//
// Relay: a hazard an edge reports (created/updated) whose circle touches another connected
// edge's coverage is sent to that edge as an AuthorityHazard with ID "relay:EDGE:STATION/SEQ"
// and Issuer "edge:EDGE"; its termination or expiry is relayed the same way. Hazards that
// carry an Authority id (authority hazards and relays echoed back by edges) are never relayed,
// so nothing loops.
//
// Locks: Dispatcher.mu guards the in-memory maps only; it is never held while calling the store
// or the Sender.
//
// This package imports internal/hub/store, internal/uplink and pkg/geo; it must not import the
// API or anything of the edge.
package downlink

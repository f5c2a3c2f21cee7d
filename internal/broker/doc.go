// Package broker is michi's MQTT broker: everything that knows MQTT packets and connections.
// The edge (internal/edge) implements Handler and publishes through Server; nothing outside this
// package sees mochi-mqtt, which it embeds as an implementation detail.
//
// It owns:
//   - Server (broker.go): New builds it without I/O; Listen / ListenWebSocket add TCP, TLS, QUIC
//     (pkg/quicconn) and WebSocket (wslistener.go, with the Origin check) listeners; Serve starts
//     them; Close disconnects every client, then stops.
//   - Handler (handler.go): Connect (authenticate; refuse with a reason code), Publish (ingest
//     what a client publishes into {root}/inQueue/), MayRead (authorise a subscription and each
//     delivery), Disconnect. Conn is one connection as the Handler sees it, with the Handler's own
//     Session value. Code is the MQTT v5 reason code a refusal carries (Coded).
//   - The publish API (fanout.go): PublishRetained (one message retained on several topics, with
//     expiry and user properties, delivered to the connections First picks first), ClearRetained,
//     Forward (live telemetry while anyone subscribes to it).
//   - The ways in and out around mochi: the inbound filter (inbound.go), which takes a vehicle's
//     QoS 0 telemetry from the connection before mochi's read path; the alert lane per connection
//     (lane.go), which the fan-out writes to directly; the subscription index (subindex.go), which
//     finds a hazard's recipients; the retained replay on subscribe (retained.go); the limits mochi
//     lacks (limits.go): connect timeout, keep-alive, session expiry at DISCONNECT,
//     subscriptions per session.
//   - The work-arounds for mochi-mqtt v2.7.9 each have a test in mochi_test.go that fails when the
//     upstream behaviour they rely on changes: read those first when upgrading mochi.
//
// Locks (none held while calling the Handler, except as noted):
//   - subIndex.mu guards the index; the fan-out holds its read lock while matching only.
//   - A lane's wmu is held for one whole write (mochi's or the lane's), qmu for its queue; qmu is
//     taken under wmu by a flusher, never the other way.
//   - mochi's own locks (its client map, its topic index) are leaves to this package.
//   - Server.open (atomic) counts the lanes not yet closed; Close waits for it to reach 0 before
//     mochi's Close (broker.go, stopClients).
//
// Telemetry and subscriptions run on each client's read goroutine; a PublishRetained on the
// caller's goroutine and up to GOMAXPROCS-1 helpers it waits for.
//
// This package must not import internal/edge or any pipeline package (ldm, hazard, detect,
// uplink): dependencies point down, transport → Handler interface ← pipeline. It may import
// pkg/v2x (topics), pkg/geo, internal/httpsrv and internal/tlsconf.
package broker

// Package native is the edge's server of michi's native QUIC protocol, michi-v2x/1
// (docs/native-protocol.md; the frame codec and the client are the public pkg/v2x/native).
//
// It owns:
//   - Server (New, Run, Addr, Ready): the QUIC listener with ALPN michi-v2x/1, the handshake
//     (hello → authenticate → Handler.OnHello → welcome), and one session per connected station.
//     A newer session of a station replaces the older one (replaced) when both hellos have the
//     same Grant.Credential; a hello of another credential is refused with forbidden.
//   - Sessions: per session a control-stream reader (ping/pong, bye, DENMs), a datagram reader
//     and telemetry-stream readers for CAMs, and one alert writer. CAMs and DENMs are checked
//     against the hello's station id and handed to the Handler one at a time per session; a
//     Handler error goes back to the client as a non-fatal Error frame with the code it carries,
//     MaxBadFrames of them in a row close the session. Garbage on a stream closes the session
//     with a fatal Error frame and the same code as the QUIC application error code.
//   - Geocast delivery (Deliver): the edge decides who gets an alert; the server queues it in the
//     station's bounded queue (QueueLen), where a newer version of a hazard supersedes a queued
//     older one in place and a version queued or sent before is not queued again (the edge offers
//     active hazards on every CAM). The session's writer opens a unidirectional stream per alert,
//     writes it with WriteTimeout and closes it. Deliver never blocks; a session whose queue
//     overflows or whose stream cannot be opened or written in time is evicted (slow_consumer)
//     while every other session goes on.
//   - Shutdown: Run stops accepting when its context ends, lets each session write its queue
//     (DrainTimeout), closes it with shutting_down and the seq of its last alert, and waits for
//     every goroutine it started.
//   - Stats and SessionStats: counters for metrics.
//
// Goroutines: Run's accept loop; per connection one goroutine for the handshake and the session's
// life, and under it the control reader, the alert writer, the telemetry acceptor with one reader
// per telemetry stream and, with datagrams, the datagram reader. Each waits for those it started.
//
// Lock rule: Server.mu guards the session map and is never held while calling out or while taking
// a session's lock. Per session: ingestMu (one Handler call at a time) may be held while taking
// ctrlMu (control-stream writes); qmu (the alert queue) and failMu are taken alone. No lock is
// held during a Handler call except that session's ingestMu.
//
// 0-RTT is not accepted (the hello carries credentials); client migration is handled by quic-go.
//
// This package imports pkg/v2x, pkg/v2x/native, quic-go and the standard library. It must not
// import the edge (internal/edge wires it in) nor MQTT code; certificates come from the caller
// (internal/tlsconf).
package native

// Package quicconn carries a byte-stream protocol — MQTT, in michi — over QUIC by presenting QUIC
// as the standard net.Listener and net.Conn, in the single-stream mode of EMQX and NanoMQ: each
// QUIC connection carries exactly one client-initiated bidirectional stream, and that stream is
// the connection's byte stream. An MQTT broker that serves a net.Listener (mochi-mqtt's
// listeners.NewNet) and an MQTT client that accepts a custom dialer (paho's
// SetCustomOpenConnectionFn) thereby speak MQTT over QUIC unchanged.
//
// It owns:
//   - Listener (Listen, ListenAddr, ListenConfig): accepts QUIC connections and hands out the first
//     bidirectional stream each client opens as a net.Conn. Waiting for that stream happens per
//     connection, in its own goroutine, bounded by ListenConfig.StreamTimeout (default 10 s), so a
//     client that never opens a stream delays nobody and is closed with CodeNoStream. A QUIC stream
//     becomes visible to the server only when the client first sends on it; an MQTT client's
//     CONNECT does that.
//   - Dial: the client side, one QUIC connection with one bidirectional stream.
//   - Conn: the adapter. Read and Write go to the stream; LocalAddr and RemoteAddr come from the
//     QUIC connection (RemoteAddr follows a migrated client); the deadlines are the stream's.
//     Errors look like the standard library's: net.ErrClosed after Close, os.ErrDeadlineExceeded
//     on a deadline, io.EOF after everything the peer wrote (its stream FIN), ErrPeerClosed when
//     the peer closed the connection or reset the stream before that. ConnectionState gives the
//     TLS state, as *tls.Conn does, so authentication code can treat TLS and QUIC clients alike.
//
// Closing. Conn.Close sends the stream's FIN after all data written so far and unblocks a pending
// Read at once; it then closes the QUIC connection with CodeNoError (0) as soon as the peer has
// finished its side of the stream (FIN or reset), the peer has closed the connection, or Linger
// (default 2 s) has passed. Closing the connection at once would discard data the peer has
// received but not yet read — such as a CONNACK refusing a client, written just before Close —
// because QUIC abandons a connection's streams when it closes. A Write blocked on flow control
// when Close is called returns at once; the part it had handed to QUIC is still sent, before the
// FIN. Listener.Close stops accepting and closes every connection it accepted with CodeNoError
// (QUIC connections share the listener's UDP socket, so they cannot outlive it) — at once, except
// those whose Conn is closing already, which keep their linger, so that a broker closing its
// clients and then its listener still delivers its last packets. It waits for the goroutines it
// started and closes the socket if it opened it (ListenAddr), never a net.PacketConn passed to
// Listen.
//
// Defaults (zero values in a *quic.Config passed in, which is never modified): KeepAlivePeriod
// 15 s (negative: no keep-alives), MaxIdleTimeout 60 s; on the server at most one bidirectional
// stream per connection and no unidirectional streams, on the client none opened by the server.
// TLS: when tls.Config.NextProtos is empty, ALPN "mqtt" is offered. Datagrams are not used.
//
// 0-RTT is not supported: the listener accepts only completed handshakes and Dial does not send
// early data. An MQTT CONNECT carries credentials and is replayable, so the one round trip saved is
// not worth the replay exposure for this use.
//
// Connection migration: quic-go (v0.65) handles a client's migration and NAT rebinding on the
// server side transparently — it validates the new path and switches to it, and Conn.RemoteAddr
// then reports the new address (a test here moves a client to a new socket mid-stream); quic-go
// servers do not disable active migration. A server cannot migrate itself. A client migrates
// only when its application asks (quic.Conn.AddPath, then Path.Probe and Path.Switch); Dial does
// not, but its connections can, as they use connection IDs, and Conn.QUIC exposes the QUIC
// connection for that. Client migration is young in quic-go: in v0.65 the client's LocalAddr
// still reports the old socket after a switch and reading it races with the switch (a data race
// inside quic-go), so a migrating client must not call LocalAddr while switching.
//
// This package imports only the standard library and github.com/quic-go/quic-go. It must not
// import anything from michi, nor an MQTT library: the mochi-mqtt and paho round trip lives in a
// test, and certificates come from the caller (the tests use internal/tlsconf). It is public
// because the SDK (pkg/v2x/client) dials MQTT over QUIC with it; the edge serves with Listener.
package quicconn

// Package native implements michi's native QUIC protocol, michi-v2x/1, on the client side:
// the frame codec and a low-level client connection. It is public so that vehicle software can
// use it directly and other implementations can test against it; docs/native-protocol.md is the
// specification, precise enough to implement the protocol in another language.
//
// # What it owns
//
//   - Frames (frame.go, fields.go): Hello, Welcome, ErrorFrame, Ping, Pong, Bye, CAMFrame,
//     DENMFrame and Alert. A frame is a uint32 big-endian payload length followed by one
//     msgpack map with a "type" key (FrameType) and the frame's fields. The CAM and DENM inside
//     are the pkg/v2x msgpack form, with the its-client JSON member names.
//   - The codec (codec.go, msgpack.go): AppendFrame / EncodeFrame / WriteFrame, DecodeFrame for
//     one frame in a buffer (a datagram), Reader for a stream of frames. Decoding accepts keys in
//     any order, skips unknown keys, refuses duplicates, missing required fields, wrong types,
//     out-of-range integers, invalid UTF-8, trailing bytes, nesting deeper than 32 and payloads
//     over MaxFrameSize (64 KiB), and never panics (FuzzDecodeFrame). Errors are *Error values
//     carrying the protocol Code the receiver answers with.
//   - Errors (errors.go): Code, the typed error codes of Error frames and of the QUIC
//     application error code a connection is closed with; Error, which wraps them.
//   - The client: Dial / Dialer and Conn (conn.go); the control stream — hello → welcome,
//     ping/pong, errors, bye, DENM reports (control.go); vehicle state as QUIC datagrams with a
//     one-CAM mailbox, freshest wins, and a unidirectional-stream fallback (telemetry.go); alerts
//     from server-initiated unidirectional streams, one alert per stream, each read on its own,
//     delivered once per hazard version (alerts.go); the clock offset from the pings, for
//     Alert.Latency (clock.go).
//
// # Client goroutines and errors
//
// A Conn runs a control reader, a pinger, a telemetry sender and an alert acceptor, plus one
// short-lived reader per alert stream; Done is closed once all have ended, and Err then says why
// the connection ended: ErrClosed after Close, an *Error from the server (errors.Is(err,
// CodeShuttingDown), …; Code.Retryable tells a reconnecting SDK whether to try again), or
// quic-go's error (an idle timeout). SendCAM never blocks; SendDENM waits at most for its ctx and
// the write timeout.
//
// 0-RTT is not used: the hello carries credentials. A Conn survives a change of the client's
// address; the application can migrate it through Conn.QUIC.
//
// # Imports
//
// Only the standard library, pkg/v2x, pkg/geo (through v2x) and github.com/quic-go/quic-go. It
// must not import anything under internal/: vehicle software depends on it. The server side is
// internal/native.
package native

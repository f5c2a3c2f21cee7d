// Package httpsrv builds the http.Servers michi serves (the edge's API and WebSocket listeners,
// the hub's API, stream and dashboard) with time bounds on every phase of a request, so that a
// client that opens a connection and then trickles, stalls or idles holds it only so long.
//
// It owns Timeouts (what a client may take: to send its headers, its whole request, to read the
// answer, and to idle between requests) and Timeouts.Server. Long-lived answers (Server-Sent
// Events, hijacked WebSocket connections) take over their own deadlines: a stream handler clears
// the read deadline and sets a write deadline per write with http.ResponseController.
//
// This package imports only the standard library and must not import anything from michi.
package httpsrv

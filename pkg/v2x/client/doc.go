// Package client is michi's Go SDK for vehicles: one API to send the vehicle's state and hazard
// reports to a michi edge node and to receive the hazard alerts relevant to it, over any of
// michi's transports.
//
//	c, err := client.Dial(ctx, client.Options{
//		URL:       "quic://edge.example.org:4433",
//		StationID: 1001,
//		TLS:       client.TLS{PinnedFingerprint: "3A:F0:…"},
//	})
//	…
//	go func() {
//		for a := range c.Alerts() {
//			// a.DENM, a.ActionID, a.AlertLatency, a.Terminated()
//		}
//	}()
//	for state := range positions {
//		_ = c.SendState(ctx, client.State{Pos: state.Pos, SpeedMPS: state.Speed, HeadingDeg: state.Heading})
//	}
//
// # Transports and URL schemes
//
// The URL's scheme chooses the transport; a missing port takes the default shown.
//
//	scheme (default port)                   transport  what
//	tcp://host:1883, mqtt://                mqtt-tcp   MQTT 5 over TCP (plaintext)
//	mqtts://host:8883, ssl://, tls://       mqtt-tls   MQTT over TLS
//	ws://host:80/mqtt                       mqtt-ws    MQTT over WebSocket (path default /mqtt)
//	wss://host:443/mqtt                     mqtt-wss   MQTT over WebSocket over TLS
//	mqtt+quic://host:14567                  mqtt-quic  MQTT over QUIC, ALPN "mqtt", one bidirectional
//	                                                   stream carrying the MQTT bytes (EMQX/NanoMQ)
//	quic://host:4433                        quic       michi's native protocol michi-v2x/1
//	                                                   (pkg/v2x/native)
//
// Every transport that uses TLS verifies the server as Options.TLS says: a CA file, a pinned
// SHA-256 certificate fingerprint (the edge logs and serves the fingerprint of its generated
// development certificate), or both; skipping verification needs the explicit TLS.Insecure.
// Plaintext transports refuse TLS options, so that a pin cannot silently go unused.
//
// # What the SDK does for the vehicle
//
//   - SendState sends a CAM built from SI values (v2x.NewCAM). Over MQTT it is published at QoS 0
//     on {root}/inQueue/v2x/cam/{source_uuid}/{zoom-22 quadkey digits}, the its-client layout;
//     over native QUIC it is a datagram.
//   - When to send a CAM: a Sender takes the vehicle's state as often as the application has
//     one (Sender.Update) and sends it when ETSI EN 302 637-2 §6.1.3 says a CAM is due
//     (CAMGenerator): 100 ms at least since the last CAM and the heading changed by more
//     than 4°, the position by more than 4 m or the speed by more than 0.5 m/s, or 1 s since
//     the last CAM; a dynamics-triggered interval is kept for the next 3 CAMs. The option is a
//     fixed rate (SenderOptions.FixedHz). CAMDynamics is the rule's test alone.
//   - Report sends a DENM (v2x.NewDENM) and returns its action_id; pass it back to update the
//     report (the detection time is kept) or to terminate it. Over MQTT it is published at QoS 1
//     on {root}/inQueue/v2x/denm/{source_uuid}/{zoom-22 quadkey of the event}.
//   - Alerts: over MQTT the client subscribes to
//     {root}/outQueue/v2x/denm/+/{tile digits}/# for its zoom-16 tile (Options.SubscribeZoom)
//     and the 8 around it, from its first SendState on; when a state moves it into another
//     tile, it subscribes to the new tiles before it unsubscribes from the old ones, and
//     SendState returns once the broker has acknowledged both. The edge publishes each hazard,
//     retained, on every tile its relevance area touches, so one version of a hazard arrives
//     several times and again after a re-subscription: the client passes each version once,
//     keyed by action_id and reference_time; a newer version or the first termination passes.
//     Over native QUIC the edge itself chooses the recipients (inside the relevance area and
//     heading towards the hazard) from the states the vehicle sends; the same de-duplication
//     applies. The Alerts channel is bounded (Options.AlertBuffer); when the application falls
//     behind, the oldest alert is dropped and counted (Stats.AlertsDropped), so a slow reader
//     never stalls the connection.
//   - Signed alerts: with Options.AlertKeys (the edge's /api/v1/keys) every alert must carry a
//     signature by one of those keys that verifies — MQTT 5 user properties over the payload,
//     or the native alert frame's fields over the DENM bytes — or it is dropped and counted
//     (Stats.AlertsUnverified); Alert.KeyID names the key.
//   - Reconnection: after a lost connection the client dials again after a random delay in
//     [d/2, d], d doubling from Backoff.Min to Backoff.Max, and restores its subscriptions (MQTT)
//     or its hello (native). Meanwhile SendState fails at once with ErrNotConnected (a fresher
//     state will follow) and Report waits for the connection until its context ends. A refusal
//     that another attempt would meet again (bad credentials, not authorised: see
//     ConnectError.Retryable) ends the client instead, with the *ConnectError as Err.
//   - Shutdown: Close, or the end of the context given to Dial, ends the session, closes
//     Alerts and closes Done once every goroutine has returned; Err then says why.
//
// # Latency
//
// Alert.AlertLatency is michi's alert latency (docs/metrics.md): from the edge accepting the
// event that created or changed the hazard (the DENM's reference_time) to this client reading
// the alert. Alert.Latency is its delivery part, from the edge's send stamp on the alert to
// this client reading it. Over MQTT both come from the edge's timestamps in the DENM
// (millisecond resolution) and include any offset between the two clocks, so they are
// meaningful only with synchronised clocks (NTP, GNSS time) and Latency can even be negative.
// Over native QUIC the edge stamps each alert when it sends it and the client corrects by the
// clock offset it measures against the server's clock (the welcome, then pings), so no clock
// synchronisation is needed. A replayed MQTT alert (Alert.Replayed: a retained hazard
// delivered on subscription) reports the age of the version instead.
//
// # What it does not do
//
//   - MQTT 5 only (paho.golang): a 3.1.1-only broker is not supported. A refused report returns
//     the edge's PUBACK reason code (Stats.Rejected); native QUIC reports errors too.
//   - No persistent MQTT sessions and no offline queue: a state or report made while
//     disconnected is not stored and replayed; active hazards come back as retained messages.
//   - No relevance filtering of its own over MQTT: every hazard published on the vehicle's nine
//     tiles is delivered, whatever the vehicle's heading (native QUIC filters at the edge).
//   - No CPM, no 0-RTT resumption, no connection
//     migration driven by the SDK.
//   - SendState is not paced: it sends when called. A Sender paces it by the ETSI rules of
//     EN 302 637-2 (CAMGenerator: 1 to 10 Hz by heading, position and speed changes) or at a
//     fixed rate (SenderOptions.FixedHz); see above.
//
// # Dependencies
//
// It imports pkg/v2x, pkg/geo, pkg/v2x/native, pkg/quicconn and pkg/tlsclient, paho.golang,
// gorilla/websocket and quic-go; nothing under internal/ (pkg/imports_test.go fails on one), whose
// packages only its tests use.
package client

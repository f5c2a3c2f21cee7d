// Package alertlatency holds michi's one definition of alert latency and of its two parts, in
// the words every place that shows them uses: the edge's Prometheus metric, the hub's API and
// dashboard, michi-sim's report and progress line, and michi-bench. docs/metrics.md explains
// them for operators.
//
//	event accepted at the edge ─────────────────── alert latency ──────────────────▶ alert read by the vehicle
//	event accepted at the edge ── edge hand-off ──▶ alert handed to the transports
//	                        the edge's send stamp ── delivery ──────────────────────▶ alert read by the vehicle
//
// The send stamp is the DENM's envelope timestamp over MQTT, taken when the edge builds the
// message (so delivery holds the MQTT fan-out, which the hand-off holds too), and the native
// protocol's send time, taken when the alert is written to the session's stream.
//
// "Accepted" is when the edge admitted the input that created or changed the hazard: a
// vehicle's or sensor's report, an authority's order from the hub, or, for a hazard a detector
// raised from telemetry, the start of the detection round that raised it. The edge writes that
// instant into the DENM as its reference_time, so a vehicle can measure the whole of it
// (pkg/v2x/client Alert.AlertLatency); the edge itself can only measure the hand-off.
//
// It owns names and sentences only, no code, and imports nothing; tests of the places that
// show a figure compare their text with these constants.
package alertlatency

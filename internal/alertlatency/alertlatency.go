package alertlatency

// Alert latency, end to end: what a vehicle experiences.
const (
	Name       = "alert latency"
	Definition = "from the edge accepting the event (a report's or an authority order's arrival, or the start of the detection round that raised the hazard) to the vehicle reading the alert"
	// JSONField is its field in JSON results (michi-sim's report.json, michi-bench's result).
	JSONField = "alert_latency_ms"
)

// Edge hand-off: the edge's part of alert latency, all that the edge itself can measure.
const (
	HandoffName       = "edge hand-off"
	HandoffDefinition = "the edge's part of alert latency: from the edge accepting the event to the alert handed to the transports (queued for every native QUIC session and MQTT connection it goes to)"
	// HandoffMetric is the edge's Prometheus histogram of it.
	HandoffMetric = "michi_edge_alert_handoff_seconds"
	// HandoffP50Field and HandoffP99Field are the percentiles of one health interval in the
	// hub's API (JSON and CSV).
	HandoffP50Field = "alert_handoff_p50_ms"
	HandoffP99Field = "alert_handoff_p99_ms"
)

// Delivery: the rest of alert latency, measured by the vehicle.
const (
	DeliveryName       = "delivery"
	DeliveryDefinition = "the part of alert latency from the edge's send stamp on the alert (MQTT: when the edge built the message, before its fan-out; native QUIC: when it wrote the alert to the session's stream) to the vehicle reading it"
	DeliveryJSONField  = "delivery_ms"
)

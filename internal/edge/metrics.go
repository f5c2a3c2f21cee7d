package edge

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/michi-v2x/michi/internal/alertlatency"
	"github.com/michi-v2x/michi/internal/broker"
	"github.com/michi-v2x/michi/internal/uplink"
)

// metrics are the edge's Prometheus collectors, on a registry of the node's own (never the global
// one, so several nodes can run in one process).
type metrics struct {
	reg        *prometheus.Registry
	ingested   *prometheus.CounterVec
	ingestedBy map[string]prometheus.Counter // per message type, resolved once: ingest is the hot path
	rejected   *prometheus.CounterVec
	hazardEvts *prometheus.CounterVec
	published  prometheus.Counter
	latency    prometheus.Histogram
	clients    prometheus.Gauge
	dropped    prometheus.Counter
	alertsOut  prometheus.Counter // hazard copies handed to MQTT connections by the fan-out
	direct     prometheus.Counter // publishes the broker's lanes took past mochi's read path
	evicted    prometheus.Counter
	refused    *prometheus.CounterVec // connections whose credentials matched none, by transport
	detectDur  prometheus.Histogram

	limited        *prometheus.CounterVec // refusals at a limit (limits.go), by limit
	retainStripped prometheus.Counter     // client publishes whose RETAIN flag the edge cleared

	uplinkRecords *prometheus.CounterVec // records appended to the uplink queue, by kind
	uplinkLost    *prometheus.CounterVec // records that never reached the queue, by kind and reason
}

func newMetrics(n *Node) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "michi_edge_ingested_total", Help: "Messages accepted from clients, by message type.",
		}, []string{"type"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "michi_edge_rejected_total", Help: "Messages rejected at ingest, by message type and reason.",
		}, []string{"type", "reason"}),
		hazardEvts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "michi_edge_hazard_events_total", Help: "Hazard lifecycle events, by kind.",
		}, []string{"kind"}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_edge_denm_published_total", Help: "DENM publishes into outQueue tiles.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    alertlatency.HandoffMetric,
			Help:    "Edge hand-off, " + alertlatency.HandoffDefinition + "; alert latency runs on to the vehicle reading it (docs/metrics.md).",
			Buckets: prometheus.ExponentialBuckets(20e-6, 2, 16),
		}),
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "michi_edge_mqtt_clients", Help: "Connected MQTT clients.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_edge_mqtt_dropped_total", Help: "Deliveries dropped because a client's queue was full.",
		}),
		alertsOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_edge_mqtt_alert_copies_total", Help: "Hazard copies the fan-out handed to MQTT connections (one per matching subscription).",
		}),
		direct: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_edge_mqtt_direct_publishes_total", Help: "QoS 0 publishes into inQueue ingested straight from the connection, past the broker's read path.",
		}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_edge_mqtt_evicted_total", Help: "Clients disconnected for falling behind.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "michi_edge_auth_refused_total", Help: "Connections refused because their source and token matched no credential, by transport (mqtt, native).",
		}, []string{"transport"}),
		detectDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "michi_edge_detect_round_seconds", Help: "Duration of one detection round over the LDM.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14),
		}),
	}
	m.limited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "michi_edge_limit_refused_total",
		Help: "Refusals at a limit, by limit: clients (max_clients), sessions (max_sessions of a credential), subscriptions (max_subscriptions), origin (ws_origins); publishes beyond publish_rate are in michi_edge_rejected_total{reason=\"rate_limited\"}.",
	}, []string{"limit"})
	m.retainStripped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "michi_edge_mqtt_retain_stripped_total", Help: "Client publishes with the RETAIN flag, taken as live messages: clients never leave retained state on the edge.",
	})
	m.uplinkRecords = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "michi_edge_uplink_records_total", Help: "Records appended to the uplink queue for the hub, by kind (hazard, traffic, health).",
	}, []string{"kind"})
	m.uplinkLost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "michi_edge_uplink_lost_total",
		Help: "Records for the hub that never reached the uplink queue, by kind and reason (backlog: the in-memory backlog was full or closing; queue_full: the queue refused it; queue_failed: the queue stopped after a failed fsync; error: a disk error).",
	}, []string{"kind", "reason"})
	if n.up != nil {
		m.registerUplink(n.up)
	}
	m.ingestedBy = map[string]prometheus.Counter{}
	for _, typ := range []string{"cam", "denm", "cpm"} {
		m.ingestedBy[typ] = m.ingested.WithLabelValues(typ)
	}
	reg.MustRegister(m.ingested, m.rejected, m.hazardEvts, m.published, m.latency, m.clients,
		m.dropped, m.alertsOut, m.direct, m.evicted, m.refused, m.detectDur, m.limited, m.retainStripped,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_mqtt_retained", Help: "Retained messages the broker holds (the edge's own hazards only).",
		}, func() float64 {
			if n.mqtt == nil {
				return 0
			}
			return float64(n.mqtt.Retained())
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_mqtt_sessions", Help: "MQTT sessions the broker holds: connected, and disconnected ones kept for a reconnect (at most limits.session_expiry).",
		}, func() float64 {
			if n.mqtt == nil {
				return 0
			}
			return float64(n.mqtt.Sessions())
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_stations_held", Help: "Station ids a live connection of a credential speaks for (stations.go).",
		}, func() float64 { return float64(n.stations.holders()) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_ldm_vehicles", Help: "Self-reporting vehicles in the LDM.",
		}, func() float64 { return float64(n.ldm.Stats().Vehicles) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_ldm_objects", Help: "Tracked objects in the LDM (vehicles and perceived objects, fused).",
		}, func() float64 { return float64(n.ldm.Stats().Objects) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_hazards_active", Help: "Active hazards the edge originates.",
		}, func() float64 { return float64(len(n.hazards.Active())) }),
	)
	return m
}

// broker is what the MQTT broker counts into.
func (m *metrics) broker() broker.Metrics {
	return broker.Metrics{Clients: m.clients, Dropped: m.dropped, Evicted: m.evicted, AlertsOut: m.alertsOut,
		Direct: m.direct, RetainStripped: m.retainStripped, Published: m.published, Limited: m.limited}
}

// registerUplink adds the uplink's metrics; the queue and the client exist once Run opened them.
func (m *metrics) registerUplink(l *hubLink) {
	queue := func(f func(q *uplink.Queue) float64) func() float64 {
		return func() float64 {
			if q := l.queue.Load(); q != nil {
				return f(q)
			}
			return 0
		}
	}
	client := func(f func(st uplink.ClientStats) float64) func() float64 {
		return func() float64 {
			if c := l.client.Load(); c != nil {
				return f(c.Stats())
			}
			return 0
		}
	}
	m.reg.MustRegister(m.uplinkRecords, m.uplinkLost,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_uplink_connected", Help: "1 while the uplink to the hub is established (Welcome received), else 0.",
		}, client(func(st uplink.ClientStats) float64 {
			if st.Connected {
				return 1
			}
			return 0
		})),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "michi_edge_uplink_connects_total", Help: "Uplink sessions established with the hub.",
		}, client(func(st uplink.ClientStats) float64 { return float64(st.Connects) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_uplink_acked_seq", Help: "The hub holds every record of this edge up to this seq.",
		}, client(func(st uplink.ClientStats) float64 { return float64(st.AckedSeq) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_uplink_queue_depth", Help: "Records in the uplink queue not yet acknowledged by the hub.",
		}, queue(func(q *uplink.Queue) float64 { return float64(q.Depth()) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_uplink_queue_bytes", Help: "On-disk size of the records the uplink queue holds.",
		}, queue(func(q *uplink.Queue) float64 { return float64(q.Stats().Bytes) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "michi_edge_uplink_queue_dropped_total", Help: "Traffic and health records the uplink queue dropped under pressure (oldest first; hazards are never dropped).",
		}, queue(func(q *uplink.Queue) float64 { return float64(q.Dropped()) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "michi_edge_uplink_queue_rejected_total", Help: "Hazard records the uplink queue refused at its hard limit.",
		}, queue(func(q *uplink.Queue) float64 { return float64(q.Rejected()) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "michi_edge_uplink_queue_failed", Help: "1 once the uplink queue stopped after an fsync it could not make good (restart on a sound disk), else 0.",
		}, queue(func(q *uplink.Queue) float64 {
			if q.Stats().Failed {
				return 1
			}
			return 0
		})),
	)
}

package edge

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
	evicted    prometheus.Counter
	detectDur  prometheus.Histogram
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
			Name:    "michi_edge_report_to_publish_seconds",
			Help:    "Time from receiving the message (or starting the detection round) that changed a hazard to publishing it.",
			Buckets: prometheus.ExponentialBuckets(20e-6, 2, 16),
		}),
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "michi_edge_mqtt_clients", Help: "Connected MQTT clients.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_edge_mqtt_dropped_total", Help: "Deliveries dropped because a client's queue was full.",
		}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_edge_mqtt_evicted_total", Help: "Clients disconnected for falling behind.",
		}),
		detectDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "michi_edge_detect_round_seconds", Help: "Duration of one detection round over the LDM.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14),
		}),
	}
	m.ingestedBy = map[string]prometheus.Counter{}
	for _, typ := range []string{"cam", "denm", "cpm"} {
		m.ingestedBy[typ] = m.ingested.WithLabelValues(typ)
	}
	reg.MustRegister(m.ingested, m.rejected, m.hazardEvts, m.published, m.latency, m.clients,
		m.dropped, m.evicted, m.detectDur,
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

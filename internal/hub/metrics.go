package hub

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/michi-v2x/michi/internal/hub/downlink"
	"github.com/michi-v2x/michi/internal/uplink"
)

type metrics struct {
	stored     *prometheus.CounterVec
	duplicates prometheus.Counter
	invalid    prometheus.Counter
	errors     prometheus.Counter
	batch      prometheus.Histogram
	acks       prometheus.Counter
}

func newMetrics(reg *prometheus.Registry, srv *uplink.Server, dl *downlink.Dispatcher) (*metrics, error) {
	m := &metrics{
		stored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "michi_hub_records_stored_total", Help: "Uplink records stored, by kind (each exactly once).",
		}, []string{"kind"}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_hub_records_duplicate_total", Help: "Uplink records received again (at or below the edge's high-water mark) and skipped.",
		}),
		invalid: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_hub_records_invalid_total", Help: "Uplink records that could not be stored (bad values) and were skipped.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_hub_store_errors_total", Help: "Batches the database failed to store (the edge resends them).",
		}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "michi_hub_store_batch_seconds", Help: "Time to store one uplink batch in one transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		acks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_hub_authority_acks_total", Help: "Authority hazards acknowledged by edges.",
		}),
	}
	cf := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	cs := []prometheus.Collector{m.stored, m.duplicates, m.invalid, m.errors, m.batch, m.acks,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "michi_hub_edges_connected", Help: "Edges connected to this hub now."},
			func() float64 { return float64(len(srv.Connected())) }),
		cf("michi_hub_uplink_connections_total", "Edge sessions that completed Hello.", func() float64 { return float64(srv.Stats().Connections) }),
		cf("michi_hub_uplink_refused_total", "Edge connections refused (identity, timeout, malformed).", func() float64 { return float64(srv.Stats().Refused) }),
		cf("michi_hub_uplink_batches_total", "Uplink batches stored.", func() float64 { return float64(srv.Stats().Batches) }),
		cf("michi_hub_uplink_protocol_errors_total", "Edge sessions ended by a protocol violation.", func() float64 { return float64(srv.Stats().ProtocolErrors) }),
		cf("michi_hub_downlink_sent_total", "Authority hazards and terminations handed to edges.", func() float64 { return float64(dl.Stats().Sent) }),
		cf("michi_hub_downlink_send_failed_total", "Downlink sends not accepted (edge gone, outbox full).", func() float64 { return float64(dl.Stats().SendFailed) }),
		cf("michi_hub_relayed_total", "Edge hazards relayed to a neighbouring edge.", func() float64 { return float64(dl.Stats().Relayed) }),
		prometheus.NewGoCollector(),
		prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, k := range []uplink.Kind{uplink.KindHazard, uplink.KindTraffic, uplink.KindHealth} {
		m.stored.WithLabelValues(k.String())
	}
	return m, nil
}

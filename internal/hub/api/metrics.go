package api

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	streamRefused prometheus.Counter
}

func newMetrics(reg *prometheus.Registry, b *Broker) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "michi_hub_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "michi_hub_http_request_duration_seconds", Help: "HTTP request latency by route pattern (the stream excluded).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"route"}),
		streamRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "michi_hub_stream_refused_total", Help: "Stream requests refused (503) because max_streams subscribers were served.",
		}),
	}
	streamEvents := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "michi_hub_stream_events_total", Help: "Events published to the live stream, by type.",
	}, []string{"type"})
	streamDrops := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "michi_hub_stream_dropped_subscribers_total", Help: "Stream subscribers dropped because they read too slowly.",
	})
	subs := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "michi_hub_stream_subscribers", Help: "Live stream subscribers now.",
	}, func() float64 { return float64(b.Subscribers()) })
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.streamRefused, streamEvents, streamDrops, subs} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, t := range EventTypes {
		streamEvents.WithLabelValues(t)
	}
	b.OnPublish = func(typ string) { streamEvents.WithLabelValues(typ).Inc() }
	b.OnDrop = streamDrops.Inc
	return m, nil
}

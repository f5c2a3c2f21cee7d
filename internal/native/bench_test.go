package native

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// BenchmarkAlertFanout: one new hazard version delivered to N vehicle sessions over loopback
// QUIC per iteration, until every vehicle has it. Reported: the latency from Deliver to the
// vehicle having read the alert (e2e-p50/p99) and the one a vehicle measures itself, from the
// server writing the alert (wire-p50/p99), in µs.
func BenchmarkAlertFanout(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			srv := startServer(b, Options{QueueLen: 1024}, nil)
			conns := make([]*native.Conn, n)
			for i := range conns {
				conns[i] = dial(b, srv, uint32(10_000+i), native.Dialer{AlertBuffer: 1024})
			}
			e2e := make([]time.Duration, 0, b.N*n)
			wire := make([]time.Duration, 0, b.N*n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				a := native.NewAlert(hazard(uint16(i), t0.Add(time.Duration(i)*time.Millisecond)))
				start := time.Now()
				for j := range conns {
					if !srv.Deliver(uint32(10_000+j), a) {
						b.Fatal("Deliver refused")
					}
				}
				for _, c := range conns {
					got := <-c.Alerts()
					e2e = append(e2e, got.ReceivedAt.Sub(start))
					wire = append(wire, got.Latency())
				}
			}
			b.StopTimer()
			reportPercentiles(b, "e2e", e2e)
			reportPercentiles(b, "wire", wire)
		})
	}
}

func reportPercentiles(b *testing.B, name string, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) }
	b.ReportMetric(at(0.50), name+"-p50-µs")
	b.ReportMetric(at(0.99), name+"-p99-µs")
}

// BenchmarkDeliverKnownVersion: the edge offers the active hazards to a vehicle on each of its
// CAMs; all but the first offer of a version are deduplicated. This is that hot path.
func BenchmarkDeliverKnownVersion(b *testing.B) {
	srv := startServer(b, Options{}, nil)
	c := dial(b, srv, 1001, native.Dialer{})
	a := native.NewAlert(hazard(1, t0))
	srv.Deliver(1001, a)
	<-c.Alerts()
	b.ReportAllocs()
	for b.Loop() {
		srv.Deliver(1001, a)
	}
}

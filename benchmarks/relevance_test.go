package benchmarks

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
)

// BenchmarkRelevanceQuery100k measures the relevance query for one hazard among 100k tracked
// objects (DESIGN target ≤ 10 µs per hazard): self-reporting vehicles inside a 500 m circle and
// heading towards the event, over a 20 km × 20 km area, as the native-QUIC geocast uses it.
func BenchmarkRelevanceQuery100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := ldm.New(ldm.Options{VehicleTTL: time.Hour})
	at := time.Now()
	for i := range 100_000 {
		p := geo.Destination(geo.Destination(origin, 90, rng.Float64()*20_000), 0, rng.Float64()*20_000)
		m.UpdateVehicle(ldm.VehicleState{StationID: uint32(i + 1), StationType: 5, Pos: p, SpeedMPS: 20,
			HeadingDeg: rng.Float64() * 360, HeadingOK: true, At: at})
	}
	hazards := make([]geo.Point, 1024)
	for i := range hazards {
		hazards[i] = geo.Destination(geo.Destination(origin, 90, 1000+rng.Float64()*18_000), 0, 1000+rng.Float64()*18_000)
	}
	var found int
	lat := make([]time.Duration, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		h := hazards[i%len(hazards)]
		start := time.Now()
		m.Relevant(h, 500, 90, true, func(*ldm.Object) bool { found++; return true })
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(start))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
	b.ReportMetric(float64(found)/float64(b.N), "recipients/query")
}

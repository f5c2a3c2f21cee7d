package sim

import (
	"testing"
	"time"
)

// BenchmarkMotion10k steps 10,000 vehicles (a 50 km highway, 3 lanes each way, plus a 10×10
// grid) and reports how many times faster than real time the motion model runs. The target
// (DESIGN.md) is ≥ 10×.
func BenchmarkMotion10k(b *testing.B) {
	cfg := Config{Origin: lyon, Seed: 1, Roads: []RoadSpec{
		{Highway: &HighwaySpec{LengthM: 50000, Lanes: 3}},
		{Grid: &GridSpec{Cols: 10, Rows: 10, BlockM: 200, Center: XY(0, 5000)}},
	}, Traffic: Traffic{Vehicles: 10000}}
	e, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		e.Step()
	}
	wall := time.Since(start)
	b.ReportMetric(float64(b.N)*e.Config().Step.Seconds()/wall.Seconds(), "x_realtime")
	b.ReportMetric(float64(wall.Nanoseconds())/float64(b.N)/10000, "ns/vehicle-step")
}

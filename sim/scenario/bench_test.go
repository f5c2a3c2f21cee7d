package scenario

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// BenchmarkEndToEnd1000 runs ../scenarios/scale-1000.yaml: 1,000 connected vehicles, each a real
// MQTT client of an in-process edge node, at 5 CAM/s, in real time (60 s; MICHI_SIM_SCALE_DURATION
// shortens or lengthens it). Run it alone, once:
//
//	go test -run '^$' -bench EndToEnd1000 -benchtime 1x ./sim/scenario/
//
// It reports the delivery ratio, alert latency percentiles, the time the stepping loop fell
// behind the wall clock, the CAM rate achieved, and the CPU (cores) and peak memory of the
// whole process (edge, clients and simulation together). Results: sim/BENCH.md.
func BenchmarkEndToEnd1000(b *testing.B) {
	s, err := Load("../scenarios/scale-1000.yaml")
	if err != nil {
		b.Fatal(err)
	}
	d := s.Duration
	if v := os.Getenv("MICHI_SIM_SCALE_DURATION"); v != "" {
		if d, err = time.ParseDuration(v); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		var before, after syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
		start := time.Now()
		rep, err := s.Run(context.Background(), RunOptions{Duration: d})
		if err != nil {
			b.Fatal(err)
		}
		wall := time.Since(start)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		cpu := time.Duration(after.Utime.Nano()-before.Utime.Nano()) + time.Duration(after.Stime.Nano()-before.Stime.Nano())
		o := rep.Overall
		b.ReportMetric(float64(rep.Connected), "connected")
		b.ReportMetric(float64(rep.Traffic.CAMs)/rep.DurationS, "CAM/s")
		b.ReportMetric(o.DeliveryRatio, "delivery_ratio")
		b.ReportMetric(float64(o.FalseDeliveries), "false")
		b.ReportMetric(o.AlertLatencyMS.P50, "p50_ms")
		b.ReportMetric(o.AlertLatencyMS.P99, "p99_ms")
		b.ReportMetric(rep.MaxStepLagMS, "max_step_lag_ms")
		b.ReportMetric(float64(rep.LateSteps), "late_steps")
		b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cpu_cores")
		b.ReportMetric(float64(after.Maxrss)/1024, "maxrss_MiB")
	}
}

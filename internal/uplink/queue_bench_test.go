package uplink

import (
	"context"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/testutil"
)

// BenchmarkQueueAppend measures Queue.Append with the default fsync policy (a background fsync
// every 50 ms or 256 records), acknowledging every 4096 records as a connected hub would, so
// the queue stays small and segments are deleted along the way.
func BenchmarkQueueAppend(b *testing.B) {
	for _, bc := range []struct {
		name string
		rec  Record
	}{
		{"traffic", trafficRecord(7)},
		{"hazard", hazardRecord(7)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q, err := OpenQueue(b.TempDir(), QueueOptions{Log: discard})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			b.ReportAllocs()
			start := time.Now()
			var seq uint64
			for i := 0; b.Loop(); i++ {
				if seq, err = q.Append(bc.rec); err != nil {
					b.Fatal(err)
				}
				if i%4096 == 4095 {
					if err := q.Ack(seq); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(seq)/time.Since(start).Seconds(), "records/s")
			st := q.Stats()
			b.ReportMetric(float64(st.Bytes)/float64(max(st.Records, 1)), "bytes/record")
		})
	}
}

// BenchmarkQueuePending measures reading a batch of 256 records for sending (pendingRaw, no
// decoding), as the Client does.
func BenchmarkQueuePending(b *testing.B) {
	q, err := OpenQueue(b.TempDir(), QueueOptions{Log: discard})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	for i := range 10000 {
		if _, err := q.Append(trafficRecord(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := q.Sync(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var after uint64
	for b.Loop() {
		raws, last, err := q.pendingRaw(after, 256, DefaultBatchBytes)
		if err != nil || len(raws) != 256 {
			b.Fatal(err, len(raws))
		}
		after = last
		if after >= 9000 {
			after = 0
		}
	}
	b.ReportMetric(float64(b.N*256)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkUplinkThroughput measures records from Queue.Append to a MemorySink at the hub,
// through a Client and a Server over QUIC on loopback.
func BenchmarkUplinkThroughput(b *testing.B) {
	sink := &MemorySink{}
	s := startServer(b, Options{Sink: sink})
	q := openQueue(b, b.TempDir(), QueueOptions{})
	c, err := NewClient(ClientOptions{HubAddr: s.Addr().String(), TLS: sharedPKI(b).edgeTLS(b, "edge-b"), Queue: q, Log: discard})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	testutil.CheckFor(b, 10*time.Second, func() error {
		if !c.Stats().Connected {
			return errorf("not connected")
		}
		return nil
	})
	rec := trafficRecord(3)
	b.ReportAllocs()
	start := time.Now()
	var seq uint64
	for b.Loop() {
		if seq, err = q.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
	// Until the hub has acknowledged the last one: the rate end to end, not of Append alone.
	for c.Stats().AckedSeq < seq {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(seq)/time.Since(start).Seconds(), "records/s")
}

package benchmarks

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/hub/storetest"
	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// BenchmarkHubIngestSQLite measures hub ingest into SQLite (WAL, synchronous=FULL: one fsync
// per batch) through store.StoreBatch, the call behind every uplink Batch, with the seq
// high-water mark in the same transaction. Batches of 64, of 256 (the edge's default) and of
// 1024 records, a realistic mix: 60 % traffic aggregates over 50 tiles, 30 % health, 10 %
// hazard events. DESIGN target: ≥ 50k records/s, batched.
func BenchmarkHubIngestSQLite(b *testing.B) {
	for _, batch := range []int{64, 256, 1024} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			benchHubIngest(b, openHubStore(b, filepath.Join(b.TempDir(), "bench.db")), batch)
		})
	}
}

// BenchmarkHubIngestPostgres is the same against MICHI_TEST_POSTGRES (skipped without it).
func BenchmarkHubIngestPostgres(b *testing.B) {
	pg, ok := storetest.Postgres(b)
	if !ok {
		b.Skip("PostgreSQL not configured (MICHI_TEST_POSTGRES)")
	}
	benchHubIngest(b, openHubStore(b, pg.DSN), 256)
}

func openHubStore(b *testing.B, dsn string) *store.Store {
	s, err := store.Open(b.Context(), store.Options{DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// hubRecord is record seq of a steady edge: hazard events, health, traffic.
func hubRecord(seq uint64, tiles []string, cov geo.Box, t0 time.Time) uplink.Record {
	at := t0.Add(time.Duration(seq) * 100 * time.Millisecond)
	switch seq % 10 {
	case 0:
		return uplink.Record{Seq: seq, Kind: uplink.KindHazard, At: at, Hazard: &uplink.HazardEvent{
			ActionID: v2x.ActionID{OriginatingStationID: 77, SequenceNumber: uint16(seq / 10 % 500)},
			Event:    uplink.EventUpdated, Cause: 94, SubCause: 2, Lat: 48.2, Lon: 11.6, RadiusM: 300, Quality: 3,
			Sources: []string{"station:7", "sensor:9"}, Detection: at, Reference: at, Expiry: at.Add(10 * time.Minute)}}
	case 1, 2, 3:
		return uplink.Record{Seq: seq, Kind: uplink.KindHealth, At: at, Health: &uplink.Health{
			Clients: 12, Vehicles: 10, Objects: 14, ActiveHazards: 1, IngestPerS: 120.5,
			AlertP50Ms: 0.4, AlertP99Ms: 1.7, QueueDepth: 3, Coverage: cov}}
	default:
		minute := at.Truncate(time.Minute)
		return uplink.Record{Seq: seq, Kind: uplink.KindTraffic, At: minute.Add(time.Minute), Traffic: &uplink.TrafficAggregate{
			Quadkey: tiles[seq%uint64(len(tiles))], Minute: minute, Count: 3, MeanSpeedMPS: 12.5}}
	}
}

func benchHubIngest(b *testing.B, s *store.Store, batch int) {
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	tiles := make([]string, 50)
	for i := range tiles {
		tiles[i] = geo.Quadkey(geo.Point{Lat: 48.1 + float64(i)*0.01, Lon: 11.5}, 16)
	}
	cov := geo.Box{Min: geo.Point{Lat: 48, Lon: 11}, Max: geo.Point{Lat: 48.6, Lon: 12}}
	// Pre-built batches, so the benchmark measures the store, not the generator; later rounds
	// reuse their contents with new seqs.
	const pool = 64
	batches := make([][]uplink.Record, pool)
	seq := uint64(0)
	for i := range batches {
		for range batch {
			seq++
			batches[i] = append(batches[i], hubRecord(seq, tiles, cov, t0))
		}
	}
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		recs := batches[i%pool]
		if i >= pool {
			for j := range recs {
				recs[j].Seq = uint64(i*batch + j + 1)
			}
		}
		res, err := s.StoreBatch(ctx, "edge-bench", recs)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Stored) != batch || res.HighWater != recs[batch-1].Seq {
			b.Fatalf("stored %d of %d records, high water %d", len(res.Stored), batch, res.HighWater)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
}

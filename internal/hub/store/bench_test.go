package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/hub/storetest"
	"github.com/michi-v2x/michi/pkg/geo"
)

// BenchmarkIngestSQLite measures hub ingest into SQLite (WAL, synchronous=FULL) in batches of
// the uplink's default size, with a realistic mix: 60 % traffic aggregates over 50 tiles,
// 30 % health, 10 % hazard events. DESIGN target: ≥ 50k records/s, batched.
func BenchmarkIngestSQLite(b *testing.B) {
	for _, batch := range []int{64, 256, 1024} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := storetest.Backend{Name: "sqlite", DSN: filepath.Join(b.TempDir(), "bench.db")}
			benchIngest(b, openBench(b, s.DSN), batch)
		})
	}
}

// BenchmarkIngestPostgres is the same against MICHI_TEST_POSTGRES (skipped without it).
func BenchmarkIngestPostgres(b *testing.B) {
	pg, ok := storetest.Postgres(b)
	if !ok {
		b.Skip("PostgreSQL not configured")
	}
	benchIngest(b, openBench(b, pg.DSN), 256)
}

func openBench(b *testing.B, dsn string) *store.Store {
	s, err := store.Open(b.Context(), store.Options{DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func benchIngest(b *testing.B, s *store.Store, batch int) {
	tiles := make([]string, 50)
	for i := range tiles {
		tiles[i] = geo.Quadkey(geo.Point{Lat: 48.1 + float64(i)*0.01, Lon: 11.5}, 16)
	}
	cov := geo.Box{Min: geo.Point{Lat: 48, Lon: 11}, Max: geo.Point{Lat: 48.6, Lon: 12}}
	mk := func(seq uint64) store.Record {
		at := t0.Add(time.Duration(seq) * 100 * time.Millisecond)
		switch seq % 10 {
		case 0:
			return hazardRec(seq, 77, uint16(seq/10%500), "updated", 48.2, 11.6, at)
		case 1, 2, 3:
			return healthRec(seq, at, cov)
		default:
			return trafficRec(seq, tiles[seq%50], at.Truncate(time.Minute), 3, 12.5)
		}
	}
	// Pre-build the batches so the benchmark measures the store, not the generator.
	const pool = 64
	batches := make([][]store.Record, pool)
	seq := uint64(0)
	for i := range batches {
		for range batch {
			seq++
			batches[i] = append(batches[i], mk(seq))
		}
	}
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		recs := batches[i%pool]
		if i >= pool { // later rounds: new seqs, same contents
			off := uint64(i/pool) * seq
			for j := range recs {
				recs[j].Seq = uint64(j) + 1 + uint64(i%pool)*uint64(batch) + off
			}
		}
		if _, err := s.StoreBatch(ctx, "edge-bench", recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
}

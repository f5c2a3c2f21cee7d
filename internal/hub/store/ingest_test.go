package store_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/hub/storetest"
	"github.com/michi-v2x/michi/pkg/geo"
)

func TestStoreExactlyOnceUnderReplays(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := ctxT(t)

		r := store1(t, s, "edge-a", mixed(1, 30))
		require.Equal(t, uint64(30), r.HighWater)
		require.Len(t, r.Stored, 30)
		require.Zero(t, r.Duplicates)

		// The same batch again (the ack was lost): nothing stored, same mark.
		r = store1(t, s, "edge-a", mixed(1, 30))
		require.Equal(t, uint64(30), r.HighWater)
		require.Empty(t, r.Stored)
		require.Equal(t, 30, r.Duplicates)

		// Overlapping, out of order, with a repeat inside the batch and a gap (36..39 dropped).
		batch := append(mixed(40, 45), mixed(25, 35)...)
		batch = append(batch, mixed(31, 31)...)
		r = store1(t, s, "edge-a", batch)
		require.Equal(t, uint64(45), r.HighWater)
		require.Len(t, r.Stored, 11) // 31..35, 40..45
		for i := 1; i < len(r.Stored); i++ {
			require.Less(t, r.Stored[i-1].Seq, r.Stored[i].Seq, "stored in seq order")
		}
		require.Equal(t, 7, r.Duplicates) // 25..30 and the repeated 31

		hw, err := s.HighWater(ctx, "edge-a")
		require.NoError(t, err)
		require.Equal(t, uint64(45), hw)
		hw, err = s.HighWater(ctx, "edge-b")
		require.NoError(t, err)
		require.Zero(t, hw)

		// Hazard events: seq%3 == 0 in 1..35 and 40..45.
		evs, err := s.HazardEvents(ctx, store.EventQuery{EdgeID: "edge-a"})
		require.NoError(t, err)
		var seqs []uint64
		for _, e := range evs {
			seqs = append(seqs, e.Seq)
		}
		require.Equal(t, []uint64{3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 42, 45}, seqs)
		require.Equal(t, []string{"station:7", "sensor:9"}, evs[0].Sources)

		// Traffic counts would double on a second store of the same record.
		cells, err := s.Traffic(ctx, store.TrafficQuery{})
		require.NoError(t, err)
		var total int64
		for _, c := range cells {
			total += c.Count
		}
		require.Equal(t, int64(2*len(seqsWhere(1, 45, 1, 36, 39))), total)
	})
}

// seqsWhere lists seqs in lo..hi with seq%3 == mod, leaving out gapLo..gapHi.
func seqsWhere(lo, hi, mod, gapLo, gapHi uint64) []uint64 {
	var out []uint64
	for s := lo; s <= hi; s++ {
		if s%3 == mod && (s < gapLo || s > gapHi) {
			out = append(out, s)
		}
	}
	return out
}

func TestStoreSkipsInvalidRecordsButAdvances(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		nan := hazardRec(2, 1, 1, "created", math.NaN(), 11, t0)
		foreign := hazardRec(3, 1, 2, "created", 48, 11, t0)
		foreign.EdgeID = "edge-other"
		badEvent := hazardRec(4, 1, 3, "exploded", 48, 11, t0)
		badTile := trafficRec(5, "0123x", t0, 1, 1)
		noPayload := store.Record{Seq: 6, Kind: store.KindHealth, At: t0}
		ok := hazardRec(1, 1, 4, "created", 48, 11, t0)
		r := store1(t, s, "edge-a", []store.Record{ok, nan, foreign, badEvent, badTile, noPayload})
		require.Equal(t, uint64(6), r.HighWater, "invalid seqs count, or the edge would resend them forever")
		require.Len(t, r.Stored, 1)
		require.Len(t, r.Invalid, 5)
		for _, inv := range r.Invalid {
			require.ErrorIs(t, inv.Err, store.ErrBadRecord, "seq %d", inv.Seq)
		}
		_, err := s.StoreBatch(ctxT(t), "", mixed(1, 1))
		require.ErrorIs(t, err, store.ErrBadRecord)
	})
}

// TestConcurrentReplicasStoreEachRecordOnce runs two Stores on one database — two hub replicas
// — storing overlapping batches of the same edges concurrently, as when an edge reconnects to
// another replica while its old connection still drains.
func TestConcurrentReplicasStoreEachRecordOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		replicas := []*store.Store{b.Open(t), b.Open(t)}
		const edges, maxSeq, workers = 3, 300, 6
		ctx := ctxT(t)
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				s := replicas[w%2]
				// Each worker replays an edge's queue in order, with random batch sizes and
				// random overlaps with what it sent before (lost acks): like the edge, it
				// never skips ahead of what it has sent, so the stored mark never jumps a gap.
				pos := [edges]uint64{1, 1, 1}
				for i := 0; i < 60; i++ {
					e := rng.IntN(edges)
					if pos[e] > maxSeq {
						continue
					}
					lo := uint64(max(1, int(pos[e])-rng.IntN(20)))
					hi := min(lo+uint64(rng.IntN(40)), maxSeq)
					if _, err := s.StoreBatch(ctx, fmt.Sprintf("edge-%d", e), mixed(lo, hi)); err != nil {
						errs <- err
						return
					}
					pos[e] = max(pos[e], hi+1)
				}
				for e := range edges { // finally every worker sends everything once more
					if _, err := s.StoreBatch(ctx, fmt.Sprintf("edge-%d", e), mixed(1, maxSeq)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}

		s := replicas[0]
		evs, err := s.HazardEvents(ctx, store.EventQuery{Limit: store.MaxLimit})
		require.NoError(t, err)
		seen := map[string]int{}
		for _, e := range evs {
			seen[fmt.Sprintf("%s/%d", e.EdgeID, e.Seq)]++
		}
		for k, n := range seen {
			require.Equal(t, 1, n, "hazard event %s", k)
		}
		require.Equal(t, edges*maxSeq/3, len(seen), "hazard events stored")

		cells, err := s.Traffic(ctx, store.TrafficQuery{})
		require.NoError(t, err)
		var total int64
		for _, c := range cells {
			total += c.Count
		}
		require.Equal(t, int64(edges*2*(maxSeq/3)), total, "each traffic record merged exactly once")

		all, err := s.Edges(ctx)
		require.NoError(t, err)
		require.Len(t, all, edges)
		for _, e := range all {
			require.Equal(t, uint64(maxSeq), e.HighWater)
			require.NotNil(t, e.Health)
			require.Equal(t, uint64(maxSeq-1), e.Health.Seq, "latest health (seq%%3 == 2)")
		}
	})
}

func TestTrafficMergeAndBuckets(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := ctxT(t)
		munich := geo.Point{Lat: 48.137, Lon: 11.575}
		paris := geo.Point{Lat: 48.857, Lon: 2.352}
		qm, qp := geo.Quadkey(munich, 16), geo.Quadkey(paris, 16)
		m0 := t0 // 08:00
		store1(t, s, "edge-a", []store.Record{
			trafficRec(1, qm, m0, 10, 20),
			trafficRec(2, qm, m0, 30, 10),                // same minute in the batch: merged
			trafficRec(3, qm, m0.Add(time.Minute), 5, 8), // next minute
			trafficRec(4, qp, m0, 4, 3),
			trafficRec(5, qm, m0.Add(15*time.Minute), 1, 1),
		})
		store1(t, s, "edge-a", []store.Record{trafficRec(6, qm, m0, 40, 15)}) // merged with the stored row
		store1(t, s, "edge-b", []store.Record{trafficRec(1, qm, m0, 20, 30)}) // another edge, same tile

		cells, err := s.Traffic(ctx, store.TrafficQuery{})
		require.NoError(t, err)
		require.Len(t, cells, 4)
		first := cells[0]
		if first.Quadkey != qm {
			first = cells[1]
		}
		require.Equal(t, qm, first.Quadkey)
		require.True(t, first.Bucket.Equal(m0), "bucket %v", first.Bucket)
		require.Equal(t, int64(100), first.Count)
		require.InDelta(t, (10*20+30*10+40*15+20*30)/100.0, first.MeanSpeedMPS, 1e-9)
		require.InDelta(t, munich.Lat, first.Lat, 0.01)

		// 15-minute buckets: 08:00 holds minutes 0 and 1; 08:15 the last.
		cells, err = s.Traffic(ctx, store.TrafficQuery{Bucket: 15 * time.Minute, Box: &geo.Box{
			Min: geo.Point{Lat: 48, Lon: 11}, Max: geo.Point{Lat: 48.5, Lon: 12}}})
		require.NoError(t, err)
		require.Len(t, cells, 2)
		require.Equal(t, int64(105), cells[0].Count)
		require.True(t, cells[1].Bucket.Equal(m0.Add(15*time.Minute)))

		// Time range and edge filter.
		cells, err = s.Traffic(ctx, store.TrafficQuery{From: m0.Add(time.Minute), To: m0.Add(2 * time.Minute)})
		require.NoError(t, err)
		require.Len(t, cells, 1)
		require.Equal(t, int64(5), cells[0].Count)
		cells, err = s.Traffic(ctx, store.TrafficQuery{EdgeID: "edge-b"})
		require.NoError(t, err)
		require.Len(t, cells, 1)
		require.Equal(t, int64(20), cells[0].Count)
	})
}

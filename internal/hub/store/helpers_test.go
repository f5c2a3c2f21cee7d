package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func hazardRec(seq uint64, station uint32, num uint16, event string, lat, lon float64, at time.Time) store.Record {
	return store.Record{Seq: seq, Kind: store.KindHazard, At: at, Hazard: &store.HazardEvent{
		ActionID: v2x.ActionID{OriginatingStationID: station, SequenceNumber: num},
		Event:    event, Cause: 94, SubCause: 2, Lat: lat, Lon: lon, RadiusM: 300, Quality: 3,
		Sources: []string{"station:7", "sensor:9"}, Detection: at, Reference: at, Expiry: at.Add(10 * time.Minute),
	}}
}

func trafficRec(seq uint64, qk string, minute time.Time, count int, speed float64) store.Record {
	return store.Record{Seq: seq, Kind: store.KindTraffic, At: minute.Add(time.Minute), Traffic: &store.TrafficAggregate{
		Quadkey: qk, Minute: minute, Count: count, MeanSpeedMPS: speed,
	}}
}

func healthRec(seq uint64, at time.Time, cov geo.Box) store.Record {
	return store.Record{Seq: seq, Kind: store.KindHealth, At: at, Health: &store.Health{
		Clients: 12, Vehicles: 10, Objects: 14, ActiveHazards: 1, IngestPerS: 120.5,
		AlertP50Ms: 0.4, AlertP99Ms: 1.7, QueueDepth: 3, Coverage: cov,
	}}
}

// mixed returns records lo..hi of a steady edge: a hazard lifecycle, traffic and health.
func mixed(lo, hi uint64) []store.Record {
	var out []store.Record
	for seq := lo; seq <= hi; seq++ {
		at := t0.Add(time.Duration(seq) * time.Second)
		switch seq % 3 {
		case 0:
			out = append(out, hazardRec(seq, 1000, uint16(seq), "created", 48.1, 11.5, at))
		case 1:
			out = append(out, trafficRec(seq, geo.Quadkey(geo.Point{Lat: 48.1, Lon: 11.5}, 16), at.Truncate(time.Minute), 2, 10))
		default:
			out = append(out, healthRec(seq, at, geo.Box{Min: geo.Point{Lat: 48, Lon: 11.4}, Max: geo.Point{Lat: 48.2, Lon: 11.6}}))
		}
	}
	return out
}

func store1(t *testing.T, s *store.Store, edge string, recs []store.Record) store.Result {
	t.Helper()
	r, err := s.StoreBatch(ctxT(t), edge, recs)
	require.NoError(t, err)
	return r
}

func ptr[T any](v T) *T { return &v }

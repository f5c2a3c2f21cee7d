package hub

import (
	"context"
	"log/slog"
	"time"

	"github.com/michi-v2x/michi/internal/hub/api"
	"github.com/michi-v2x/michi/internal/hub/downlink"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/uplink"
)

// sink is the uplink.Sink the Server calls: the store, plus what follows a commit — metrics,
// the downlink (coverage, relay) and the live stream. Everything after the commit is in-memory
// and non-blocking, so a slow dashboard or a busy edge never delays an ack.
type sink struct {
	st  *store.Store
	m   *metrics
	dl  *downlink.Dispatcher
	api *api.API
	log *slog.Logger
}

var _ uplink.Sink = (*sink)(nil)

func (s *sink) Store(ctx context.Context, edgeID string, recs []uplink.Record) (uint64, error) {
	start := time.Now()
	res, err := s.st.StoreBatch(ctx, edgeID, recs)
	s.m.batch.Observe(time.Since(start).Seconds())
	if err != nil {
		s.m.errors.Inc()
		s.log.Warn("store batch failed; the edge will resend it", "edge", edgeID, "records", len(recs), "err", err)
		return 0, err
	}
	for i := range res.Stored {
		s.m.stored.WithLabelValues(res.Stored[i].Kind.String()).Inc()
	}
	s.m.duplicates.Add(float64(res.Duplicates))
	if len(res.Invalid) > 0 {
		s.m.invalid.Add(float64(len(res.Invalid)))
		s.log.Warn("skipped records that cannot be stored", "edge", edgeID, "count", len(res.Invalid),
			"first_seq", res.Invalid[0].Seq, "err", res.Invalid[0].Err)
	}
	if len(res.Stored) > 0 {
		s.dl.Stored(edgeID, res.Stored)
		s.api.PublishRecords(edgeID, res.Stored)
	}
	return res.HighWater, nil
}

func (s *sink) HighWater(ctx context.Context, edgeID string) (uint64, error) {
	return s.st.HighWater(ctx, edgeID)
}

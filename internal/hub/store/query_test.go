package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/hub/storetest"
	"github.com/michi-v2x/michi/pkg/geo"
)

func TestHazardsCurrentState(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := ctxT(t)
		// Hazard 1/1: created, updated (moved), terminated. 1/2: created only. 1/3: created
		// long ago and never heard of again (expired by time). Fiji 1/4 sits near the antimeridian.
		store1(t, s, "edge-a", []store.Record{
			hazardRec(1, 1, 1, "created", 48.10, 11.50, t0),
			hazardRec(2, 1, 2, "created", 48.20, 11.60, t0.Add(time.Second)),
		})
		upd := hazardRec(3, 1, 1, "updated", 48.11, 11.51, t0.Add(2*time.Second))
		hd := 90.0
		upd.Hazard.HeadingDeg = &hd
		store1(t, s, "edge-a", []store.Record{upd, hazardRec(4, 1, 1, "terminated", 48.11, 11.51, t0.Add(3*time.Second))})
		store1(t, s, "edge-b", []store.Record{
			hazardRec(1, 1, 3, "created", 48.15, 11.55, t0.Add(-time.Hour)),
			hazardRec(2, 1, 4, "created", -17.8, 179.9, t0.Add(time.Second)),
		})

		now := t0.Add(time.Minute)
		all, err := s.Hazards(ctx, store.HazardQuery{Now: now})
		require.NoError(t, err)
		require.Len(t, all, 4)
		byID := map[string]store.Hazard{}
		for _, h := range all {
			byID[h.EdgeID+"/"+h.ActionID.String()] = h
		}
		h := byID["edge-a/1/1"]
		require.Equal(t, "terminated", h.State)
		require.Equal(t, "terminated", h.Event)
		require.Equal(t, uint64(4), h.LastSeq)
		require.True(t, h.FirstAt.Equal(t0), "first_at kept from the created event: %v", h.FirstAt)
		require.InDelta(t, 48.11, h.Lat, 1e-9)
		require.False(t, h.Active(now))

		active, err := s.Hazards(ctx, store.HazardQuery{Now: now, Active: ptr(true)})
		require.NoError(t, err)
		require.Len(t, active, 2) // 1/2 and Fiji; 1/3 is past its expiry
		inactive, err := s.Hazards(ctx, store.HazardQuery{Now: now, Active: ptr(false)})
		require.NoError(t, err)
		require.Len(t, inactive, 2)

		box := geo.Box{Min: geo.Point{Lat: 48.19, Lon: 11.59}, Max: geo.Point{Lat: 48.21, Lon: 11.61}}
		in, err := s.Hazards(ctx, store.HazardQuery{Now: now, Box: &box})
		require.NoError(t, err)
		require.Len(t, in, 1)
		require.Equal(t, uint16(2), in[0].ActionID.SequenceNumber)

		fiji := geo.Box{Min: geo.Point{Lat: -20, Lon: 179}, Max: geo.Point{Lat: -15, Lon: -179}} // crosses 180°
		in, err = s.Hazards(ctx, store.HazardQuery{Now: now, Box: &fiji})
		require.NoError(t, err)
		require.Len(t, in, 1)
		require.Equal(t, uint16(4), in[0].ActionID.SequenceNumber)

		since, err := s.Hazards(ctx, store.HazardQuery{Now: now, Since: t0.Add(2 * time.Second)})
		require.NoError(t, err)
		require.Len(t, since, 1)

		// A late, older event for a hazard does not roll its state back.
		store1(t, s, "edge-a", []store.Record{hazardRec(5, 1, 2, "terminated", 48.2, 11.6, t0.Add(4*time.Second))})
		hs, err := s.Hazards(ctx, store.HazardQuery{Now: now, EdgeID: "edge-a", Active: ptr(true)})
		require.NoError(t, err)
		require.Empty(t, hs)

		evs, err := s.HazardEvents(ctx, store.EventQuery{From: t0, To: t0.Add(3 * time.Second), Box: &geo.Box{
			Min: geo.Point{Lat: 48, Lon: 11}, Max: geo.Point{Lat: 49, Lon: 12}}})
		require.NoError(t, err)
		require.Len(t, evs, 3) // edge-a 1, 2, 3
		require.NotNil(t, evs[2].HeadingDeg)
		require.Equal(t, 90.0, *evs[2].HeadingDeg)
		require.Equal(t, uint8(94), evs[0].Cause)
	})
}

func TestEdgesAndHealth(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		clock := t0.Add(time.Hour)
		s := b.Open(t, func(o *store.Options) { o.Now = func() time.Time { return clock } })
		ctx := ctxT(t)
		cov := geo.Box{Min: geo.Point{Lat: 48, Lon: 11}, Max: geo.Point{Lat: 48.5, Lon: 11.8}}
		store1(t, s, "edge-b", []store.Record{hazardRec(1, 1, 1, "created", 48.1, 11.5, t0)})
		store1(t, s, "edge-a", []store.Record{healthRec(1, t0, cov), healthRec(2, t0.Add(time.Minute), cov)})
		clock = clock.Add(time.Minute)
		h3 := healthRec(3, t0.Add(2*time.Minute), cov)
		h3.Health.AlertP99Ms = 2.5
		store1(t, s, "edge-a", []store.Record{h3})

		edges, err := s.Edges(ctx)
		require.NoError(t, err)
		require.Len(t, edges, 2)
		a, bb := edges[0], edges[1]
		require.Equal(t, "edge-a", a.ID)
		require.Equal(t, uint64(3), a.HighWater)
		require.True(t, a.FirstSeen.Equal(t0.Add(time.Hour)))
		require.True(t, a.LastSeen.Equal(t0.Add(time.Hour+time.Minute)))
		require.NotNil(t, a.Health)
		require.Equal(t, uint64(3), a.Health.Seq)
		require.Equal(t, 2.5, a.Health.AlertP99Ms)
		require.Equal(t, cov, a.Health.Coverage)
		require.True(t, a.Health.HasCoverage())
		require.Nil(t, bb.Health, "no health record yet")

		hs, err := s.HealthSamples(ctx, store.HealthQuery{EdgeID: "edge-a"})
		require.NoError(t, err)
		require.Len(t, hs, 3)
		require.Equal(t, uint64(1), hs[0].Seq, "oldest first")
		hs, err = s.HealthSamples(ctx, store.HealthQuery{EdgeID: "edge-a", Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []uint64{2, 3}, []uint64{hs[0].Seq, hs[1].Seq}, "the newest two")
		hs, err = s.HealthSamples(ctx, store.HealthQuery{EdgeID: "edge-a", From: t0.Add(30 * time.Second), To: t0.Add(90 * time.Second)})
		require.NoError(t, err)
		require.Len(t, hs, 1)

		// Unknown coverage (zero box) is stored as NULL and read back as zero.
		store1(t, s, "edge-c", []store.Record{healthRec(1, t0, geo.Box{})})
		edges, err = s.Edges(ctx)
		require.NoError(t, err)
		require.False(t, edges[2].Health.HasCoverage())
	})
}

func TestAuthorityHazards(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b storetest.Backend) {
		s := b.Open(t)
		ctx := ctxT(t)
		hd := 45.0
		a := store.Authority{AuthorityHazard: store.AuthorityHazard{ID: "auth-1", Cause: 3, SubCause: 1, Lat: 48.1, Lon: 11.5,
			RadiusM: 250, HeadingDeg: &hd, Start: t0, Validity: time.Hour, Issuer: "city"}, CreatedAt: t0, UpdatedAt: t0}
		require.NoError(t, s.PutAuthority(ctx, a))
		require.NoError(t, s.PutAuthority(ctx, store.Authority{AuthorityHazard: store.AuthorityHazard{ID: "auth-2", Cause: 5,
			Lat: 10, Lon: 10, RadiusM: 10, Start: t0, Validity: time.Minute}, CreatedAt: t0, UpdatedAt: t0}))

		got, err := s.Authority(ctx, "auth-1")
		require.NoError(t, err)
		require.Equal(t, a.AuthorityHazard, got.AuthorityHazard)
		require.True(t, got.Active(t0.Add(time.Minute)))
		require.False(t, got.Active(t0.Add(2*time.Hour)))

		// Update keeps created_at.
		a.RadiusM, a.UpdatedAt, a.CreatedAt = 500, t0.Add(time.Minute), t0.Add(time.Minute)
		require.NoError(t, s.PutAuthority(ctx, a))
		got, err = s.Authority(ctx, "auth-1")
		require.NoError(t, err)
		require.Equal(t, 500.0, got.RadiusM)
		require.True(t, got.CreatedAt.Equal(t0))

		act, err := s.Authorities(ctx, store.AuthorityQuery{Active: ptr(true), Now: t0.Add(5 * time.Minute)})
		require.NoError(t, err)
		require.Len(t, act, 1, "auth-2 ran out after a minute")

		term, err := s.TerminateAuthority(ctx, "auth-1", t0.Add(10*time.Minute))
		require.NoError(t, err)
		require.True(t, term.Terminate)
		require.False(t, term.Active(t0.Add(11*time.Minute)))
		_, err = s.TerminateAuthority(ctx, "nope", t0)
		require.ErrorIs(t, err, store.ErrNotFound)

		box := geo.Box{Min: geo.Point{Lat: 48, Lon: 11}, Max: geo.Point{Lat: 49, Lon: 12}}
		in, err := s.Authorities(ctx, store.AuthorityQuery{Box: &box})
		require.NoError(t, err)
		require.Len(t, in, 1)

		// The edges' copies of authority hazards.
		echo := hazardRec(1, 9, 1, "created", 48.1, 11.5, t0)
		echo.Hazard.Authority = "auth-1"
		store1(t, s, "edge-a", []store.Record{echo, hazardRec(2, 9, 2, "created", 48.1, 11.5, t0)})
		eas, err := s.EdgeAuthorities(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []store.EdgeAuthority{{EdgeID: "edge-a", AuthorityID: "auth-1", State: "active", Expiry: t0.Add(10 * time.Minute)}}, eas)
		hs, err := s.Hazards(ctx, store.HazardQuery{Authority: "auth-1"})
		require.NoError(t, err)
		require.Len(t, hs, 1)
	})
}

package edge

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/detect"
	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

func journaledHazard(seq uint16, at time.Time) hazard.Hazard {
	return hazard.Hazard{ActionID: v2x.ActionID{OriginatingStationID: 777, SequenceNumber: seq}, Cause: v2x.CauseAccident,
		Pos: geo.Point{Lat: 48.85, Lon: 2.35}, Detection: at, Reference: at, Validity: 10 * time.Minute, State: hazard.StateActive,
		Sources: []string{"station:1"}, FirstDetected: at}
}

// The journal gives back each hazard's last line and the reports in order; a line torn by a
// crash ends it; it is rewritten with what is live once it has grown beyond it.
func TestJournal(t *testing.T) {
	dir, log := t.TempDir(), slog.New(slog.DiscardHandler)
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	store := detect.NewReports(detect.ReportsOptions{})
	j, last, reps, err := openJournal(dir, log, time.Minute, store)
	require.NoError(t, err)
	require.Empty(t, last)
	require.Empty(t, reps)
	a, b, c := journaledHazard(1, t0), journaledHazard(2, t0), journaledHazard(3, t0)
	j.hazard(hazard.Event{Kind: hazard.Created, Hazard: a}, t0)
	j.hazard(hazard.Event{Kind: hazard.Created, Hazard: b}, t0)
	j.hazard(hazard.Event{Kind: hazard.Created, Hazard: c}, t0)
	a.Reference = t0.Add(time.Second)
	j.hazard(hazard.Event{Kind: hazard.Updated, Hazard: a}, t0.Add(time.Second))
	j.hazard(hazard.Event{Kind: hazard.Terminated, Hazard: b}, t0.Add(time.Second))
	j.hazard(hazard.Event{Kind: hazard.Expired, Hazard: c}, t0.Add(time.Second))
	rep := detect.Report{From: v2x.ActionID{OriginatingStationID: 1, SequenceNumber: 1}, Reporter: "car_1", StationID: 1,
		Cause: v2x.CauseAccident, Pos: a.Pos, Detection: t0, Reference: t0}
	j.report(rep, t0)
	j.close()
	f, err := os.OpenFile(filepath.Join(dir, journalFile), os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"at":"2026-12-01T08:00:02Z","event":"updat`) // the kill came mid-write
	require.NoError(t, err)
	require.NoError(t, f.Close())

	j, last, reps, err = openJournal(dir, log, time.Minute, store)
	require.NoError(t, err)
	got := map[uint16]journaled{}
	for _, l := range last {
		got[l.h.ActionID.SequenceNumber] = l
	}
	require.Len(t, got, 2, "the expired hazard is forgotten")
	require.Equal(t, hazard.Updated, got[1].event)
	require.True(t, got[1].h.Reference.Equal(a.Reference))
	require.Equal(t, hazard.Terminated, got[2].event)
	require.Len(t, reps, 1)
	require.Equal(t, "car_1", reps[0].Reporter)

	// Grown far beyond what is live: rewritten with the live hazards only, and appended to after.
	for i := range 2000 {
		a.Reference = t0.Add(time.Duration(i) * time.Millisecond)
		j.hazard(hazard.Event{Kind: hazard.Updated, Hazard: a}, t0.Add(2*time.Second))
	}
	j.tick(t0.Add(2 * time.Minute)) // b's termination is older than a minute: dropped too
	j.hazard(hazard.Event{Kind: hazard.Updated, Hazard: a}, t0.Add(2*time.Minute))
	j.close()
	data, err := os.ReadFile(filepath.Join(dir, journalFile))
	require.NoError(t, err)
	require.Equal(t, 2, bytes.Count(data, []byte("\n")), "%s", data)
}

// BenchmarkJournalHazard is what the write-ahead line costs a hazard event on the alert path.
func BenchmarkJournalHazard(b *testing.B) {
	j, _, _, err := openJournal(b.TempDir(), slog.New(slog.DiscardHandler), time.Minute, detect.NewReports(detect.ReportsOptions{}))
	require.NoError(b, err)
	defer j.close()
	h := journaledHazard(1, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		j.hazard(hazard.Event{Kind: hazard.Updated, Hazard: h}, h.Reference)
	}
}

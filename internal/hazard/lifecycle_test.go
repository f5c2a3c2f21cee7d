package hazard

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

func TestClearAfter(t *testing.T) {
	m := newManager(t, Options{})
	a := finding("a", 94, base, "station:1")
	b := finding("b", 94, at(0, 10), "station:2")
	evs := m.Apply(t0, "d", []Finding{a, b})
	id := evs[0].Hazard.ActionID

	// b disappears: kept for ClearAfter, then dropped (an update: one source less).
	require.Empty(t, m.Apply(t0.Add(1*time.Second), "d", []Finding{a}))
	require.Empty(t, m.Apply(t0.Add(2900*time.Millisecond), "d", []Finding{a}))
	evs = m.Apply(t0.Add(3*time.Second), "d", []Finding{a})
	require.Equal(t, []EventKind{Updated}, kinds(evs))
	require.Equal(t, []string{"station:1"}, evs[0].Hazard.Sources)
	require.Equal(t, uint8(1), evs[0].Hazard.InformationQuality)

	// Then a disappears too: Terminated, a cancellation with a newer reference time.
	last := evs[0].Hazard
	require.Empty(t, m.Apply(t0.Add(5*time.Second), "d", nil))
	evs = m.Apply(t0.Add(6*time.Second), "d", nil)
	require.Equal(t, []EventKind{Terminated}, kinds(evs))
	h := evs[0].Hazard
	require.Equal(t, id, h.ActionID)
	require.Equal(t, StateTerminated, h.State)
	require.True(t, h.Reference.After(last.Reference))
	require.Equal(t, t0.Add(6*time.Second), h.Ended)
	require.Zero(t, m.Len())
	require.Empty(t, m.Within(base, 1000))

	got, ok := m.Get(id)
	require.True(t, ok, "ended hazards stay in the history")
	require.Equal(t, StateTerminated, got.State)
	require.Equal(t, []Hazard{h}, m.Recent())

	// The condition coming back is a new hazard with a new action_id.
	evs = m.Apply(t0.Add(7*time.Second), "d", []Finding{a})
	require.Equal(t, []EventKind{Created}, kinds(evs))
	require.NotEqual(t, id, evs[0].Hazard.ActionID)
}

func TestClearAfterByTick(t *testing.T) {
	m := newManager(t, Options{ClearAfter: time.Second})
	m.Apply(t0, "gone", []Finding{finding("a", 12, base)})
	require.Empty(t, m.Tick(t0.Add(999*time.Millisecond)))
	evs := m.Tick(t0.Add(time.Second))
	require.Equal(t, []EventKind{Terminated}, kinds(evs), "a detector that stops calling Apply clears too")
}

func TestTerminateFinding(t *testing.T) {
	m := newManager(t, Options{})
	m.Apply(t0, "reports", []Finding{finding("r:1", 91, base, "station:1")})
	m.Apply(t0, "stationary", []Finding{finding("station:1", 91, base, "station:1", "station:9")})
	require.Equal(t, 1, m.Len())

	// The vehicle cancels its DENM: that key goes at once, the other detector still holds it.
	evs := m.Apply(t0.Add(time.Second), "reports", []Finding{{Key: "r:1", Terminate: true}})
	require.Equal(t, []EventKind{Updated}, kinds(evs))
	require.Equal(t, []string{"stationary"}, evs[0].Hazard.Detectors)

	evs = m.Apply(t0.Add(1200*time.Millisecond), "stationary", []Finding{{Key: "station:1", Terminate: true}})
	require.Equal(t, []EventKind{Terminated}, kinds(evs))

	require.Empty(t, m.Apply(t0.Add(2*time.Second), "reports", []Finding{{Key: "unknown", Terminate: true}}))
}

func TestCauseChangeOfAKey(t *testing.T) {
	m := newManager(t, Options{})
	m.Apply(t0, "reports", []Finding{finding("r:1", 94, base)})
	evs := m.Apply(t0.Add(time.Second), "reports", []Finding{finding("r:1", 91, base)})
	require.Equal(t, []EventKind{Terminated, Created}, kinds(evs))
	require.Equal(t, uint8(94), evs[0].Hazard.Cause)
	require.Equal(t, uint8(91), evs[1].Hazard.Cause)
}

func TestRefreshAndExpiry(t *testing.T) {
	t.Run("refreshed at half validity while held", func(t *testing.T) {
		m := newManager(t, Options{})
		f := Finding{Key: "a", Cause: 97, Pos: base} // validity 10 s
		m.Apply(t0, "d", []Finding{f})
		var refreshes []time.Time
		for ms := 200; ms <= 30_000; ms += 200 {
			now := t0.Add(time.Duration(ms) * time.Millisecond)
			evs := append(m.Apply(now, "d", []Finding{f}), m.Tick(now)...)
			for _, e := range evs {
				require.Equal(t, Updated, e.Kind)
				require.Equal(t, now, e.Hazard.Detection)
				require.True(t, e.Hazard.Expiry().After(now.Add(9*time.Second)))
				refreshes = append(refreshes, now)
			}
		}
		require.Equal(t, []time.Time{t0.Add(5 * time.Second), t0.Add(10 * time.Second), t0.Add(15 * time.Second),
			t0.Add(20 * time.Second), t0.Add(25 * time.Second), t0.Add(30 * time.Second)}, refreshes)
	})
	t.Run("expires when not refreshed in time", func(t *testing.T) {
		m := newManager(t, Options{RefreshEvery: time.Hour, ClearAfter: time.Hour})
		evs := m.Apply(t0, "d", []Finding{{Key: "a", Cause: 97, Pos: base, Validity: 5 * time.Second}})
		id := evs[0].Hazard.ActionID
		require.Empty(t, m.Tick(t0.Add(4999*time.Millisecond)))
		evs = m.Tick(t0.Add(5 * time.Second))
		require.Equal(t, []EventKind{Expired}, kinds(evs))
		require.Equal(t, StateExpired, evs[0].Hazard.State)
		require.Equal(t, t0, evs[0].Hazard.Detection, "the last published version")
		require.Zero(t, m.Len())
		got, ok := m.Get(id)
		require.True(t, ok)
		require.Equal(t, StateExpired, got.State)
		require.Empty(t, m.Tick(t0.Add(time.Minute)))
	})
}

func TestReferenceStrictlyIncreases(t *testing.T) {
	m := newManager(t, Options{})
	m.Apply(t0, "a", []Finding{finding("k", 94, base, "station:1")})
	e1 := m.Apply(t0, "b", []Finding{finding("k", 94, base, "station:2")})
	e2 := m.Apply(t0, "c", []Finding{finding("k", 94, base, "station:3")})
	require.Equal(t, t0.Add(time.Millisecond), e1[0].Hazard.Reference)
	require.Equal(t, t0.Add(2*time.Millisecond), e2[0].Hazard.Reference)
}

func TestSequenceNumbering(t *testing.T) {
	m := newManager(t, Options{FirstSequence: 65534, ClearAfter: time.Second})
	far := func(i int) geo.Point { return at(0, float64(i)*1000) }
	var seqs []uint16
	for i := range 3 {
		evs := m.Apply(t0, "d", []Finding{finding(fmt.Sprint(i), 94, far(i))})
		seqs = append(seqs, evs[0].Hazard.ActionID.SequenceNumber)
	}
	require.Equal(t, []uint16{65534, 65535, 0}, seqs, "wraps")

	// Make 1 and 2 active, end 0 (65534 and 65535 stay active): the next ids skip the active ones.
	m2 := newManager(t, Options{ClearAfter: time.Second})
	for i := range 3 {
		m2.Apply(t0, fmt.Sprint("d", i), []Finding{finding("k", 94, far(i))})
	}
	m2.nextSeq = 1 // as if the counter had wrapped all the way round
	m2.Apply(t0.Add(2*time.Second), "d0", nil)
	m2.Apply(t0.Add(2*time.Second), "d1", []Finding{finding("k", 94, far(1))})
	m2.Apply(t0.Add(2*time.Second), "d2", []Finding{finding("k", 94, far(2))}) // 1 ended; 2 and 3 active
	evs := m2.Apply(t0.Add(2*time.Second), "d3", []Finding{finding("a", 94, far(5)), finding("b", 94, far(6))})
	require.Equal(t, uint16(1), evs[0].Hazard.ActionID.SequenceNumber)
	require.Equal(t, uint16(4), evs[1].Hazard.ActionID.SequenceNumber, "2 and 3 are still active")
}

// A manager with Reserve tells it, a block ahead, where a restart must resume; a manager that
// resumes from there never repeats a number handed out before.
func TestSequenceReservation(t *testing.T) {
	var stored []uint16
	o := Options{ClearAfter: time.Second, Reserve: func(next uint16) { stored = append(stored, next) }}
	m := newManager(t, o)
	var last uint16
	for i := range ReserveBlock + 1 {
		evs := m.Apply(t0, "d", []Finding{finding(fmt.Sprint(i), 94, at(90, float64(i)*100))})
		require.Len(t, evs, 1, "hazard %d", i)
		last = evs[0].Hazard.ActionID.SequenceNumber
	}
	require.Equal(t, uint16(ReserveBlock+1), last)
	require.Equal(t, []uint16{1 + ReserveBlock, 1 + 2*ReserveBlock}, stored, "a block reserved before its first number is used")

	restarted := newManager(t, o)
	restarted.Resume(stored[len(stored)-1])
	require.Equal(t, uint16(1+3*ReserveBlock), stored[len(stored)-1], "resuming reserves at once")
	evs := restarted.Apply(t0, "d", []Finding{finding("new", 94, base)})
	require.Equal(t, uint16(1+2*ReserveBlock), evs[0].Hazard.ActionID.SequenceNumber)
	require.Greater(t, evs[0].Hazard.ActionID.SequenceNumber, last, "never a number of the run before")
}

func TestHistoryRing(t *testing.T) {
	m := newManager(t, Options{History: 2})
	for i := range 3 {
		m.Apply(t0, "d", []Finding{finding("k", 94, at(0, float64(i)*1000))})
		m.Apply(t0, "d", []Finding{{Key: "k", Terminate: true}})
	}
	r := m.Recent()
	require.Len(t, r, 2)
	require.Equal(t, uint16(3), r[0].ActionID.SequenceNumber, "newest first")
	require.Equal(t, uint16(2), r[1].ActionID.SequenceNumber)
	_, ok := m.Get(v2x.ActionID{OriginatingStationID: edgeID, SequenceNumber: 1})
	require.False(t, ok, "fell out of the ring")
	_, ok = m.Get(v2x.ActionID{OriginatingStationID: 1, SequenceNumber: 3})
	require.False(t, ok, "another station's action id")

	none := newManager(t, Options{History: -1})
	none.Apply(t0, "d", []Finding{finding("k", 94, base)})
	none.Apply(t0, "d", []Finding{{Key: "k", Terminate: true}})
	require.Empty(t, none.Recent())
}

// Issue 14, item 5: a restarted edge takes back what it had published. A restored hazard keeps
// its action id and version; a finding of its condition carries it on, and one that no
// detector claims within the hold is terminated — explicitly, with a newer version — so
// nobody holds a hazard the edge no longer knows. A hazard survives the journal's JSON.
func TestRestore(t *testing.T) {
	first := newManager(t, Options{})
	first.Apply(t0, "d", []Finding{finding("a", 94, base, "station:1"), finding("b", 12, at(0, 2000), "station:2")})
	before := first.Active()
	require.Len(t, before, 2)
	b, err := json.Marshal(before)
	require.NoError(t, err)
	var saved []Hazard
	require.NoError(t, json.Unmarshal(b, &saved))
	require.Equal(t, before, saved)

	m := newManager(t, Options{})
	t1 := t0.Add(10 * time.Second)
	expired := saved[0]
	expired.ActionID.SequenceNumber, expired.Validity = 99, time.Second
	require.Equal(t, 2, m.Restore(append(saved, expired), t1.Add(5*time.Second), t1))
	require.Equal(t, before, m.Active())

	// The stationary vehicle is seen again (a new key): the same hazard goes on.
	evs := m.Apply(t1.Add(time.Second), "d", []Finding{finding("a2", 94, at(0, 3), "station:1")})
	for _, ev := range evs {
		require.Equal(t, saved[0].ActionID, ev.Hazard.ActionID)
		require.NotEqual(t, Created, ev.Kind)
	}
	require.Empty(t, m.Tick(t1.Add(4900*time.Millisecond)), "held until the grace ends")
	m.Apply(t1.Add(4900*time.Millisecond), "d", []Finding{finding("a2", 94, at(0, 3), "station:1")})
	evs = m.Tick(t1.Add(5 * time.Second))
	require.Equal(t, []EventKind{Terminated}, kinds(evs), "the pedestrian no one sees again")
	require.Equal(t, saved[1].ActionID, evs[0].Hazard.ActionID)
	require.True(t, evs[0].Hazard.Reference.After(saved[1].Reference))
	require.Equal(t, 1, m.Len())
	require.Zero(t, m.Restore(saved[:1], t1, t1), "its sequence number is taken")
}

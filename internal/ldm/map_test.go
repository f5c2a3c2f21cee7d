package ldm

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

func TestQueries(t *testing.T) {
	m := New(Options{})
	m.UpdateVehicle(car(1, at(0, 0), 10, 90, sec(0)))
	m.UpdateVehicle(car(2, at(100, 0), 10, 90, sec(0)))
	m.UpdatePerceived(101, []Perceived{seen(1, KindPedestrian, at(0, 50), 1, 0)}, sec(0))

	got := map[uint32]float64{}
	m.Within(at(0, 0), 60, func(o *Object, d float64) bool {
		got[o.StationID] = d
		return true
	})
	require.Len(t, got, 2)
	require.InDelta(t, 0, got[1], 1e-6)
	require.InDelta(t, 50, got[0], 1e-6)

	n := 0
	m.InBox(geo.Box{Min: at(50, -10), Max: at(150, 10)}, func(o *Object) bool {
		require.Equal(t, uint32(2), o.StationID)
		n++
		return true
	})
	require.Equal(t, 1, n)

	n = 0
	m.Each(func(*Object) bool { n++; return true })
	require.Equal(t, 3, n)
	n = 0
	m.Each(func(*Object) bool { n++; return false })
	require.Equal(t, 1, n)

	_, ok := m.Get(999)
	require.False(t, ok)
	_, ok = m.Vehicle(999)
	require.False(t, ok)
	require.Equal(t, Stats{Vehicles: 2, Objects: 3, SensorOnly: 1, Sources: 3, RoadCells: 2}, m.Stats())
}

func TestExpirePerLayer(t *testing.T) {
	m := New(Options{})                                                                    // VehicleTTL 5 s, ObjectTTL 2 s
	m.UpdateVehicle(car(1, at(0, 0), 0, 90, sec(0)))                                       // CAM only
	m.UpdateVehicle(car(2, at(100, 0), 0, 90, sec(0)))                                     // CAM + sensor
	m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(100, 0.5), 0, 90)}, sec(0)) // joins car 2
	m.UpdatePerceived(101, []Perceived{seen(2, KindPedestrian, at(0, 50), 1, 0)}, sec(0))
	require.Equal(t, Stats{Vehicles: 2, Objects: 3, SensorOnly: 1, Sources: 4}, m.Stats())

	require.Zero(t, m.Expire(sec(2)), "nothing older than its TTL yet")
	require.Equal(t, 1, m.Expire(sec(2.1)), "the pedestrian's sighting (2 s) is gone, and with it the pedestrian")
	o, _ := m.Vehicle(2)
	require.Equal(t, []uint32{2}, stations(o), "car 2 lost the stale sensor source but stays")
	require.Equal(t, Stats{Vehicles: 2, Objects: 2, Sources: 2}, m.Stats())
	n := 0
	m.Within(at(0, 50), 5, func(*Object, float64) bool { n++; return true })
	require.Zero(t, n, "index entry removed")

	m.UpdateVehicle(car(2, at(100, 0), 0, 90, sec(4)))
	require.Equal(t, 1, m.Expire(sec(5.5)), "car 1's CAM (5 s) expired")
	_, ok := m.Vehicle(1)
	require.False(t, ok)
	_, ok = m.Vehicle(2)
	require.True(t, ok)
	require.Equal(t, 1, m.idx.Len())
}

func TestExpireVehicleStillSeenBySensors(t *testing.T) {
	m := New(Options{})
	id := m.UpdateVehicle(car(1, at(0, 0), 0, 90, sec(0)))
	for s := 0.0; s <= 6; s++ {
		m.UpdatePerceived(101, []Perceived{seen(1, KindVehicle, at(0.5, 0), 0, 90)}, sec(s))
	}
	require.Zero(t, m.Expire(sec(6)))
	_, ok := m.Vehicle(1)
	require.False(t, ok, "no CAM for 6 s: not a self-reporting vehicle any more")
	o, ok := m.Get(id)
	require.True(t, ok, "but the sensor still sees it")
	require.Zero(t, o.StationID)
	require.InDelta(t, 0, geo.Distance(at(0.5, 0), o.Pos), 1e-6, "now placed by the sensor")
	require.Equal(t, Stats{Objects: 1, SensorOnly: 1, Sources: 1}, m.Stats())

	// Its CAMs resume: it is the vehicle again, same object.
	require.Equal(t, id, m.UpdateVehicle(car(1, at(0.2, 0), 0, 90, sec(7))))
	require.Equal(t, Stats{Vehicles: 1, Objects: 1, Sources: 2}, m.Stats())
}

func TestExpireCustomTTL(t *testing.T) {
	m := New(Options{VehicleTTL: time.Second, ObjectTTL: 10 * time.Second})
	m.UpdateVehicle(car(1, at(0, 0), 0, 90, sec(0)))
	m.UpdatePerceived(101, []Perceived{seen(2, KindPedestrian, at(0, 50), 1, 0)}, sec(0))
	require.Equal(t, 1, m.Expire(sec(1.5)))
	require.Equal(t, 1, m.Stats().Objects)
	require.Equal(t, 1, m.Expire(sec(10.5)))
	require.Zero(t, m.Stats().Objects)
}

// TestConcurrency runs writers and readers together; run with -race.
func TestConcurrency(t *testing.T) {
	m := New(Options{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	const n = 300
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				now := sec(float64(i) / 10)
				p := at(rng.Float64()*500, rng.Float64()*500)
				if w == 0 {
					m.UpdateVehicle(car(uint32(1+rng.IntN(n)), p, rng.Float64()*20, rng.Float64()*360, now))
				} else {
					m.UpdatePerceived(uint32(100+rng.IntN(3)), []Perceived{
						seen(uint16(rng.IntN(n)), Kind(rng.IntN(3)), p, rng.Float64()*20, rng.Float64()*360),
					}, now)
				}
				if i%50 == 0 {
					m.Expire(now)
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var ids []uint64
				m.Relevant(at(250, 250), 200, 90, true, func(o *Object) bool { ids = append(ids, o.ID); return true })
				m.Within(at(250, 250), 100, func(o *Object, _ float64) bool { _ = o.Sources; return true })
				m.Each(func(o *Object) bool { _ = o.Pos; return true })
				for _, id := range ids {
					m.Get(id)
				}
				m.OnRoad(at(100, 100))
				m.Stats()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	checkInvariants(t, m)
}

// checkInvariants verifies the map's bookkeeping against its objects.
func checkInvariants(t *testing.T, m *Map) {
	t.Helper()
	m.mu.RLock()
	defer m.mu.RUnlock()
	require.Equal(t, len(m.objs), m.idx.Len())
	sources, sensors := 0, 0
	for id, tr := range m.objs {
		require.Equal(t, id, tr.ID)
		require.NotEmpty(t, tr.Sources)
		require.Len(t, tr.obs, len(tr.Sources))
		p, ok := m.idx.Get(tr)
		require.True(t, ok)
		require.Equal(t, tr.Pos, p)
		tag, _ := m.idx.Tag(tr)
		require.Equal(t, tr.tag(), tag)
		if tr.StationID != 0 {
			require.True(t, tr.Sources[0].Self)
			require.Same(t, tr, m.byStation[tr.StationID])
		}
		for i, s := range tr.Sources {
			require.Equal(t, s.Self, i == 0 && tr.StationID != 0)
			if !s.Self {
				require.Same(t, tr, m.bySensor[sensorKey{s.StationID, s.ObjectID}])
				sensors++
			}
		}
		sources += len(tr.Sources)
	}
	require.Equal(t, sources, m.sources)
	require.Len(t, m.bySensor, sensors)
}

// TestRandomOperationsKeepInvariants drives the map with random CAMs, CPMs and expiries in a
// small area, so that fusion, re-association, merges and expiry interleave, and checks the
// bookkeeping after every step.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := New(Options{})
	now := t0
	for i := range 3000 {
		now = now.Add(time.Duration(rng.IntN(200)) * time.Millisecond)
		p := at(rng.Float64()*40, rng.Float64()*40)
		switch rng.IntN(10) {
		case 0:
			m.Expire(now)
		case 1, 2, 3:
			m.UpdateVehicle(car(uint32(1+rng.IntN(10)), p, rng.Float64()*3, rng.Float64()*360, now))
		default:
			var objs []Perceived
			for range 1 + rng.IntN(4) {
				objs = append(objs, Perceived{
					ObjectID: uint16(rng.IntN(8)), Kind: Kind(rng.IntN(3)), Pos: at(rng.Float64()*40, rng.Float64()*40),
					SpeedMPS: rng.Float64() * 3, HeadingDeg: rng.Float64() * 360, HeadingOK: rng.IntN(2) == 0,
				})
			}
			m.UpdatePerceived(uint32(100+rng.IntN(4)), objs, now)
		}
		if i%10 == 0 {
			checkInvariants(t, m)
		}
	}
	checkInvariants(t, m)
	m.Expire(now.Add(2 * time.Hour))
	require.Equal(t, Stats{}, m.Stats())
	checkInvariants(t, m)
}

package edge_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// until reads DENMs from ch until one satisfies stop, and returns those read before it.
func until(t *testing.T, ch <-chan paho.Message, stop func(*v2x.DENM) bool) []*v2x.DENM {
	t.Helper()
	var before []*v2x.DENM
	for {
		d, _ := nextDENM(t, ch)
		if stop(d) {
			return before
		}
		before = append(before, d)
	}
}

func isCause(c uint8, p geo.Point) func(*v2x.DENM) bool {
	return func(d *v2x.DENM) bool {
		got, _ := d.Cause()
		return got == c && geo.Distance(d.EventPosition(), p) < 1
	}
}

func TestVehicleReportBecomesEdgeHazardOnlyOnItsTiles(t *testing.T) {
	n, clk := startNode(t)
	event := geo.Destination(here, 90, 300)
	far := geo.Destination(here, 0, 20_000)
	near := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "near"), denmFilter(n, event, 16))
	farSub := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "far"), denmFilter(n, far, 16))

	now := clk.Now()
	newVehicle(t, n, 1).denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: event, Detection: now, Reference: now, At: now,
		ActionID: v2x.ActionID{SequenceNumber: 9}})

	d, topic := nextDENM(t, near)
	cause, _ := d.Cause()
	require.Equal(t, uint8(v2x.CauseAccident), cause)
	require.Equal(t, v2x.ActionID{OriginatingStationID: 777, SequenceNumber: d.ActionID().SequenceNumber}, d.ActionID(),
		"the edge originates the hazard under its own station id")
	require.Equal(t, uint32(777), d.StationID())
	require.Equal(t, v2x.StationRoadSideUnit, d.StationType())
	require.InDelta(t, 0, geo.Distance(d.EventPosition(), event), 0.05)
	tp, err := v2x.ParseTopic(topic)
	require.NoError(t, err)
	require.Equal(t, v2x.OutQueue, tp.Queue)
	require.Equal(t, "michi_test-edge", tp.SourceID)
	require.Len(t, tp.Quadkey, 23, "each hazard has its own cell inside each zoom-16 tile")
	require.Equal(t, geo.Quadkey(event, 16), tp.Quadkey[:16])

	// Barrier: a second hazard at the far point. The far subscriber must see it first, proving
	// the first hazard (20 km away) never reached its tile.
	newVehicle(t, n, 2).denm(t, v2x.DENMSpec{Cause: v2x.CauseObstacle, Pos: far, Detection: now, Reference: now, At: now})
	require.Empty(t, until(t, farSub, isCause(v2x.CauseObstacle, far)))
}

func TestReportsOfOneEventMergeIntoOneHazard(t *testing.T) {
	n, clk := startNode(t)
	event := geo.Destination(here, 45, 500)
	sub := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "listener"), denmFilter(n, event, 16))

	now := clk.Now()
	newVehicle(t, n, 1).denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: event, Detection: now, Reference: now, At: now})
	first, _ := nextDENM(t, sub)

	now = clk.Add(2 * time.Second)
	newVehicle(t, n, 2).denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: geo.Destination(event, 180, 15), Detection: now, Reference: now, At: now})
	second, _ := nextDENM(t, sub)

	require.Equal(t, first.ActionID(), second.ActionID(), "one event, one hazard")
	require.Greater(t, second.InformationQuality(), first.InformationQuality(), "independent confirmation raises quality")
	require.True(t, second.ReferenceTime().After(first.ReferenceTime()))

	var fc struct {
		Features []struct {
			Properties struct {
				Sources []string `json:"sources"`
			} `json:"properties"`
		} `json:"features"`
	}
	getJSON(t, "http://"+n.HTTPAddr()+"/api/v1/hazards", &fc)
	require.Len(t, fc.Features, 1)
	require.ElementsMatch(t, []string{"station:1", "station:2"}, fc.Features[0].Properties.Sources)
}

// TestReportsArrivingAtOnceMakeOneHazard (issue 13): two vehicles' reports of one obstacle,
// ingested at once while detection rounds run, make one hazard, from the same direction and from
// both directions of an undivided road; on the two carriageways of a divided road they stay two.
func TestReportsArrivingAtOnceMakeOneHazard(t *testing.T) {
	n, clk := startNode(t)
	tests := []struct {
		name     string
		heading2 float64 // the second reporter's; the first drives north
		lateralM float64 // the second report east of the first
		hazards  int
	}{
		{"same direction", 0, 2, 1},
		{"both directions of an undivided road", 180, 3, 1},
		{"the two carriageways of a divided road", 180, 8, 2},
	}
	event := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 10 {
				event++
				p := geo.Destination(here, 0, float64(event)*1000) // events 1 km apart
				report := func(id uint32, heading float64, pos geo.Point) v2x.DENMSpec {
					return v2x.DENMSpec{StationID: id, ActionID: v2x.ActionID{OriginatingStationID: id, SequenceNumber: uint16(event)},
						Cause: v2x.CauseObstacle, Pos: pos, HeadingDeg: heading, HasHeading: true, At: clk.Now()}
				}
				ingestAtOnce(t, n, report(1, 0, p), report(2, tc.heading2, geo.Destination(p, 90, tc.lateralM)))
				hs := n.Hazards().Within(p, 100)
				require.Len(t, hs, tc.hazards, "event %d", event)
				var sources []string
				for _, h := range hs {
					sources = append(sources, h.Sources...)
				}
				require.ElementsMatch(t, []string{"station:1", "station:2"}, sources)
			}
		})
	}
}

// ingestAtOnce ingests vehicles' DENMs (a source of "com_car_<station id>" each) from goroutines
// of their own, started together while detection rounds run back to back, and waits for all.
func ingestAtOnce(t *testing.T, n *edge.Node, specs ...v2x.DENMSpec) {
	t.Helper()
	topics, payloads := make([]string, len(specs)), make([][]byte, len(specs))
	for i, s := range specs {
		s.SourceUUID, s.StationType = fmt.Sprintf("com_car_%d", s.StationID), v2x.StationPassengerCar
		b, err := json.Marshal(v2x.NewDENM(s))
		require.NoError(t, err)
		topics[i] = v2x.Topic{Root: n.Options().Root, Queue: v2x.InQueue, Type: v2x.TypeDENM, SourceID: s.SourceUUID,
			Quadkey: geo.Quadkey(s.Pos, 22)}.String()
		payloads[i] = b
	}
	start, stop := make(chan struct{}), make(chan struct{})
	var rounds, wg sync.WaitGroup
	rounds.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				n.DetectOnce()
			}
		}
	})
	errs := make([]error, len(specs))
	for i := range specs {
		wg.Go(func() { <-start; errs[i] = n.Ingest(topics[i], payloads[i]) })
	}
	close(start)
	wg.Wait()
	close(stop)
	rounds.Wait()
	require.NoError(t, errors.Join(errs...))
}

func TestTerminationReplacesTheRetainedHazard(t *testing.T) {
	n, clk := startNode(t)
	event := geo.Destination(here, 200, 250)
	reporter := newVehicle(t, n, 1)
	now := clk.Now()
	aid := v2x.ActionID{OriginatingStationID: 1, SequenceNumber: 4}
	reporter.denm(t, v2x.DENMSpec{ActionID: aid, Cause: v2x.CauseObstacle, Pos: event, Detection: now, Reference: now, At: now})

	// A vehicle that subscribes afterwards gets the active hazard, retained.
	late := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "late"), denmFilter(n, event, 16))
	active, _ := nextDENM(t, late)
	_, terminated := active.Termination()
	require.False(t, terminated)

	now = clk.Add(time.Second)
	cancel := v2x.Termination(0)
	reporter.denm(t, v2x.DENMSpec{ActionID: aid, Cause: v2x.CauseObstacle, Pos: event, Detection: active.DetectionTime(), Reference: now, At: now, Termination: &cancel})
	term, _ := nextDENM(t, late)
	require.Equal(t, active.ActionID(), term.ActionID())
	kind, ok := term.Termination()
	require.True(t, ok, "termination published")
	require.Equal(t, v2x.Termination(0), kind)

	// A later subscriber gets the termination, not the active version.
	later := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "later"), denmFilter(n, event, 16))
	got, _ := nextDENM(t, later)
	_, ok = got.Termination()
	require.True(t, ok)

	var fc struct{ Features []any }
	getJSON(t, "http://"+n.HTTPAddr()+"/api/v1/hazards", &fc)
	require.Empty(t, fc.Features)
}

func TestHazardEndsWhenItsReportExpires(t *testing.T) {
	n, clk := startNode(t)
	event := geo.Destination(here, 300, 400)
	now := clk.Now()
	newVehicle(t, n, 1).denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: event, Detection: now, Reference: now, At: now, Validity: 30 * time.Second})
	waitActive(t, n, 1)

	clk.Add(31 * time.Second) // the report's validity has run out and nobody renewed it
	n.DetectOnce()
	require.Empty(t, n.Hazards().Active())

	// A late subscriber learns of the end, never of the hazard as active.
	late := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "late"), denmFilter(n, event, 16))
	d, _ := nextDENM(t, late)
	_, ended := d.Termination()
	require.True(t, ended)
}

func TestLateSubscriberGetsHazardOnItsExactTile(t *testing.T) {
	n, clk := startNode(t)
	event := geo.Destination(here, 120, 700)
	now := clk.Now()
	newVehicle(t, n, 1).denm(t, v2x.DENMSpec{Cause: v2x.CauseObstacle, Pos: event, Detection: now, Reference: now, At: now})
	waitActive(t, n, 1)
	// At the dissemination zoom (16) the hazard is retained on the tile itself (the parent level of
	// the filter); at 14, on the zoom-16 tiles below it. internal/broker/retained.go replays both.
	for _, zoom := range []int{16, 14} {
		ch := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), fmt.Sprintf("late-%d", zoom)), denmFilter(n, event, zoom))
		d, _ := nextDENM(t, ch)
		require.Equal(t, uint32(777), d.ActionID().OriginatingStationID)
		// Exactly one copy per tile: a barrier hazard in the same tile must come next.
		now = clk.Add(time.Second)
		newVehicle(t, n, uint32(10+zoom)).denm(t, v2x.DENMSpec{Cause: v2x.CauseAnimal, Pos: event, Detection: now, Reference: now, At: now})
		before := until(t, ch, isCause(v2x.CauseAnimal, event))
		if zoom == 16 {
			require.Empty(t, before, "the retained hazard was delivered twice")
		}
	}
}

var errNotYet = errors.New("not yet")

// Retained state is per topic: two hazards on one tile must both reach a late subscriber.
func TestLateSubscriberGetsEveryHazardOnATile(t *testing.T) {
	n, clk := startNode(t)
	a := geo.Destination(here, 0, 40)
	b := geo.Destination(here, 180, 40)
	require.Equal(t, geo.Quadkey(a, 16), geo.Quadkey(b, 16), "both in one zoom-16 tile")
	now := clk.Now()
	newVehicle(t, n, 1).denm(t, v2x.DENMSpec{Cause: v2x.CauseAccident, Pos: a, Detection: now, Reference: now, At: now})
	newVehicle(t, n, 2).denm(t, v2x.DENMSpec{Cause: v2x.CauseObstacle, Pos: b, Detection: now, Reference: now, At: now})
	testutil.CheckFor(t, 5*time.Second, func() error {
		if len(n.Hazards().Active()) != 2 {
			return errNotYet
		}
		return nil
	})
	late := subscribe(t, connect(t, "tcp://"+n.MQTTAddr(), "late"), denmFilter(n, here, 16))
	got := map[uint8]bool{}
	for len(got) < 2 {
		d, _ := nextDENM(t, late)
		c, _ := d.Cause()
		got[c] = true
	}
	require.Equal(t, map[uint8]bool{v2x.CauseAccident: true, v2x.CauseObstacle: true}, got)
}

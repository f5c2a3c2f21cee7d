package report

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// A broken-down car at hz, blocking eastbound traffic (heading 90°) from 5 s to 95 s.
var (
	hz        = geo.Point{Lat: 45.76, Lon: 4.83}
	breakdown = Incident{Index: 0, ID: "breakdown", Kind: "stopped_vehicle", Causes: []uint8{94, 91, 2}, Start: 5,
		Pos: hz, HeadingDeg: 90, HasHeading: true}
)

// published is one hazard an edge raised, and how many vehicles received it.
type published struct {
	edge      string
	seq       uint16
	cause     uint8
	bearing   float64 // where: this bearing and distance from hz
	distM     float64
	heading   float64 // the event's heading, when hasHdg
	hasHdg    bool
	t         float64 // first publication, s
	delivered int
}

func at(p geo.Point, bearing, d float64) geo.Point { return geo.Destination(p, bearing, d) }

func fixture(t *testing.T, incidents []Incident, ended map[int]float64, pubs []published, not []NotHappened) *Report {
	t.Helper()
	start := time.Now().Truncate(time.Millisecond)
	c := New(Options{Start: start})
	for i := range 10 {
		c.Vehicle(i, "e1", uint32(100+i))
	}
	for _, in := range incidents {
		c.Injected(in)
	}
	for i, e := range ended {
		c.InjectedEnded(i, e)
	}
	for _, n := range not {
		c.NotHappened(n)
	}
	for _, p := range pubs {
		pos := at(hz, p.bearing, p.distM)
		d := v2x.NewDENM(v2x.DENMSpec{SourceUUID: "michi_" + p.edge, StationID: 1, StationType: v2x.StationRoadSideUnit,
			ActionID: v2x.ActionID{OriginatingStationID: 1, SequenceNumber: p.seq}, Cause: p.cause, Pos: pos,
			HeadingDeg: p.heading, HasHeading: p.hasHdg, AwarenessRadiusM: 200,
			At: start.Add(time.Duration(p.t * float64(time.Second)))})
		c.Published(p.edge, d, v2x.Topic{Root: "michi", Queue: v2x.OutQueue, Type: v2x.TypeDENM, Quadkey: geo.Quadkey(pos, 16)})
		for v := range p.delivered {
			c.Delivered(v, p.edge, Alert{DENM: d, Received: start.Add(time.Duration((p.t + 0.01) * float64(time.Second)))})
		}
	}
	c.Step(120, nil, false)
	return c.Report()
}

func f(v float64) *float64 { return &v }

func TestDetectionQuality(t *testing.T) {
	slow := Incident{Index: 1, ID: "slow", Kind: "slow_vehicle", Start: 5, Pos: at(hz, 0, 3000)}
	for _, tc := range []struct {
		name      string
		incidents []Incident
		ended     map[int]float64
		pubs      []published
		not       []NotHappened
		want      Quality
		dupHazard int // duplicates of incident 0
		conseq    int // consequences of incident 0
	}{
		{name: "detected once",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 1, cause: 94, t: 12, delivered: 3}},
			want: Quality{Raised: 1, Matched: 1, Precision: f(1), Incidents: 1, Detected: 1, Recall: f(1),
				TimeToDetectS: Delay{N: 1, P50: 7, Max: 7}}},
		{name: "a phantom far away is warned to vehicles",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 1, cause: 94, bearing: 0, distM: 2000, t: 12, delivered: 4}},
			want:      Quality{Raised: 1, Phantom: 1, PhantomWarnings: 4, Precision: f(0), Incidents: 1, Recall: f(0)}},
		{name: "a stopped vehicle 100 m away is another vehicle: a phantom",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 1, cause: 94, bearing: 270, distM: 100, t: 12, delivered: 1}},
			want:      Quality{Raised: 1, Phantom: 1, PhantomWarnings: 1, Precision: f(0), Incidents: 1, Recall: f(0)}},
		{name: "a stopped vehicle before the breakdown is a phantom",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 1, cause: 94, t: 2}},
			want:      Quality{Raised: 1, Phantom: 1, Precision: f(0), Incidents: 1, Recall: f(0)}},
		{name: "two hazards from one edge: one duplicate",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 1, cause: 94, t: 8}, {edge: "e1", seq: 2, cause: 94, bearing: 90, distM: 40, t: 20}},
			want: Quality{Raised: 2, Matched: 2, Duplicates: 1, Precision: f(1), Incidents: 1, Detected: 1, Recall: f(1),
				TimeToDetectS: Delay{N: 1, P50: 3, Max: 3}},
			dupHazard: 1},
		{name: "one hazard each from two edges: no duplicate",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 1, cause: 94, t: 8}, {edge: "e2", seq: 1, cause: 94, t: 9}},
			want: Quality{Raised: 2, Matched: 2, Precision: f(1), Incidents: 1, Detected: 1, Recall: f(1),
				TimeToDetectS: Delay{N: 1, P50: 3, Max: 3}}},
		{name: "the end of the queue upstream is a consequence, not a duplicate",
			incidents: []Incident{breakdown},
			pubs: []published{{edge: "e1", seq: 1, cause: 94, t: 8},
				{edge: "e1", seq: 2, cause: 27, bearing: 270, distM: 200, heading: 90, hasHdg: true, t: 30}},
			want: Quality{Raised: 2, Matched: 2, Precision: f(1), Incidents: 1, Detected: 1, Recall: f(1),
				TimeToDetectS: Delay{N: 1, P50: 3, Max: 3}},
			conseq: 1},
		{name: "an end of queue alone does not detect the breakdown",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 2, cause: 27, bearing: 250, distM: 300, t: 30}},
			want:      Quality{Raised: 1, Matched: 1, Precision: f(1), Incidents: 1, Recall: f(0)},
			conseq:    1},
		{name: "two ends of queue upstream: one duplicate",
			incidents: []Incident{breakdown},
			pubs: []published{{edge: "e1", seq: 2, cause: 27, bearing: 270, distM: 100, t: 30},
				{edge: "e1", seq: 3, cause: 27, bearing: 270, distM: 400, t: 60}},
			want:   Quality{Raised: 2, Matched: 2, Duplicates: 1, Precision: f(1), Incidents: 1, Recall: f(0)},
			conseq: 2, dupHazard: 1},
		{name: "an end of queue downstream is a phantom",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 2, cause: 27, bearing: 90, distM: 200, t: 30, delivered: 2}},
			want:      Quality{Raised: 1, Phantom: 1, PhantomWarnings: 2, Precision: f(0), Incidents: 1, Recall: f(0)}},
		{name: "an end of queue beyond 500 m is a phantom",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 2, cause: 27, bearing: 270, distM: 650, t: 30}},
			want:      Quality{Raised: 1, Phantom: 1, Precision: f(0), Incidents: 1, Recall: f(0)}},
		{name: "an end of queue on the other carriageway is a phantom",
			incidents: []Incident{breakdown},
			pubs:      []published{{edge: "e1", seq: 2, cause: 27, bearing: 270, distM: 200, heading: 270, hasHdg: true, t: 30}},
			want:      Quality{Raised: 1, Phantom: 1, Precision: f(0), Incidents: 1, Recall: f(0)}},
		{name: "an end of queue after the breakdown cleared is a phantom",
			incidents: []Incident{breakdown}, ended: map[int]float64{0: 50},
			pubs: []published{{edge: "e1", seq: 2, cause: 27, bearing: 270, distM: 200, t: 70}},
			want: Quality{Raised: 1, Phantom: 1, Precision: f(0), Incidents: 1, Recall: f(0)}},
		{name: "nothing raised: no precision",
			incidents: []Incident{breakdown},
			want:      Quality{Incidents: 1, Recall: f(0)}},
		{name: "no detector for a slow vehicle: hazards around it are phantoms, it is not in recall",
			incidents: []Incident{breakdown, slow},
			pubs: []published{{edge: "e1", seq: 1, cause: 94, t: 8},
				{edge: "e1", seq: 2, cause: 27, bearing: 0, distM: 2900, t: 30, delivered: 1}},
			want: Quality{Raised: 2, Matched: 1, Phantom: 1, PhantomWarnings: 1, Precision: f(0.5), Incidents: 1, Detected: 1,
				Recall: f(1), TimeToDetectS: Delay{N: 1, P50: 3, Max: 3}}},
		{name: "an incident that did not happen is not in recall",
			not:  []NotHappened{{ID: "breakdown", Kind: "stopped_vehicle", Reason: "never inserted"}},
			pubs: []published{{edge: "e1", seq: 1, cause: 94, t: 8}},
			want: Quality{Raised: 1, Phantom: 1, Precision: f(0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fixture(t, tc.incidents, tc.ended, tc.pubs, tc.not)
			got := r.Detection.Overall
			got.delays = nil
			require.Equal(t, tc.want, got)
			require.Equal(t, got.Raised, got.Matched+got.Phantom)
			require.Len(t, r.OtherHazards, got.Phantom, "the phantoms are the other hazards")
			require.Len(t, r.Detection.NotHappened, len(tc.not))
			if len(tc.incidents) > 0 {
				h := r.Hazards[0]
				require.Equal(t, tc.dupHazard, h.Duplicates)
				require.Len(t, h.Consequences, tc.conseq)
				require.Equal(t, got.Detected == 1, h.Detected)
			}
		})
	}
}

func TestDetectionByCause(t *testing.T) {
	r := fixture(t, []Incident{breakdown}, nil, []published{
		{edge: "e1", seq: 1, cause: 94, t: 8},
		{edge: "e1", seq: 2, cause: 94, distM: 10, t: 9},
		{edge: "e1", seq: 3, cause: 97, bearing: 180, distM: 900, t: 20, delivered: 5},
		{edge: "e1", seq: 4, cause: 27, bearing: 270, distM: 150, t: 40},
		{edge: "e1", seq: 5, cause: 94, bearing: 0, distM: 800, t: 40, delivered: 2},
	}, nil)
	require.Len(t, r.Detection.ByCause, 3)
	q := map[uint8]Quality{}
	for _, c := range r.Detection.ByCause {
		c.delays = nil
		q[c.Cause] = c
	}
	require.Equal(t, Quality{Cause: 27, Raised: 1, Matched: 1, Precision: f(1)}, q[27])
	require.Equal(t, Quality{Cause: 94, Raised: 3, Matched: 2, Phantom: 1, Duplicates: 1, PhantomWarnings: 2, Precision: f(0.6667),
		Incidents: 1, Detected: 1, Recall: f(1), TimeToDetectS: Delay{N: 1, P50: 3, Max: 3}}, q[94])
	require.Equal(t, Quality{Cause: 97, Raised: 1, Phantom: 1, PhantomWarnings: 5, Precision: f(0)}, q[97])
	o := r.Detection.Overall
	require.Equal(t, 5, o.Raised)
	require.Equal(t, 7, o.PhantomWarnings)
	require.InDelta(t, 0.6, *o.Precision, 1e-9)
	require.Equal(t, []uint8{27, 94, 97}, []uint8{r.Detection.ByCause[0].Cause, r.Detection.ByCause[1].Cause, r.Detection.ByCause[2].Cause})

	var buf bytes.Buffer
	require.NoError(t, r.WriteHTML(&buf))
	page := buf.String()
	require.Contains(t, page, "<h2>Detection quality</h2>")
	require.Contains(t, page, "<td>94</td><td>3</td><td>2</td><td>1</td><td>1</td><td>2</td><td>66.7\u00a0%</td>", "a percentage never breaks before its sign")
	require.Contains(t, page, "<td><b>all</b></td><td>5</td><td>3</td><td>2</td><td>1</td><td>7</td><td>60.0\u00a0%</td>")
}

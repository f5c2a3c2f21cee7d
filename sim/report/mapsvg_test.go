package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

// demoMap is the demo's world as the report draws it: a 4 km motorway 1.5 km south of a
// 6×6 district, sensors with their range, hazards with relevance circles reaching past the
// roads (the motorway's ends), and three hazards whose labels would land on one another.
func demoMap() *Map {
	origin := geo.Point{Lat: 45.7578, Lon: 4.8320}
	at := func(east, north float64) geo.Point {
		return geo.Destination(geo.Destination(origin, 90, east), 0, north)
	}
	m := &Map{}
	for x := -2000.0; x < 2000; x += 100 {
		m.Lanes = append(m.Lanes, [2]geo.Point{at(x, -1500), at(x+100, -1500)})
	}
	for i := range 7 {
		d := -450 + 150*float64(i)
		m.Lanes = append(m.Lanes, [2]geo.Point{at(-450, 500+d), at(450, 500+d)}, [2]geo.Point{at(d, 50), at(d, 950)})
	}
	for i, x := range []float64{-1000, 0, 1000, 1800} {
		m.Sensors = append(m.Sensors, MapSensor{ID: fmt.Sprintf("a7-km%d", i+1), Pos: at(x, -1488), RangeM: 200})
	}
	m.Sensors = append(m.Sensors, MapSensor{ID: "bellecour", Pos: at(-75, 425), RangeM: 120})
	m.Hazards = []MapHazard{
		{ID: "road-works-rue-merciere", Pos: at(0, 577), RadiusM: 300},
		{ID: "breakdown-a7", Pos: at(800, -1505), RadiusM: 500},
		{ID: "pedestrian-bellecour", Pos: at(-75, 465), RadiusM: 150},
		{ID: "debris-a7-south", Pos: at(-600, -1498), RadiusM: 500},
		{ID: "black-ice-quai", Pos: at(225, 575), RadiusM: 300},
		{ID: "ghost-driver-a7", Pos: at(1800, -1502), RadiusM: 1000},
		{ID: "stalled-at-the-very-same-spot", Pos: at(0, 580), RadiusM: 100},
	}
	m.Warned = []geo.Point{at(-1990, -1500), at(10, 600)}
	m.Missed = []geo.Point{at(1990, -1500)}
	return m
}

// TestMapFitsEverythingItDraws: every road end, circle (sensor range, relevance radius) and
// marker lies inside the map (the motorway and its hazards' circles were clipped).
func TestMapFitsEverythingItDraws(t *testing.T) {
	for name, m := range map[string]*Map{
		"demo":        demoMap(),
		"one hazard":  {Hazards: []MapHazard{{ID: "x", Pos: geo.Point{Lat: 48, Lon: 11}, RadiusM: 300}}},
		"a long road": {Lanes: [][2]geo.Point{{{Lat: 48, Lon: 11}, {Lat: 48, Lon: 11.2}}}, Hazards: []MapHazard{{ID: "far-east-end", Pos: geo.Point{Lat: 48, Lon: 11.2}, RadiusM: 800}}},
	} {
		t.Run(name, func(t *testing.T) {
			l, ok := layoutMap(m)
			require.True(t, ok)
			frame := box{0, 0, l.w, l.h}
			require.LessOrEqual(t, l.h, mapMaxH)
			require.NotEmpty(t, l.shapes)
			for _, s := range l.shapes {
				require.True(t, s.inside(frame), "%+v inside %+v", s, frame)
			}
			// the SVG draws what the layout says: every circle's extent inside its viewBox
			out := (&Report{Map: *m}).mapSVG()
			for _, c := range regexp.MustCompile(`<circle cx="([-\d.]+)" cy="([-\d.]+)" r="([-\d.]+)"`).FindAllStringSubmatch(out, -1) {
				x, y, r := num(t, c[1]), num(t, c[2]), num(t, c[3])
				require.True(t, circleOf(x, y, r).inside(box{-0.1, -0.1, l.w + 0.1, l.h + 0.1}), "circle %v", c[0])
			}
		})
	}
}

// TestMapLabelsDoNotOverlap: the labels placed by the collision rule lie inside the map,
// overlap no other label and no hazard marker, and a label with no room is named under it.
func TestMapLabelsDoNotOverlap(t *testing.T) {
	m := demoMap()
	l, ok := layoutMap(m)
	require.True(t, ok)
	frame := box{0, 0, l.w, l.h}
	require.Equal(t, len(m.Hazards), len(l.labels)+len(l.omitted), "every hazard is labelled or named")
	require.GreaterOrEqual(t, len(l.labels), len(m.Hazards)-1, "the demo's hazards find room")
	for i, a := range l.labels {
		require.True(t, a.at.inside(frame), "label %q inside the map", a.text)
		for _, b := range l.labels[i+1:] {
			require.False(t, a.at.overlaps(b.at), "labels %q and %q overlap", a.text, b.text)
		}
		for _, mk := range l.markers {
			require.False(t, a.at.overlaps(mk), "label %q covers a hazard marker", a.text)
		}
	}
	out := (&Report{Map: *m}).mapSVG()
	require.Equal(t, len(l.labels), strings.Count(out, `<text class="label"`))
	for _, o := range l.omitted {
		require.Contains(t, out, o, "a label with no room is named under the map")
	}

	// Crowded: twenty hazards on one spot. Some find no room; none overlaps; all are named.
	crowd := &Map{}
	for i := range 20 {
		crowd.Hazards = append(crowd.Hazards, MapHazard{ID: fmt.Sprintf("hazard-number-%02d", i), Pos: geo.Point{Lat: 48, Lon: 11}, RadiusM: 50})
	}
	l, _ = layoutMap(crowd)
	require.NotEmpty(t, l.omitted)
	for i, a := range l.labels {
		for _, b := range l.labels[i+1:] {
			require.False(t, a.at.overlaps(b.at))
		}
	}
	out = (&Report{Map: *crowd}).mapSVG()
	require.Contains(t, out, "Not labelled for lack of room")
}

// A delivery to a vehicle whose position was never known is not drawn at 0°N 0°E, which
// would shrink the roads to a dot.
func TestMapSkipsUnknownPositions(t *testing.T) {
	m := demoMap()
	m.False = append(m.False, geo.Point{})
	l, ok := layoutMap(m)
	require.True(t, ok)
	require.LessOrEqual(t, l.bar, 2000.0, "the scale bar of a few-km map, got %v m", l.bar)
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return v
}

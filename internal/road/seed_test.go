package road

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
)

// The netgenerate grid michi-sim's SUMO scenario runs: 5×5 junctions 150 m apart, one lane each
// way, no geo-projection.
const gridNet = "../../sim/scenarios/sumo/grid.net.xml"

func TestSeedFromSUMONet(t *testing.T) {
	_, err := LoadMap(gridNet, geo.Point{})
	require.ErrorContains(t, err, "no geo-projection")

	origin := geo.Point{Lat: 45.7578, Lon: 4.832}
	md := New(Options{Map: gridNet, MapOrigin: origin})
	lanes, err := md.SeedFromMap()
	require.NoError(t, err)
	require.Greater(t, lanes, 40)
	pr := geo.NewProjection(origin)

	// Mid-block on a street, with nothing learned from traffic: known, one way per lane.
	east := md.Flow(pr.ToPoint(100, -1.6), 90)
	west := md.Flow(pr.ToPoint(100, 1.6), 270)
	require.True(t, east.Known || west.Known)
	f := md.FlowNear(pr.ToPoint(100, 0), 3, 90)
	require.True(t, f.Known)
	require.InDelta(t, 0.5, f.Along, 0.1, "one lane each way")
	require.True(t, md.Junction(pr.ToPoint(150, 150), 5), "a junction of the map")
	require.False(t, md.Junction(pr.ToPoint(75, 150), 5))
	require.Equal(t, "right", md.Stats().Side)
}

func TestSeedFromGeoJSON(t *testing.T) {
	origin := geo.Point{Lat: 35.6812, Lon: 139.7671}
	pr := geo.NewProjection(origin)
	a, b := pr.ToPoint(-300, 0), pr.ToPoint(300, 0)
	j, s := pr.ToPoint(0, 0), pr.ToPoint(-20, 1.6)
	doc := `{"type":"FeatureCollection","features":[
	 {"type":"Feature","geometry":{"type":"LineString","coordinates":[[` + ll(a) + `],[` + ll(b) + `]]},"properties":{"direction":"both","keep":"left"}},
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[` + ll(j) + `]},"properties":{"junction_radius_m":12}},
	 {"type":"Feature","geometry":{"type":"Point","coordinates":[` + ll(s) + `]},"properties":{"stop":true}}]}`
	path := filepath.Join(t.TempDir(), "roads.geojson")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	md := New(Options{Map: path})
	lanes, err := md.SeedFromMap()
	require.NoError(t, err)
	require.Equal(t, 2, lanes)
	require.Equal(t, 1.0, md.Flow(pr.ToPoint(100, 1.6), 90).Along, "eastbound keeps left: north of the axis")
	require.Equal(t, 1.0, md.Flow(pr.ToPoint(100, -1.6), 90).Against)
	require.True(t, md.Junction(j, 2))
	z := md.Stops(s, 1)
	require.True(t, z.Routine())
	require.Equal(t, MapStopDwell, z.Dwell)
	require.Equal(t, "left", md.Stats().Side)

	require.NoError(t, os.WriteFile(path, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[0,1]]},"properties":{"direction":"sideways"}}]}`), 0o644))
	_, err = LoadMap(path, geo.Point{})
	require.ErrorContains(t, err, "direction")
}

func ll(p geo.Point) string {
	return strconvF(p.Lon) + "," + strconvF(p.Lat)
}

func strconvF(f float64) string { return strconv.FormatFloat(f, 'f', 8, 64) }

package road

import (
	"os"
	"testing"

	"github.com/michi-v2x/michi/pkg/geo"
)

// FuzzParseMap feeds road maps of either format to their parsers: an error or a map, never a
// panic; a map seeds a model without one either.
func FuzzParseMap(f *testing.F) {
	if b, err := os.ReadFile(gridNet); err == nil {
		f.Add(b, true)
	}
	f.Add([]byte(`<net><location netOffset="0,0" projParameter="+proj=tmerc +lat_0=45 +lon_0=4 +k=1 +x_0=0 +y_0=0"/><edge id="a" to="j"><lane shape="0,0 100,0"/></edge><junction id="j" type="traffic_light" x="100" y="0" shape="95,-5 105,5"/></net>`), true)
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[4.83,45.75],[4.84,45.75]]},"properties":{"direction":"both","keep":"left"}},{"type":"Feature","geometry":{"type":"Point","coordinates":[4.835,45.75]},"properties":{"junction_radius_m":12,"stop":true}}]}`), false)
	f.Fuzz(func(t *testing.T, b []byte, sumo bool) {
		var m Map
		var err error
		if sumo {
			m, err = parseSUMO(b, geo.Point{Lat: 45.75, Lon: 4.83})
		} else {
			m, err = parseGeoJSON(b)
		}
		if err != nil {
			return
		}
		New(Options{MaxCells: 1 << 12}).Seed(m)
	})
}

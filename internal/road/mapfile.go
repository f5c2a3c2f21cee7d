package road

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/michi-v2x/michi/pkg/geo"
)

// ErrMapFormat is returned for a map file LoadMap cannot read.
var ErrMapFormat = errors.New("road map")

// LoadMap reads a road network: a SUMO network (.net.xml) or GeoJSON (.geojson, .json).
// origin places a SUMO network without a geo-projection (network (0,0) = origin, as michi-sim
// does); a network with a transverse Mercator projection (as netconvert --proj writes it) needs
// none.
//
// GeoJSON: every LineString (or MultiLineString) is a lane centreline in its direction of travel;
// with "direction": "both" it is the axis of a two-way road with one lane each way, 1.6 m to
// either side, traffic keeping to "keep": "right" (default) or "left". A Point with
// "junction_radius_m" is a junction area; a Point with "stop": true a stop line.
func LoadMap(path string, origin geo.Point) (Map, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Map{}, fmt.Errorf("%w: %v", ErrMapFormat, err)
	}
	if strings.HasSuffix(path, ".xml") {
		return parseSUMO(b, origin)
	}
	return parseGeoJSON(b)
}

type sumoNet struct {
	Location struct {
		NetOffset string `xml:"netOffset,attr"`
		Proj      string `xml:"projParameter,attr"`
	} `xml:"location"`
	Edges []struct {
		Function string `xml:"function,attr"`
		To       string `xml:"to,attr"`
		Lanes    []struct {
			Shape string `xml:"shape,attr"`
		} `xml:"lane"`
	} `xml:"edge"`
	Junctions []struct {
		ID    string  `xml:"id,attr"`
		Type  string  `xml:"type,attr"`
		Shape string  `xml:"shape,attr"`
		X     float64 `xml:"x,attr"`
		Y     float64 `xml:"y,attr"`
	} `xml:"junction"`
}

// parseSUMO reads lanes (internal ones excepted), junctions (their shape's extent) and the ends
// of the lanes that enter signalised junctions.
func parseSUMO(b []byte, origin geo.Point) (Map, error) {
	var n sumoNet
	if err := xml.Unmarshal(b, &n); err != nil {
		return Map{}, fmt.Errorf("%w: sumo net: %v", ErrMapFormat, err)
	}
	toPoint, err := sumoProjection(n.Location.Proj, n.Location.NetOffset, origin)
	if err != nil {
		return Map{}, err
	}
	var m Map
	signals := map[string]bool{}
	for _, j := range n.Junctions {
		switch j.Type {
		case "internal", "dead_end":
			continue
		case "traffic_light", "traffic_light_right_on_red", "allway_stop":
			signals[j.ID] = true
		}
		c := toPoint(j.X, j.Y)
		r := 5.0
		for _, p := range parseShape(j.Shape) {
			r = max(r, math.Hypot(p[0]-j.X, p[1]-j.Y))
		}
		m.Junctions = append(m.Junctions, Area{Center: c, RadiusM: r})
	}
	for _, e := range n.Edges {
		if e.Function == "internal" {
			continue
		}
		for _, l := range e.Lanes {
			var lane []geo.Point
			for _, p := range parseShape(l.Shape) {
				lane = append(lane, toPoint(p[0], p[1]))
			}
			if len(lane) < 2 {
				continue
			}
			m.Lanes = append(m.Lanes, lane)
			if signals[e.To] {
				m.StopLines = append(m.StopLines, lane[len(lane)-1])
			}
		}
	}
	if len(m.Lanes) == 0 {
		return Map{}, fmt.Errorf("%w: sumo net has no lanes", ErrMapFormat)
	}
	return m, nil
}

// sumoProjection maps network coordinates to WGS84.
func sumoProjection(proj, offset string, origin geo.Point) (func(x, y float64) geo.Point, error) {
	if proj == "!" || proj == "" {
		if !origin.Valid() || origin == (geo.Point{}) {
			return nil, fmt.Errorf("%w: the sumo net has no geo-projection: give its origin (network (0,0))", ErrMapFormat)
		}
		pr := geo.NewProjection(origin)
		return pr.ToPoint, nil
	}
	var lat0, lon0 float64
	var tmerc bool
	for _, f := range strings.Fields(proj) {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "+proj":
			tmerc = v == "tmerc"
		case "+lat_0":
			lat0, _ = strconv.ParseFloat(v, 64)
		case "+lon_0":
			lon0, _ = strconv.ParseFloat(v, 64)
		case "+x_0", "+y_0":
			if v != "0" {
				tmerc = false
			}
		}
	}
	if !tmerc {
		return nil, fmt.Errorf("%w: projection %q: only +proj=tmerc centred on its lat_0/lon_0 (as michi-sim writes) or none", ErrMapFormat, proj)
	}
	off := parseShape(offset)
	if len(off) != 1 {
		return nil, fmt.Errorf("%w: netOffset %q", ErrMapFormat, offset)
	}
	// Over an edge's few kilometres the tangent plane at the projection's centre and the
	// transverse Mercator agree to centimetres.
	pr := geo.NewProjection(geo.Point{Lat: lat0, Lon: lon0})
	return func(x, y float64) geo.Point { return pr.ToPoint(x-off[0][0], y-off[0][1]) }, nil
}

// parseShape reads SUMO's "x,y x,y …".
func parseShape(s string) [][2]float64 {
	var out [][2]float64
	for _, f := range strings.Fields(s) {
		xs, ys, ok := strings.Cut(f, ",")
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(strings.Split(ys, ",")[0], 64)
		if ok && err1 == nil && err2 == nil {
			out = append(out, [2]float64{x, y})
		}
	}
	return out
}

type geoJSON struct {
	Type     string `json:"type"`
	Features []struct {
		Geometry struct {
			Type        string          `json:"type"`
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
		Properties struct {
			Direction string  `json:"direction"`
			Keep      string  `json:"keep"`
			Junction  float64 `json:"junction_radius_m"`
			Stop      bool    `json:"stop"`
		} `json:"properties"`
	} `json:"features"`
}

func parseGeoJSON(b []byte) (Map, error) {
	var g geoJSON
	if err := json.Unmarshal(b, &g); err != nil || g.Type != "FeatureCollection" {
		return Map{}, fmt.Errorf("%w: geojson: want a FeatureCollection (%v)", ErrMapFormat, err)
	}
	var m Map
	for i, f := range g.Features {
		var lines [][][2]float64
		switch f.Geometry.Type {
		case "Point":
			var c [2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &c); err != nil {
				return Map{}, fmt.Errorf("%w: feature %d: %v", ErrMapFormat, i, err)
			}
			p := geo.Point{Lat: c[1], Lon: c[0]}
			if f.Properties.Junction > 0 {
				m.Junctions = append(m.Junctions, Area{Center: p, RadiusM: f.Properties.Junction})
			}
			if f.Properties.Stop {
				m.StopLines = append(m.StopLines, p)
			}
			continue
		case "LineString":
			var l [][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &l); err != nil {
				return Map{}, fmt.Errorf("%w: feature %d: %v", ErrMapFormat, i, err)
			}
			lines = append(lines, l)
		case "MultiLineString":
			if err := json.Unmarshal(f.Geometry.Coordinates, &lines); err != nil {
				return Map{}, fmt.Errorf("%w: feature %d: %v", ErrMapFormat, i, err)
			}
		default:
			continue
		}
		for _, l := range lines {
			var lane []geo.Point
			for _, c := range l {
				lane = append(lane, geo.Point{Lat: c[1], Lon: c[0]})
			}
			if len(lane) < 2 {
				continue
			}
			switch f.Properties.Direction {
			case "", "forward":
				m.Lanes = append(m.Lanes, lane)
			case "backward":
				m.Lanes = append(m.Lanes, reversed(lane))
			case "both":
				side := 1.6
				if f.Properties.Keep == "left" {
					side = -side
				}
				m.Lanes = append(m.Lanes, offset(lane, side), reversed(offset(lane, -side)))
			default:
				return Map{}, fmt.Errorf("%w: feature %d: direction %q: want forward, backward or both", ErrMapFormat, i, f.Properties.Direction)
			}
		}
	}
	if len(m.Lanes) == 0 {
		return Map{}, fmt.Errorf("%w: geojson has no LineString lanes", ErrMapFormat)
	}
	return m, nil
}

func reversed(l []geo.Point) []geo.Point {
	out := make([]geo.Point, len(l))
	for i, p := range l {
		out[len(l)-1-i] = p
	}
	return out
}

// offset moves a line sideways by metres (positive: to the right of its direction).
func offset(l []geo.Point, metres float64) []geo.Point {
	out := make([]geo.Point, len(l))
	for i, p := range l {
		a, b := l[max(0, i-1)], l[min(len(l)-1, i+1)]
		out[i] = geo.Destination(p, geo.Bearing(a, b)+90, metres)
	}
	return out
}

// Package geo is michi's public geometry toolkit: WGS84 points and boxes, great-circle distance,
// bearing and destination on a sphere of mean radius EarthRadiusM, a local East-North-Up tangent
// plane on the WGS84 ellipsoid, Bing Maps quadkeys, and Index, a spatial index with an API in
// metres: points grouped in fixed ~400 m grid cells, the cells in a github.com/tidwall/rtree.
//
// Conventions: latitude and longitude are degrees (WGS84), distances metres, bearings and headings
// degrees clockwise from north in [0,360). A Box whose Min.Lon is greater than its Max.Lon crosses
// the antimeridian (as a GeoJSON bbox does, RFC 7946 §5.2); every function here that takes a Box
// handles that form.
//
// Two earth models, each where it is the better fit: Distance, Bearing, Destination, BoxAround,
// TilesCoveringCircle and Index use a sphere (haversine, R = 6371008.8 m, error up to ~0.5 %
// against the ellipsoid) because that is what radius filters and relevance areas need and it is
// fast; Projection uses the WGS84 ellipsoid because it converts metres measured by real sensors
// into real GNSS coordinates, where 0.5 % is 50 cm at 100 m.
//
// This package is a compatibility promise to vehicle and tool authors. It imports only the
// standard library and github.com/tidwall/rtree, and must never import anything from michi.
package geo

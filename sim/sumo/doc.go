// Package sumo brings traffic from Eclipse SUMO into michi-sim: it reads SUMO floating-car data
// (FCD, `<fcd-export><timestep time=…><vehicle id x y angle speed …/>…`), either a file or SUMO's
// live output to a TCP socket, and it can run SUMO itself for a scenario.
//
// Coordinates: with `--fcd-output.geo` SUMO writes x = longitude and y = latitude, which needs
// a network with a geo-projection (OSM imports have one). Networks made by netgenerate have none
// (`projParameter="!"`); a scenario puts such a network on the map in one of two ways:
//
//   - geo: false — the FCD's x/y metres are taken as metres east/north of the scenario origin
//     (network coordinate (0,0) lands on the origin);
//   - project it: `netconvert -s grid.net.xml --proj "+proj=tmerc +lat_0=LAT +lon_0=LON +k=1
//     +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs" -o grid.geo.net.xml` gives it a transverse
//     Mercator projection centred on the origin, after which `--fcd-output.geo` is exact. When a
//     scenario runs SUMO on a network without projection, Open does this itself (netconvert must
//     be installed, it comes with sumo).
//
// Pacing: a Source hands out, at each virtual time t, the latest FCD timestep at or before
// t + Begin; reading a live socket at that pace makes SUMO wait (TCP back-pressure), so SUMO runs
// in step with the wall clock.
//
// Incidents: a run on a net can have SUMO make incidents happen (a breakdown: a vehicle of
// michi-sim's own with a <stop>, in a route file written here); what really happened is read
// back from the FCD (the vehicle standing at its stop) and handed out by Source.Incidents.
// ReadNet reads what is needed of a network for that.
//
// It imports pkg/geo and sim only.
package sumo

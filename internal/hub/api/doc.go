// Package api is the cloud hub's HTTP interface: JSON, GeoJSON (RFC 7946: coordinates and
// bbox in lon,lat order) and CSV over the hub's store, the authority-hazard endpoints, a
// Server-Sent Events stream, /metrics and /healthz.
//
//	GET    /healthz                       {"status":"ok","backend":…}; 503 when the database does not answer
//	GET    /metrics                       Prometheus, the hub's own registry
//	GET    /api/v1/edges                  every edge with connection state and latest health; ?format=geojson: coverage polygons
//	GET    /api/v1/edges/{id}/health      health history (?from=&to=&limit=&format=csv) for hand-off and load plots
//	GET    /api/v1/hazards                current hazards, edge and authority (?bbox=&active=&since=&edge=&origin=all|edge|authority&limit=&format=csv)
//	GET    /api/v1/hazards/{id}           one authority hazard
//	POST   /api/v1/hazards                issue or update an authority hazard (bearer token); {"id","terminate":true} terminates
//	DELETE /api/v1/hazards/{id}           terminate an authority hazard everywhere (bearer token)
//	GET    /api/v1/hazard-events          hazard history (?bbox=&from=&to=&edge=&cause=&limit=&format=csv), default the last 24 h
//	GET    /api/v1/traffic                count and mean speed per zoom-16 tile and bucket (?bbox=&from=&to=&bucket=1m…31d&edge=&geometry=polygon|point&format=csv)
//	GET    /api/v1/stream                 Server-Sent Events: hazard, traffic, edge, authority (?types=)
//
// Health samples (edges, health, the stream's edge events) carry clients (MQTT connections and
// native sessions: vehicles, sensors, tools), vehicles (self-reporting vehicles the edge tracks)
// and alert_handoff_p50_ms / alert_handoff_p99_ms: the edge's part of alert latency, from
// accepting an event to handing the alert to the transports, over one health interval (0 when
// no alert went out in it). Alert latency itself ends at the vehicle; the edge cannot see it
// (docs/metrics.md).
//
// Parameters: bbox=minLon,minLat,maxLon,maxLat (minLon > maxLon crosses the antimeridian);
// times are RFC 3339, Unix milliseconds, or a negative duration relative to now (since=-15m).
// An unknown parameter or a bad value is a 400 {"error": …, "field": …}; so is every invalid
// field of a POST body. Lists stop at limit (default 10,000) and say "truncated": true.
//
// Authority hazards may carry only the causes a road authority issues (3 roadworks,
// 5 impassability, 17 extremeWeather, 18 visibility, 19 precipitation). Without a configured
// token the write endpoints answer 403: nobody can push hazards to vehicles by default.
//
// The stream never slows ingest: Broker.Publish does not block, each subscriber has a bounded
// buffer, and one that falls behind is sent "event: dropped" and disconnected (it may
// reconnect and re-read the REST endpoints). A stream carries the events of the hub replica it
// is connected to.
//
// This package imports internal/hub/store, internal/uplink (record types), internal/alertlatency
// (names) and pkg/…; the
// Downlink it calls is an interface the hub fills in. It must not import the edge.
package api

// Package harness is the load and latency tool behind cmd/michi-bench: N vehicles publishing
// CAM telemetry at R Hz over one transport (MQTT over TCP, WebSocket or QUIC, or michi's native
// QUIC protocol), a reporting sensor injecting hazards (DENM) at a set rate inside an area, and
// the report-to-alert latency from injection at the sensor to receipt at every vehicle that
// should get the alert, in an HDR histogram corrected for coordinated omission, and beside it
// alert latency as internal/alertlatency defines it (the target accepting the report →
// receipt). The same load runs against any MQTT broker in baseline mode, where the sensor
// relays each alert itself to the tiles it covers, as a plain relay would.
//
// What it owns:
//   - Options (one run's load) and BenchOptions (a sweep, the target and how it is started);
//   - the scenario geometry: vehicle positions, their tile subscriptions, hazard slots and the
//     expected recipients of each hazard (scenario.go);
//   - pre-encoded packets (payload.go) and a minimal raw MQTT v5 client (mqtt.go) whose packets
//     are encoded by mochi-mqtt's packets package;
//   - the generator (generator.go): a few writer loops, each owning a share of the vehicles on
//     a cyclic schedule, patching only the timestamp of a pre-encoded PUBLISH before writing it;
//   - the sensor (sensor.go), the collector (collector.go), process statistics (procstat.go),
//     target processes (launch.go) and results (result.go).
//
// The generator must cost far less CPU than what it measures, so nothing on the telemetry hot
// path allocates or encodes: see benchmarks/README.md for its limits.
//
// It may import internal packages (the edge, for in-process smoke tests and defaults); nothing
// but cmd/michi-bench imports it.
package harness

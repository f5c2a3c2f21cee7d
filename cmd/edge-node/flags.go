package main

import (
	"flag"

	"github.com/michi-v2x/michi/internal/cli"
	"github.com/michi-v2x/michi/internal/edge"
)

// bindFlags binds every edge-node flag onto its field of o: the one list of them. Each defaults
// to the zero value, which edge.Options reads as the default the usage names; cli.Load applies
// them over the --config file.
func bindFlags(fs *flag.FlagSet, o *edge.Options) {
	fs.StringVar(&o.MQTTAddr, "mqtt-addr", "", `MQTT over TCP listen address (default "127.0.0.1:1883"; "off" disables)`)
	fs.StringVar(&o.WSAddr, "ws-addr", "", `MQTT over WebSocket listen address (default "127.0.0.1:8083"; "off" disables)`)
	fs.StringVar(&o.HTTPAddr, "http-addr", "", `HTTP API, /metrics and /healthz address (default "127.0.0.1:8080"; "off" disables)`)
	fs.BoolVar(&o.HTTPTLS, "http-tls", false, "serve the HTTP address over HTTPS with the TLS listeners' certificate")
	fs.BoolVar(&o.AllowPlaintext, "allow-plaintext", false, "let the plaintext listeners (MQTT TCP, WebSocket, HTTP) listen beyond loopback")
	fs.BoolVar(&o.Pprof, "pprof", false, "serve Go's profiler at /debug/pprof/ on the HTTP address (keep it private)")
	fs.StringVar(&o.MQTTTLSAddr, "mqtt-tls-addr", "", `MQTT over TLS listen address (default "off")`)
	fs.StringVar(&o.WSSAddr, "wss-addr", "", `MQTT over WebSocket over TLS (wss) listen address (default "off")`)
	fs.StringVar(&o.MQTTQUICAddr, "mqtt-quic-addr", "", `MQTT over QUIC (ALPN mqtt, single stream) UDP address (default "127.0.0.1:14567"; "off" disables)`)
	fs.StringVar(&o.QUICAddr, "quic-addr", "", `native michi-v2x/1 QUIC UDP address (default "127.0.0.1:4433"; "off" disables)`)
	fs.StringVar(&o.TLSCert, "tls-cert", "", "PEM certificate for the TLS and QUIC listeners (default: a generated development certificate)")
	fs.StringVar(&o.TLSKey, "tls-key", "", "PEM private key for --tls-cert")
	fs.StringVar(&o.Root, "root", "", `topic root (default "michi")`)
	fs.StringVar(&o.EdgeID, "edge-id", "", `edge name (default "edge-1")`)
	fs.StringVar(&o.SourceUUID, "source-uuid", "", `source_uuid of the DENMs the edge originates (default "michi_" + edge id)`)
	cli.Uint32(fs, &o.StationID, "station-id", "ETSI station id of the edge (default: derived from the edge id)")
	fs.StringVar(&o.Credentials, "credentials", "", "credentials file: who may connect, as which source and role (default: everyone; 'edge-node credentials add' writes one; SIGHUP reloads it)")
	fs.StringVar(&o.SigningKey, "signing-key", "", "PEM PKCS#8 Ed25519 key alerts are signed with (default: DIR/signing.key of --data-dir, generated there once; else a key for this run)")
	fs.StringVar(&o.DataDir, "data-dir", "", "state directory (default: none; required with --hub: the uplink queue lives in DIR/uplink)")
	fs.StringVar(&o.HubAddr, "hub", "", "cloud hub uplink address host:port (QUIC, mutual TLS; default: no uplink)")
	fs.StringVar(&o.HubCA, "hub-ca", "", "PEM CA the hub's certificate chains to (ca.crt of 'cloud-hub pki init')")
	fs.StringVar(&o.EdgeCert, "edge-cert", "", "PEM client certificate of this edge ('cloud-hub pki issue-edge EDGE-ID')")
	fs.StringVar(&o.EdgeKey, "edge-key", "", "PEM private key for --edge-cert")
	fs.StringVar(&o.Coverage, "coverage", "", "area this edge serves, minLon,minLat,maxLon,maxLat (default: grown from the vehicles seen)")
	fs.StringVar(&o.Road.Map, "road-map", "", "seed the road model the detectors lean on from a road network: SUMO .net.xml or GeoJSON (default: learned from traffic only)")
	cli.Point(fs, &o.Road.MapOrigin, "road-map-origin", "lat,lon where network (0,0) of a --road-map SUMO net without geo-projection lies")
	cli.List(fs, &o.Limits.WSOrigins, "ws-origins", "browser origins allowed on the WebSocket listeners besides their own host, comma-separated host or scheme://host patterns (default: none)")
}

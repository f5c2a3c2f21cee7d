package benchmarks

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

var origin = geo.Point{Lat: 48.8566, Lon: 2.3522}

// fleet pre-encodes CAMs of `vehicles` vehicles spread over a 20 km square, one round at a time,
// each round 100 ms after the last, so every CAM is newer than its station's previous one (the
// edge rejects replays). Encoding happens outside the timer.
type fleet struct {
	pos      []geo.Point
	topics   []string
	base     time.Time
	round    int
	payloads [][]byte
}

func newFleet(vehicles int, base time.Time) *fleet {
	rng := rand.New(rand.NewPCG(1, 2))
	f := &fleet{base: base}
	for i := range vehicles {
		p := geo.Destination(geo.Destination(origin, 90, rng.Float64()*20_000), 0, rng.Float64()*20_000)
		f.pos = append(f.pos, p)
		f.topics = append(f.topics, v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeCAM,
			SourceID: fmt.Sprintf("com_car_%d", i+1), Quadkey: geo.Quadkey(p, 22)}.String())
	}
	return f
}

// next encodes the next round and returns its time.
func (f *fleet) next() time.Time {
	at := f.base.Add(time.Duration(f.round) * 100 * time.Millisecond)
	f.round++
	f.payloads = f.payloads[:0]
	for i, p := range f.pos {
		cam := v2x.NewCAM(v2x.CAMSpec{SourceUUID: fmt.Sprintf("com_car_%d", i+1), StationID: uint32(i + 1),
			StationType: v2x.StationPassengerCar, Pos: p, SpeedMPS: 25, HeadingDeg: float64(i % 360), At: at})
		f.payloads = append(f.payloads, cam.AppendJSON(nil))
	}
	return at
}

// BenchmarkIngestCAM measures decode + validate + index per CAM, the DESIGN target of
// ≥ 200k CAM/s per core: v2x.UnmarshalCAM, Validate, ldm.UpdateVehicle.
func BenchmarkIngestCAM(b *testing.B) {
	f := newFleet(10_000, time.Now())
	m := ldm.New(ldm.Options{VehicleTTL: time.Hour})
	b.ReportAllocs()
	b.ResetTimer()
	done := 0
	for done < b.N {
		b.StopTimer()
		f.next()
		b.StartTimer()
		for i := 0; i < len(f.payloads) && done < b.N; i, done = i+1, done+1 {
			cam, err := v2x.UnmarshalCAM(f.payloads[i])
			if err != nil {
				b.Fatal(err)
			}
			if err := cam.Validate(); err != nil {
				b.Fatal(err)
			}
			speed, _ := cam.Speed()
			heading, ok := cam.Heading()
			m.UpdateVehicle(ldm.VehicleState{StationID: cam.StationID(), StationType: uint8(cam.StationType()),
				Pos: cam.Position(), SpeedMPS: speed, HeadingDeg: heading, HeadingOK: ok, At: time.UnixMilli(cam.Timestamp)})
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "CAM/s")
}

// BenchmarkEdgeIngestCAM runs the edge node's whole ingest path per CAM — topic parse, decode,
// validate, source/clock/tile checks, replay check, LDM update — and, with forwarding on, the
// republish into the embedded broker's outQueue: skipped while nobody subscribes to telemetry,
// paid in full once a client subscribes to some (here: another tile's).
func BenchmarkEdgeIngestCAM(b *testing.B) {
	for _, c := range []struct {
		name              string
		forward, listener bool
	}{{"forward=false", false, false}, {"forward=true", true, false}, {"forward=true+subscriber", true, true}} {
		forward := c.forward
		b.Run(c.name, func(b *testing.B) {
			base := time.Now()
			f := newFleet(10_000, base)
			var now time.Time
			n := benchEdge(b, edge.Options{HTTPAddr: edge.Off, ForwardTelemetry: &forward}, &now)
			if c.listener {
				benchSubscriber(b, n, "michi/outQueue/v2x/cam/+/0/0/0/#")
			}
			b.ReportAllocs()
			b.ResetTimer()
			count := 0
			for count < b.N {
				b.StopTimer()
				now = f.next()
				b.StartTimer()
				for i := 0; i < len(f.payloads) && count < b.N; i, count = i+1, count+1 {
					if err := n.Ingest(f.topics[i], f.payloads[i]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "CAM/s")
		})
	}
}

// BenchmarkEdgeMQTTIngest sends CAMs over a real MQTT connection, one QoS 0 PUBLISH per write as
// vehicles do, and waits for the edge to have ingested each round (a PINGREQ after it is answered
// after everything before it). "direct": the connection's lane takes the publishes past the
// broker's read path (internal/broker/inbound.go); "broker": the same with a subscription that
// covers inQueue somewhere (no CAM matches it), so every publish goes the broker's way.
func BenchmarkEdgeMQTTIngest(b *testing.B) {
	for _, viaBroker := range []bool{false, true} {
		name := map[bool]string{false: "direct", true: "broker"}[viaBroker]
		b.Run(name, func(b *testing.B) {
			base := time.Now()
			f := newFleet(1_000, base)
			var now time.Time
			bind := false // one connection speaks for the whole fleet
			n := benchEdge(b, edge.Options{HTTPAddr: "127.0.0.1:0", BindSource: &bind}, &now)
			if viaBroker {
				benchSubscriber(b, n, "michi/inQueue/v2x/none/#")
			}
			conn, err := net.Dial("tcp", n.MQTTAddr())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			r := bufio.NewReader(conn)
			write := func(p []byte) {
				if _, err := conn.Write(p); err != nil {
					b.Fatal(err)
				}
			}
			await := func(typ byte) {
				h, err := r.ReadByte()
				if err != nil || h>>4 != typ {
					b.Fatalf("want packet type %d, got %#x, %v", typ, h, err)
				}
				rem, _, err := packets.DecodeLength(r)
				if err == nil {
					_, err = r.Discard(rem)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			var connect bytes.Buffer
			cp := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 5,
				Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60, ClientIdentifier: "fleet"}}
			if err := cp.ConnectEncode(&connect); err != nil {
				b.Fatal(err)
			}
			write(connect.Bytes())
			await(packets.Connack)
			frames := make([][]byte, len(f.pos))
			b.ReportAllocs()
			b.ResetTimer()
			for count := 0; count < b.N; {
				b.StopTimer()
				now = f.next()
				for i := range frames {
					var buf bytes.Buffer
					pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, ProtocolVersion: 5,
						TopicName: f.topics[i], Payload: f.payloads[i]}
					if err := pk.PublishEncode(&buf); err != nil {
						b.Fatal(err)
					}
					frames[i] = buf.Bytes()
				}
				b.StartTimer()
				for i := 0; i < len(frames) && count < b.N; i, count = i+1, count+1 {
					if _, err := conn.Write(frames[i]); err != nil {
						b.Fatal(err)
					}
				}
				write([]byte{packets.Pingreq << 4, 0}) // PINGREQ
				await(packets.Pingresp)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "CAM/s")
			b.ReportMetric(scrape(b, n, "michi_edge_mqtt_direct_publishes_total")/float64(b.N), "direct/op")
			if st := n.LDM().Stats(); st.Vehicles != min(b.N, len(f.pos)) {
				b.Fatalf("the LDM tracks %d vehicles, want %d: CAMs were lost", st.Vehicles, min(b.N, len(f.pos)))
			}
		})
	}
}

// scrape reads one unlabelled sample from the node's /metrics.
func scrape(b *testing.B, n *edge.Node, name string) float64 {
	resp, err := http.Get("http://" + n.HTTPAddr() + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			return f
		}
	}
	b.Fatalf("no %s in /metrics", name)
	return 0
}

// benchEdge runs an edge node for a benchmark: MQTT/TCP on loopback, the other listeners as o
// says (off unless set), no detection rounds, vehicles tracked for an hour, its clock *now.
func benchEdge(b *testing.B, o edge.Options, now *time.Time) *edge.Node {
	o.MQTTAddr, o.DetectInterval, o.MaxClockSkew = "127.0.0.1:0", time.Hour, time.Hour
	o.LDM.VehicleTTL = time.Hour
	o.Now = func() time.Time { return *now }
	for _, addr := range []*string{&o.WSAddr, &o.HTTPAddr, &o.MQTTQUICAddr, &o.QUICAddr} {
		if *addr == "" {
			*addr = edge.Off
		}
	}
	n, err := edge.New(o)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	<-n.Ready()
	b.Cleanup(func() { cancel(); <-done })
	return n
}

// benchSubscriber subscribes a paho client of n's to filter for the rest of the benchmark.
func benchSubscriber(b *testing.B, n *edge.Node, filter string) {
	cl := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + n.MQTTAddr()).SetClientID("bench-subscriber"))
	if tok := cl.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		b.Fatal("connect", tok.Error())
	}
	b.Cleanup(func() { cl.Disconnect(0) })
	if tok := cl.Subscribe(filter, 0, nil); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		b.Fatal("subscribe", tok.Error())
	}
}

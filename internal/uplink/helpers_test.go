package uplink

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

var discard = slog.New(slog.DiscardHandler)

// t0 is a fixed instant for fixtures; msgpack keeps time to the nanosecond, in UTC here.
var t0 = time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)

// hazardRecord, trafficRecord and healthRecord are the fixtures of the three kinds; i varies
// their content.
func hazardRecord(i int) Record {
	heading := 87.5
	return Record{Kind: KindHazard, At: t0.Add(time.Duration(i) * time.Second), Hazard: &HazardEvent{
		ActionID: v2x.ActionID{OriginatingStationID: 9001, SequenceNumber: uint16(i)},
		Event:    EventCreated, Cause: 94, SubCause: 2,
		Lat: 48.1 + float64(i)*1e-6, Lon: 11.5, RadiusM: 500, HeadingDeg: &heading, Quality: 3,
		Sources:   []string{"station:1234", "sensor:77"},
		Detection: t0, Reference: t0.Add(time.Second), Expiry: t0.Add(10 * time.Minute),
	}}
}

func trafficRecord(i int) Record {
	return Record{Kind: KindTraffic, At: t0.Add(time.Duration(i) * time.Second), Traffic: &TrafficAggregate{
		Quadkey: "1202032332303131", Minute: t0.Truncate(time.Minute), Count: i, MeanSpeedMPS: 13.9,
	}}
}

func healthRecord(i int) Record {
	return Record{Kind: KindHealth, At: t0.Add(time.Duration(i) * time.Second), Health: &Health{
		Clients: i, Vehicles: 40, Objects: 12, ActiveHazards: 2, IngestPerS: 400,
		AlertP50Ms: 0.7, AlertP99Ms: 1.8, QueueDepth: 3,
		Coverage: geo.Box{Min: geo.Point{Lat: 48.0, Lon: 11.4}, Max: geo.Point{Lat: 48.2, Lon: 11.6}},
	}}
}

// testPKI is a CA with the hub's certificate and edge certificates issued on demand.
type testPKI struct {
	ca  *tlsconf.CA
	hub tls.Certificate
}

var (
	pkiOnce sync.Once
	pkiVal  *testPKI
	pkiErr  error
)

// sharedPKI returns the package's test CA (generated once).
func sharedPKI(t testing.TB) *testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		ca, err := tlsconf.NewCA("uplink test CA")
		if err != nil {
			pkiErr = err
			return
		}
		hub, err := ca.IssueServer("hub")
		if err != nil {
			pkiErr = err
			return
		}
		pkiVal = &testPKI{ca: ca, hub: hub}
	})
	require.NoError(t, pkiErr)
	return pkiVal
}

func (p *testPKI) serverTLS() *tls.Config {
	return tlsconf.MutualServerTLS(p.hub, p.ca.Pool())
}

// edgeTLS returns a client configuration with a fresh certificate for edgeID.
func (p *testPKI) edgeTLS(t testing.TB, edgeID string) *tls.Config {
	t.Helper()
	cert, err := p.ca.IssueClient(edgeID)
	require.NoError(t, err)
	return tlsconf.MutualClientTLS(cert, p.ca.Pool())
}

// newStrangerTLS returns a client configuration for edgeID whose certificate comes from a CA
// the hub does not trust (it still trusts the hub). Go's client offers a certificate only to a
// server that asks for its issuer, so it is sent regardless, as a hostile client would.
func newStrangerTLS(t testing.TB, edgeID string) *tls.Config {
	t.Helper()
	stranger, err := tlsconf.NewCA("stranger CA")
	require.NoError(t, err)
	cert, err := stranger.IssueClient(edgeID)
	require.NoError(t, err)
	conf := tlsconf.MutualClientTLS(cert, sharedPKI(t).ca.Pool())
	conf.Certificates = nil
	conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	return conf
}

// startServer runs a Server on 127.0.0.1:0 until the test ends, and waits until it is ready.
func startServer(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.TLS == nil {
		o.TLS = sharedPKI(t).serverTLS()
	}
	if o.Log == nil {
		o.Log = discard
	}
	s, err := New(o)
	require.NoError(t, err)
	testutil.Start(t, s)
	return s
}

// openQueue opens a queue in dir that is closed when the test ends.
func openQueue(t testing.TB, dir string, o QueueOptions) *Queue {
	t.Helper()
	if o.Log == nil {
		o.Log = discard
	}
	q, err := OpenQueue(dir, o)
	require.NoError(t, err)
	t.Cleanup(func() { q.Close() })
	return q
}

// crash abandons q the way a killed process does: no final fsync, no state file write, files
// closed (the kernel keeps what was written).
func (q *Queue) crash() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	close(q.stopC)
	<-q.doneC
	q.mu.Lock()
	q.closeFiles()
	q.mu.Unlock()
}

// seqs returns the seqs of recs.
func seqs(recs []Record) []uint64 {
	out := make([]uint64, len(recs))
	for i, r := range recs {
		out[i] = r.Seq
	}
	return out
}

func seqRange(from, to uint64) []uint64 {
	var out []uint64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// marshalCompact encodes v as the queue and the frames do (compact integers).
func marshalCompact(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	require.NoError(t, enc.Encode(v))
	return buf.Bytes()
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

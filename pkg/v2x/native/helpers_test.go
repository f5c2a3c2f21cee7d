package native

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/michi-v2x/michi/internal/testutil"
)

// testCert is a self-signed certificate for 127.0.0.1, made once per test binary. (This package
// must not import internal/tlsconf, so it makes its own.)
var testCert = sync.OnceValue(func() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "michi test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
})

func clientTLS() *tls.Config {
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(testCert().Certificate[0])
	pool.AddCert(leaf)
	return &tls.Config{RootCAs: pool}
}

// fakeServer is a scripted michi-v2x/1 server for the client's tests: it accepts one
// connection at a time and hands each session to the test's script.
type fakeServer struct {
	tb   testing.TB
	ln   *quic.Listener
	tr   *quic.Transport
	addr string
	// skew is added to the server's clock in welcome and pong frames.
	skew time.Duration
	// answer decides the reply to a hello: nil = a welcome.
	answer   func(*Hello) *ErrorFrame
	sessions chan *fakeSession
	wg       sync.WaitGroup
}

// fakeSession is one accepted connection after the handshake.
type fakeSession struct {
	qc     *quic.Conn
	ctrl   *quic.Stream
	hello  *Hello
	frames chan Frame // control frames other than ping, which is answered
	mu     sync.Mutex
}

// fakeOpts are a fakeServer's settings, fixed before it starts.
type fakeOpts struct {
	datagrams bool
	skew      time.Duration
	answer    func(*Hello) *ErrorFrame
}

func newFakeServer(tb testing.TB, fo fakeOpts) *fakeServer {
	datagrams := fo.datagrams
	tb.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	tr := &quic.Transport{Conn: pc}
	ln, err := tr.Listen(&tls.Config{Certificates: []tls.Certificate{testCert()}, NextProtos: []string{ALPN}},
		&quic.Config{EnableDatagrams: datagrams, MaxIncomingStreams: 1, MaxIncomingUniStreams: 4})
	if err != nil {
		tb.Fatal(err)
	}
	s := &fakeServer{tb: tb, ln: ln, tr: tr, addr: ln.Addr().String(), skew: fo.skew, answer: fo.answer,
		sessions: make(chan *fakeSession, 8)}
	s.wg.Add(1)
	go s.accept(datagrams)
	tb.Cleanup(func() {
		_ = ln.Close()
		_ = tr.Close()
		_ = pc.Close()
		s.wg.Wait()
	})
	return s
}

func (s *fakeServer) now() int64 { return time.Now().Add(s.skew).UnixNano() }

func (s *fakeServer) accept(datagrams bool) {
	defer s.wg.Done()
	for {
		qc, err := s.ln.Accept(context.Background())
		if err != nil {
			return
		}
		s.wg.Add(1)
		go s.serve(qc, datagrams)
	}
}

func (s *fakeServer) serve(qc *quic.Conn, datagrams bool) {
	defer s.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ctrl, err := qc.AcceptStream(ctx)
	if err != nil {
		return
	}
	r := NewReader(ctrl)
	f, err := r.ReadFrame()
	if err != nil {
		return
	}
	hello, ok := f.(*Hello)
	if !ok {
		return
	}
	if s.answer != nil {
		if e := s.answer(hello); e != nil {
			_ = WriteFrame(ctrl, e)
			if e.Fatal {
				_ = qc.CloseWithError(quic.ApplicationErrorCode(e.Code), e.Reason)
			}
			return
		}
	}
	sess := &fakeSession{qc: qc, ctrl: ctrl, hello: hello, frames: make(chan Frame, 64)}
	_ = WriteFrame(ctrl, &Welcome{EdgeID: "fake", SessionID: 1, ServerTimeNS: s.now(),
		Datagrams: datagrams && qc.ConnectionState().SupportsDatagrams.Remote, MaxFrame: MaxFrameSize})
	s.sessions <- sess
	for {
		f, err := r.ReadFrame()
		if err != nil {
			close(sess.frames)
			return
		}
		if p, ok := f.(*Ping); ok {
			sess.write(&Pong{TNS: p.TNS, ServerTimeNS: s.now()})
			continue
		}
		sess.frames <- f
	}
}

func (ss *fakeSession) write(f Frame) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	_ = WriteFrame(ss.ctrl, f)
}

// sendAlert writes a on its own unidirectional stream, as the real server does.
func (ss *fakeSession) sendAlert(tb testing.TB, a *Alert) {
	tb.Helper()
	str, err := ss.qc.OpenUniStream()
	if err != nil {
		tb.Fatal(err)
	}
	if err := WriteFrame(str, a); err != nil {
		tb.Fatal(err)
	}
	_ = str.Close()
}

// dialFake connects a client to s and returns both ends.
func dialFake(tb testing.TB, s *fakeServer, d Dialer) (*Conn, *fakeSession) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, s.addr, clientTLS(), Hello{StationID: 1234, StationType: 5, SourceUUID: "car_1234"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c, testutil.Within(tb, 5*time.Second, "the server's session", s.sessions)
}

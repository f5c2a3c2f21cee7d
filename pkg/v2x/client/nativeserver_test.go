package client_test

import (
	"context"
	"crypto/tls"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	nativesrv "github.com/michi-v2x/michi/internal/native"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// nativeEdge runs michi's native QUIC server (internal/native) with a handler that records what
// vehicles send and geocasts each reported DENM back as an alert to every connected station. The
// real edge chooses recipients and re-originates hazards; here the SDK's native transport is
// proven against the real server on its own.
type nativeEdge struct {
	srv  *nativesrv.Server
	stop func()

	refuse  atomic.Uint32 // a native.Code to refuse hellos with; 0 accepts
	refused atomic.Int32  // hellos refused so far

	hellos chan native.Hello
	cams   chan *v2x.CAM
	denms  chan *v2x.DENM

	mu       sync.Mutex
	stations map[uint32]bool
}

// runNativeEdge runs the server on addr; refuse, when given, refuses every hello from the start.
func runNativeEdge(t *testing.T, addr string, conf *tls.Config, refuse ...native.Code) *nativeEdge {
	t.Helper()
	e := &nativeEdge{
		hellos: make(chan native.Hello, 64), cams: make(chan *v2x.CAM, 1024), denms: make(chan *v2x.DENM, 64),
		stations: make(map[uint32]bool),
	}
	for _, c := range refuse {
		e.refuse.Store(uint32(c))
	}
	srv, err := nativesrv.New(nativesrv.Options{
		Addr: addr, TLS: conf, EdgeID: "test-native", DrainTimeout: 100 * time.Millisecond,
		Authenticate: func(h native.Hello) (nativesrv.Grant, error) {
			if code := native.Code(e.refuse.Load()); code != native.CodeNone {
				e.refused.Add(1)
				return nativesrv.Grant{}, native.Errorf(code, "refused by the test")
			}
			e.hellos <- h
			return nativesrv.Grant{}, nil
		},
	}, e)
	require.NoError(t, err)
	e.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("native server did not stop within 10s")
			}
		})
	}
	t.Cleanup(e.stop)
	select {
	case <-srv.Ready():
	case err := <-done:
		t.Fatalf("native server stopped before ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("native server not ready within 10s")
	}
	return e
}

func (e *nativeEdge) Addr() string { return e.srv.Addr().String() }

func (e *nativeEdge) OnHello(s nativesrv.SessionInfo) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stations[s.StationID] = true
	return nil
}

func (e *nativeEdge) OnClose(s nativesrv.SessionInfo) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.stations, s.StationID)
}

func (e *nativeEdge) OnCAM(_ nativesrv.SessionInfo, m *v2x.CAM) error {
	select {
	case e.cams <- m:
	default:
	}
	return nil
}

func (e *nativeEdge) OnDENM(_ nativesrv.SessionInfo, m *v2x.DENM) error {
	e.denms <- m
	e.Alert(m)
	return nil
}

// Alert geocasts d to every connected station.
func (e *nativeEdge) Alert(d *v2x.DENM) {
	a := native.NewAlert(d)
	e.mu.Lock()
	defer e.mu.Unlock()
	for id := range e.stations {
		e.srv.Deliver(id, a)
	}
}

func (e *nativeEdge) nextHello(t *testing.T) native.Hello {
	t.Helper()
	return next(t, e.hellos, "hello")
}

func next[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s within 5s", what)
		var zero T
		return zero
	}
}

var errNotYet = errors.New("not yet")

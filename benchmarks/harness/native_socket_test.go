package harness

import (
	"errors"
	"fmt"
	"testing"

	"github.com/quic-go/quic-go"
)

func TestNativeSockets(t *testing.T) {
	s, err := newNativeSockets(nativeSocketCount(1200))
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if len(s) != 3 {
		t.Fatalf("%d sockets for 1,200 vehicles, want 3", len(s))
	}
	seen := map[*quic.Transport]int{}
	for st := range uint32(1200) {
		seen[s.pick(vehicleBase+st)]++
	}
	for tr, n := range seen {
		if n != 400 {
			t.Errorf("transport %v has %d vehicles, want 400", tr.Conn.LocalAddr(), n)
		}
	}
}

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("handshake: %w", &quic.TransportError{ErrorCode: quic.ConnectionRefused, Remote: true}), true},
		{&quic.TransportError{ErrorCode: quic.ConnectionRefused}, false}, // our own
		{&quic.TransportError{ErrorCode: quic.ProtocolViolation, Remote: true}, false},
		{errors.New("timeout"), false},
	} {
		if got := refused(tc.err); got != tc.want {
			t.Errorf("refused(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

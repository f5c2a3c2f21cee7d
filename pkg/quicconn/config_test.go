package quicconn

import (
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
)

func TestQUICConfigDefaults(t *testing.T) {
	server := quicConfig(nil, true)
	if server.KeepAlivePeriod != DefaultKeepAlivePeriod || server.MaxIdleTimeout != DefaultMaxIdleTimeout {
		t.Errorf("timeouts = %v / %v", server.KeepAlivePeriod, server.MaxIdleTimeout)
	}
	if server.MaxIncomingStreams != 1 || server.MaxIncomingUniStreams != -1 {
		t.Errorf("server streams = %d bidi / %d uni, want 1 / -1", server.MaxIncomingStreams, server.MaxIncomingUniStreams)
	}
	if server.EnableDatagrams || server.Allow0RTT {
		t.Error("datagrams or 0-RTT switched on")
	}
	client := quicConfig(nil, false)
	if client.MaxIncomingStreams != -1 || client.MaxIncomingUniStreams != -1 {
		t.Errorf("client streams = %d / %d, want -1 / -1", client.MaxIncomingStreams, client.MaxIncomingUniStreams)
	}

	mine := &quic.Config{KeepAlivePeriod: -1, MaxIdleTimeout: 5 * time.Second, MaxIncomingStreams: 4}
	got := quicConfig(mine, true)
	if got.KeepAlivePeriod != 0 || got.MaxIdleTimeout != 5*time.Second || got.MaxIncomingStreams != 4 {
		t.Errorf("explicit settings not kept: %+v", got)
	}
	if mine.KeepAlivePeriod != -1 || mine.MaxIncomingUniStreams != 0 {
		t.Error("the caller's quic.Config was modified")
	}
}

func TestTLSConfigDefaultsToMQTT(t *testing.T) {
	if _, err := tlsConfig(nil); !errors.Is(err, ErrNoTLSConfig) {
		t.Errorf("nil config: %v", err)
	}
	mine := &tls.Config{}
	got, err := tlsConfig(mine)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.NextProtos) != 1 || got.NextProtos[0] != ALPN || len(mine.NextProtos) != 0 {
		t.Errorf("NextProtos = %v (caller's: %v)", got.NextProtos, mine.NextProtos)
	}
	mine.NextProtos = []string{"michi-v2x/1"}
	if got, _ := tlsConfig(mine); len(got.NextProtos) != 1 || got.NextProtos[0] != "michi-v2x/1" {
		t.Errorf("explicit ALPN replaced: %v", got.NextProtos)
	}
}

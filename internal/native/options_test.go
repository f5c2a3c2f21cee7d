package native

import (
	"crypto/tls"
	"strings"
	"testing"
)

func TestOptionsDefaults(t *testing.T) {
	o := Options{TLS: &tls.Config{Certificates: []tls.Certificate{{}}}}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if o.Addr != DefaultAddr || o.EdgeID != DefaultEdgeID || o.QueueLen != DefaultQueueLen ||
		o.WriteTimeout != DefaultWriteTimeout || o.HandshakeTimeout != DefaultHandshakeTimeout ||
		o.MaxSessions != DefaultMaxSessions || o.MaxBadFrames != DefaultMaxBadFrames ||
		o.DrainTimeout != DefaultDrainTimeout || o.CloseLinger != DefaultCloseLinger || o.Log == nil || o.Now == nil {
		t.Fatalf("defaults not applied: %+v", o)
	}
}

func TestOptionsValidateReportsEverything(t *testing.T) {
	o := Options{QueueLen: -1, WriteTimeout: -1, HandshakeTimeout: 1, IdleTimeout: 5, MaxSessions: -3, MaxBadFrames: -1, DrainTimeout: -1}
	err := o.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"tls", "queue_len", "write_timeout", "handshake_timeout", "idle_timeout", "max_sessions", "max_bad_frames", "drain_timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q not reported in:\n%v", want, err)
		}
	}
	o = Options{TLS: &tls.Config{}}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Errorf("TLS without certificate: %v", err)
	}
	if _, err := New(Options{}, nil); err == nil {
		t.Error("New accepted options without TLS")
	}
}

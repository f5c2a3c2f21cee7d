package uplink_test

import (
	"context"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/internal/uplink"
)

// The edge side: records go to the queue (never blocking on the hub), the client carries them.
func Example_edge() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	log := slog.Default()

	q, err := uplink.OpenQueue("/var/lib/michi/uplink", uplink.QueueOptions{Log: log})
	if err != nil {
		log.Error("open queue", "err", err)
		return
	}
	defer q.Close() // after the client has stopped
	tlsConf, err := tlsconf.ClientConfig(tlsconf.ClientOptions{
		CAFile: "/etc/michi/ca.pem", CertFile: "/etc/michi/edge.pem", KeyFile: "/etc/michi/edge-key.pem",
	})
	if err != nil {
		log.Error("tls", "err", err)
		return
	}
	c, err := uplink.NewClient(uplink.ClientOptions{
		HubAddr: "hub.example.org:7443", TLS: tlsConf, Queue: q, Log: log,
		OnAuthority: func(h uplink.AuthorityHazard) { /* hand to the hazard manager */ },
	})
	if err != nil {
		log.Error("uplink", "err", err)
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(ctx)
	}()

	// Anywhere in the edge: a hazard event, a traffic aggregate, a health snapshot.
	_, _ = q.Append(uplink.Record{Kind: uplink.KindHealth, At: time.Now(), Health: &uplink.Health{Clients: 12}})

	<-done
}

// The hub side: a Sink (the hub's storage) behind a Server that requires edge certificates.
func Example_hub() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	tlsConf, err := tlsconf.MutualServerConfig("/etc/michi/hub.pem", "/etc/michi/hub-key.pem", "/etc/michi/ca.pem")
	if err != nil {
		return
	}
	s, err := uplink.New(uplink.Options{
		Addr: ":7443", TLS: tlsConf, Sink: &uplink.MemorySink{}, // a database in the real hub
		OnEdge: func(edgeID string, connected bool) { /* resend active authority hazards */ },
	})
	if err != nil {
		return
	}
	_ = s.Run(ctx) // drains on SIGTERM
}

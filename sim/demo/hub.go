package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/hub"
	"github.com/michi-v2x/michi/internal/hub/store"
	"github.com/michi-v2x/michi/internal/tlsconf"
)

// Token is the demo hub's bearer token for issuing authority hazards (loopback only).
const Token = "michi-demo-token"

// demoHub is the in-process cloud hub of the demo and the throwaway PKI that ties the edges to
// it (mutual TLS on the uplink, as in production; the files live in a temporary directory).
type demoHub struct {
	h    *hub.Hub
	dir  string
	ca   string // PEM file of the demo CA
	pki  *tlsconf.CA
	errc chan error
	stop context.CancelFunc
}

// startHub starts a hub with a fresh PKI and an SQLite store in a temporary directory.
func startHub(ctx context.Context, httpAddr string, log *slog.Logger) (*demoHub, error) {
	dir, err := os.MkdirTemp("", "michi-demo-")
	if err != nil {
		return nil, err
	}
	d := &demoHub{dir: dir, ca: filepath.Join(dir, "ca.crt"), errc: make(chan error, 1)}
	ca, err := tlsconf.NewCA("michi demo CA")
	if err != nil {
		return nil, d.fail(err)
	}
	d.pki = ca
	if err := os.WriteFile(d.ca, ca.CertPEM(), 0o644); err != nil {
		return nil, d.fail(err)
	}
	srv, err := ca.IssueServer("michi-demo-hub", "127.0.0.1", "localhost")
	if err != nil {
		return nil, d.fail(err)
	}
	crt, key := filepath.Join(dir, "hub.crt"), filepath.Join(dir, "hub.key")
	if err := tlsconf.WriteKeyPair(srv, crt, key); err != nil {
		return nil, d.fail(err)
	}
	h, err := hub.New(hub.Options{UplinkAddr: "127.0.0.1:0", HTTPAddr: httpAddr, TLSCert: crt, TLSKey: key, ClientCA: d.ca,
		Store: store.Options{DSN: filepath.Join(dir, "hub.db")}, Token: Token, Log: log})
	if err != nil {
		return nil, d.fail(err)
	}
	d.h = h
	hctx, cancel := context.WithCancel(context.Background())
	d.stop = cancel
	go func() { d.errc <- h.Run(hctx) }()
	select {
	case <-h.Ready():
		return d, nil
	case err := <-d.errc:
		cancel()
		return nil, d.fail(fmt.Errorf("hub: %w", err))
	case <-ctx.Done():
		d.close()
		return nil, ctx.Err()
	}
}

// wire gives an edge a client certificate and points its uplink at the hub.
func (d *demoHub) wire(o *edge.Options, edgeID string) error {
	cert, err := d.pki.IssueClient(edgeID)
	if err != nil {
		return err
	}
	o.EdgeCert, o.EdgeKey = filepath.Join(d.dir, edgeID+".crt"), filepath.Join(d.dir, edgeID+".key")
	if err := tlsconf.WriteKeyPair(cert, o.EdgeCert, o.EdgeKey); err != nil {
		return err
	}
	o.HubAddr, o.HubCA, o.DataDir = d.h.UplinkAddr().String(), d.ca, filepath.Join(d.dir, edgeID)
	return nil
}

// HTTP is the hub's dashboard and API address.
func (d *demoHub) HTTP() string { return "http://" + d.h.HTTPAddr().String() }

func (d *demoHub) fail(err error) error {
	os.RemoveAll(d.dir)
	return err
}

// close stops the hub (after the edges) and removes its files.
func (d *demoHub) close() {
	if d.stop != nil {
		d.stop()
		<-d.errc
	}
	os.RemoveAll(d.dir)
}

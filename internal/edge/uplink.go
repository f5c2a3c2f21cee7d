package edge

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/michi-v2x/michi/internal/detect"
	"github.com/michi-v2x/michi/internal/hazard"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/internal/uplink"
	"github.com/michi-v2x/michi/pkg/geo"
)

// hubLink is the edge's end of the uplink to the cloud hub (docs/uplink-protocol.md): the
// on-disk queue in DataDir/uplink, the uplink.Client that drains it to the hub and brings
// authority hazards back, and what fills the queue — hazard lifecycle events (from
// disseminate), per-tile traffic aggregates and edge health (from two loops of their own, off
// the ingest path).
//
// Nothing here ever blocks vehicle traffic: producers hand records to the recorder, an
// in-memory backlog under its own mutex, and one writer goroutine appends them to the queue
// (a disk write, and under pressure a segment rewrite). A full backlog or a failed Append loses
// the record and counts it (michi_edge_uplink_lost_total); the hub's absence only makes the
// queue deeper.
//
// Lifecycle (Node.run): open (queue, TLS, client; writer goroutine), startClient once the
// broker serves, startLoops once detection runs; on shutdown the loops stop first (the last
// partial traffic minute is flushed), then the client (cancel Run and wait), then the
// writer drains the backlog, and the queue is closed last.
type hubLink struct {
	n   *Node
	log *slog.Logger

	queue  atomic.Pointer[uplink.Queue]  // set by open; read by metrics and health
	client atomic.Pointer[uplink.Client] // set by open

	rec     recorder
	lat     reservoir
	ingestN atomic.Uint64 // messages admitted, for the health record's ingest rate

	covMu    sync.Mutex
	coverage geo.Box // configured, or grown from the vehicles seen
	covFixed bool
	covGrown bool

	traffic    *trafficAgg // the sampling loop's (and SampleTraffic's), under its own mutex
	ingestMark uint64      // owned by the health loop: ingestN at ingestAt
	ingestAt   time.Time
}

func newHubLink(n *Node) *hubLink {
	l := &hubLink{n: n, log: n.log.With("component", "uplink"), traffic: newTrafficAgg()}
	l.rec.init(n.opts.Uplink.Backlog)
	if n.opts.Coverage != "" {
		l.coverage, _, _ = parseBBox(n.opts.Coverage) // Validate checked it
		l.covFixed = true
	}
	return l
}

// open loads the edge's certificate, opens the queue and builds the client; it starts the
// writer. The returned function drains the writer and closes the queue (after stopClient).
func (l *hubLink) open() (closeQueue func(), err error) {
	o := l.n.opts
	tc, err := tlsconf.ClientConfig(tlsconf.ClientOptions{CAFile: o.HubCA, CertFile: o.EdgeCert, KeyFile: o.EdgeKey, ALPN: []string{uplink.ALPN}})
	if err != nil {
		return nil, fmt.Errorf("uplink tls: %w", err)
	}
	// The hub knows the edge by its certificate's CommonName: an edge_id that differs is an edge
	// running with another's certificate, which would take the other's place at the hub.
	if cn, err := tlsconf.CertificateIdentity(tc.Certificates[0]); err != nil {
		return nil, fmt.Errorf("uplink: edge_cert: %w", err)
	} else if cn != o.EdgeID {
		return nil, fmt.Errorf("%w: edge_id %q, but edge_cert is issued to %q (`cloud-hub pki issue-edge %s` issues this edge's own)", ErrEdgeIdentity, o.EdgeID, cn, o.EdgeID)
	}
	q, err := uplink.OpenQueue(filepath.Join(o.DataDir, "uplink"), uplink.QueueOptions{
		MaxBytes: o.Uplink.QueueMaxBytes, MaxRecords: o.Uplink.QueueMaxRecords, Log: l.log,
		SyncInterval: o.Uplink.QueueSyncInterval, SyncEvery: o.Uplink.QueueSyncEvery,
	})
	if err != nil {
		return nil, err
	}
	c, err := uplink.NewClient(uplink.ClientOptions{
		HubAddr: o.HubAddr, TLS: tc, Queue: q, OnAuthority: l.onAuthority, Log: l.log,
		BackoffMin: o.Uplink.BackoffMin, BackoffMax: o.Uplink.BackoffMax,
	})
	if err != nil {
		q.Close()
		return nil, err
	}
	l.queue.Store(q)
	l.client.Store(c)
	done := make(chan struct{})
	go func() { defer close(done); l.rec.run(q, l.n.metrics, l.log) }()
	st := q.Stats()
	l.log.Info("uplink queue open", "dir", filepath.Join(o.DataDir, "uplink"), "depth", st.Depth, "last_seq", st.LastSeq, "hub", o.HubAddr)
	return func() {
		l.rec.close()
		<-done
		if err := q.Close(); err != nil {
			l.log.Error("close uplink queue", "err", err)
		}
	}, nil
}

// startClient runs the client until the returned function is called; that cancels Run and
// waits for it.
func (l *hubLink) startClient() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = l.client.Load().Run(ctx) }()
	return func() { cancel(); <-done }
}

// startLoops starts traffic sampling and health reporting; the returned function stops them
// and flushes the open traffic minute.
func (l *hubLink) startLoops() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); every(ctx, l.n.opts.Uplink.TrafficSample, l.sampleTraffic) }()
	go func() { defer wg.Done(); l.health(); every(ctx, l.n.opts.Uplink.HealthEvery, l.health) }()
	return func() {
		cancel()
		wg.Wait()
		l.flushTraffic()
	}
}

// every calls fn every d until ctx ends.
func every(ctx context.Context, d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

// onAuthority takes a hazard the hub sent down — an authority's, or a neighbour's relayed —
// into the authority detector and disseminates the result at once, as applyDENM does with a
// vehicle's report. It runs on the uplink client's goroutine.
func (l *hubLink) onAuthority(h uplink.AuthorityHazard) {
	n := l.n
	received := time.Now()
	if h.Terminate {
		n.authorities.Terminate(h.ID)
	} else {
		a := detect.Authority{ID: h.ID, Cause: h.Cause, SubCause: h.SubCause, Pos: geo.Point{Lat: h.Lat, Lon: h.Lon},
			RadiusM: h.RadiusM, Start: h.Start, Validity: h.Validity}
		if h.HeadingDeg != nil {
			a.HeadingDeg, a.HasHeading = *h.HeadingDeg, true
		}
		if !n.authorities.Upsert(a) {
			l.log.Warn("authority hazard not taken (invalid, or the store is full)", "id", h.ID)
			return
		}
	}
	now := n.opts.Now()
	n.reportMu.Lock()
	events := n.runDetectors(now, n.reportDetectors)
	n.reportMu.Unlock()
	n.disseminate(events, received)
}

// recordHazard queues a hazard lifecycle event for the hub. Called under Node.pubMu, so the
// hub sees a hazard's events in order.
func (l *hubLink) recordHazard(ev hazard.Event, at time.Time) {
	h := ev.Hazard
	he := &uplink.HazardEvent{
		ActionID: h.ActionID, Event: eventName(ev.Kind), Cause: h.Cause, SubCause: h.SubCause,
		Lat: h.Pos.Lat, Lon: h.Pos.Lon, RadiusM: h.RadiusM, Quality: h.InformationQuality, Sources: h.Sources,
		Detection: h.Detection.UTC(), Reference: h.Reference.UTC(), Expiry: h.Expiry().UTC(), Authority: authorityOf(h.Sources),
	}
	if h.HasHeading {
		deg := h.HeadingDeg
		he.HeadingDeg = &deg
	}
	l.put(uplink.Record{Kind: uplink.KindHazard, At: at.UTC(), Hazard: he})
}

// authorityOf is the hub's id of a hazard that came from the hub (its "authority:<id>"
// source), so the hub knows the edge carries it and does not relay it back; "" otherwise.
func authorityOf(sources []string) string {
	for _, s := range sources {
		if id, ok := strings.CutPrefix(s, detect.AuthoritySourcePrefix); ok {
			return id
		}
	}
	return ""
}

func (l *hubLink) put(r uplink.Record) {
	if !l.rec.put(r) {
		l.n.metrics.uplinkLost.WithLabelValues(r.Kind.String(), "backlog").Inc()
	}
}

// health queues the edge's health record.
func (l *hubLink) health() {
	n := l.n
	now := n.opts.Now()
	st := n.ldm.Stats()
	clients := int(n.mqtt.Clients())
	if n.native != nil {
		clients += n.native.Sessions()
	}
	h := &uplink.Health{Clients: clients, Vehicles: st.Vehicles, Objects: st.Objects, ActiveHazards: n.hazards.Len(),
		Coverage: l.Coverage()}
	h.IngestPerS = l.ingestRate(time.Now())
	p50, p99 := l.lat.take()
	h.AlertP50Ms, h.AlertP99Ms = p50*1000, p99*1000
	if q := l.queue.Load(); q != nil {
		h.QueueDepth = q.Depth()
	}
	l.put(uplink.Record{Kind: uplink.KindHealth, At: now.UTC(), Health: h})
}

// ingestRate is the admitted messages per second since the last call (the health loop's only).
func (l *hubLink) ingestRate(now time.Time) float64 {
	total := l.ingestN.Load()
	prev, prevAt := l.ingestMark, l.ingestAt
	l.ingestMark, l.ingestAt = total, now
	if prevAt.IsZero() || !now.After(prevAt) {
		return 0
	}
	return float64(total-prev) / now.Sub(prevAt).Seconds()
}

// Coverage is the configured coverage, or the box around the vehicles seen so far widened by
// CoverageMarginM (zero before the first vehicle: the hub then sends every authority hazard).
func (l *hubLink) Coverage() geo.Box {
	l.covMu.Lock()
	defer l.covMu.Unlock()
	if l.covFixed || !l.covGrown {
		return l.coverage
	}
	m := l.n.opts.Uplink.CoverageMarginM
	sw := geo.Destination(geo.Destination(l.coverage.Min, 180, m), 270, m)
	ne := geo.Destination(geo.Destination(l.coverage.Max, 0, m), 90, m)
	return geo.Box{Min: sw, Max: ne}
}

// grow widens the grown coverage to take in the sampled vehicles.
func (l *hubLink) grow(vs []vehicleSample) {
	if l.covFixed || len(vs) == 0 {
		return
	}
	l.covMu.Lock()
	defer l.covMu.Unlock()
	c := &l.coverage
	for _, v := range vs {
		p := v.pos
		if !l.covGrown {
			*c, l.covGrown = geo.Box{Min: p, Max: p}, true
			continue
		}
		c.Min.Lat, c.Min.Lon = min(c.Min.Lat, p.Lat), min(c.Min.Lon, p.Lon)
		c.Max.Lat, c.Max.Lon = max(c.Max.Lat, p.Lat), max(c.Max.Lon, p.Lon)
	}
}

// UplinkStats describes the uplink to the hub; ok is false when it is off (no HubAddr) or
// before Run opened it.
func (n *Node) UplinkStats() (st uplink.ClientStats, ok bool) {
	if n.up == nil {
		return st, false
	}
	c := n.up.client.Load()
	if c == nil {
		return st, false
	}
	return c.Stats(), true
}

// Coverage is the area the edge reports to the hub as the one it serves (zero when no hub is
// configured or nothing was seen yet).
func (n *Node) Coverage() geo.Box {
	if n.up == nil {
		return geo.Box{}
	}
	return n.up.Coverage()
}

package client

import (
	"context"
	"fmt"
	"time"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// State is the vehicle's state, sent as a CAM.
type State struct {
	Pos        geo.Point
	SpeedMPS   float64   // negative or NaN: unavailable
	HeadingDeg float64   // clockwise from north; NaN: unavailable
	At         time.Time // generation time; zero: now
}

// Hazard is an event the vehicle reports, sent as a DENM (see v2x.DENMSpec for the fields).
type Hazard struct {
	// ActionID is zero for a new event: the client then assigns {StationID, next sequence
	// number}. To update or terminate an earlier report, pass the ActionID Report returned.
	ActionID           v2x.ActionID
	Cause, SubCause    uint8
	Pos                geo.Point
	HeadingDeg         float64 // event heading, used when HasHeading
	HasHeading         bool
	Detection          time.Time     // zero: now, or the original detection time of an update
	Validity           time.Duration // zero: 600 s
	AwarenessRadiusM   float64
	TrafficDirection   v2x.TrafficDirection
	InformationQuality uint8
	Termination        *v2x.Termination // set to cancel (0) or negate (1) the event
}

// SendState sends the vehicle's state as a CAM: over MQTT a QoS 0 publish on
// {root}/inQueue/v2x/cam/{source}/{zoom-22 quadkey}, over native QUIC a datagram. When the state
// moves the vehicle into another zoom-SubscribeZoom tile, an MQTT client moves its alert
// subscriptions too (subscribes the new tiles, then unsubscribes the old ones) before SendState
// returns; the first SendState makes the first subscriptions. It fails with ErrNotConnected at
// once while the client reconnects (the new tile is still remembered and used on reconnection),
// and with an error wrapping v2x.ErrInvalid for a state that is not valid.
func (c *Client) SendState(ctx context.Context, s State) error {
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	if !s.Pos.Valid() {
		return fmt.Errorf("client: send state: position %v: %w", s.Pos, v2x.ErrInvalid)
	}
	m := v2x.NewCAM(v2x.CAMSpec{
		SourceUUID: c.opts.SourceUUID, StationID: c.opts.StationID, StationType: c.opts.StationType,
		Pos: s.Pos, SpeedMPS: s.SpeedMPS, HeadingDeg: s.HeadingDeg, At: s.At,
	})
	if err := m.Validate(); err != nil {
		return fmt.Errorf("client: send state: %w", err)
	}
	tile := geo.Quadkey(s.Pos, c.opts.SubscribeZoom)
	c.mu.Lock()
	c.tile = tile
	sess := c.sess
	c.mu.Unlock()
	if sess == nil {
		return ErrNotConnected
	}
	if err := sess.sendCAM(ctx, m); err != nil {
		return fmt.Errorf("client: send state: %w", err)
	}
	c.stats.statesSent.Add(1)
	if err := sess.follow(ctx); err != nil {
		return fmt.Errorf("client: follow tile %s: %w", tile, err)
	}
	return nil
}

// Report sends a hazard the vehicle observed as a DENM and returns its action id (keep it to
// update or terminate the report). Over MQTT it is a QoS 1 publish on
// {root}/inQueue/v2x/denm/{source}/{zoom-22 quadkey of the event} and Report returns when the
// edge has acknowledged it; over native QUIC it is a frame on the control stream. While the client
// reconnects, Report waits for the connection until ctx ends.
func (c *Client) Report(ctx context.Context, h Hazard) (v2x.ActionID, error) {
	if c.ctx.Err() != nil {
		return v2x.ActionID{}, ErrClosed
	}
	if !h.Pos.Valid() {
		return v2x.ActionID{}, fmt.Errorf("client: report: position %v: %w", h.Pos, v2x.ErrInvalid)
	}
	now := time.Now()
	id, det, ref := c.ownReport(h, now)
	m := v2x.NewDENM(v2x.DENMSpec{
		SourceUUID: c.opts.SourceUUID, StationID: c.opts.StationID, StationType: c.opts.StationType,
		ActionID: id, Cause: h.Cause, SubCause: h.SubCause, Pos: h.Pos,
		HeadingDeg: h.HeadingDeg, HasHeading: h.HasHeading, Detection: det, Reference: ref,
		Validity: h.Validity, AwarenessRadiusM: h.AwarenessRadiusM, TrafficDirection: h.TrafficDirection,
		InformationQuality: h.InformationQuality, Termination: h.Termination, At: now,
	})
	if err := m.Validate(); err != nil {
		return id, fmt.Errorf("client: report: %w", err)
	}
	sess, err := c.waitSession(ctx)
	if err != nil {
		return id, fmt.Errorf("client: report: %w", err)
	}
	if err := sess.sendDENM(ctx, m); err != nil {
		return id, fmt.Errorf("client: report: %w", err)
	}
	c.stats.reportsSent.Add(1)
	return id, nil
}

// ownReport assigns the action id, detection time and reference time of a report and remembers
// them. Each version of a hazard gets a later reference time than the one before, to the
// millisecond a DENM carries: an update sent within the millisecond of the previous version
// would otherwise be the same version to every receiver, and dropped as a repeat.
func (c *Client) ownReport(h Hazard, now time.Time) (id v2x.ActionID, det, ref time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id = h.ActionID
	if id == (v2x.ActionID{}) {
		c.seq++
		id = v2x.ActionID{OriginatingStationID: c.opts.StationID, SequenceNumber: c.seq}
	} else if id.OriginatingStationID == 0 {
		id.OriginatingStationID = c.opts.StationID
	}
	prev, known := c.own[id]
	det = h.Detection
	if det.IsZero() {
		det = now
		if known {
			det = prev.detection
		}
	}
	ref = now.Truncate(time.Millisecond)
	if known && !ref.After(prev.reference) {
		ref = prev.reference.Add(time.Millisecond)
	}
	for k, r := range c.own {
		if now.After(r.expiry) {
			delete(c.own, k)
		}
	}
	validity := h.Validity
	if validity <= 0 {
		validity = v2x.DefaultValidity
	}
	if h.Termination != nil {
		delete(c.own, id)
	} else {
		c.own[id] = ownReport{detection: det, reference: ref, expiry: det.Add(validity)}
	}
	return id, det, ref
}

// waitSession returns the current session, waiting for a reconnection until ctx ends.
func (c *Client) waitSession(ctx context.Context) (session, error) {
	for {
		c.mu.Lock()
		s, up := c.sess, c.up
		c.mu.Unlock()
		if s != nil {
			return s, nil
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrNotConnected, ctx.Err())
		case <-c.ctx.Done():
			return nil, ErrClosed
		}
	}
}

// currentTile is the vehicle's tile at SubscribeZoom ("" before the first state).
func (c *Client) currentTile() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tile
}

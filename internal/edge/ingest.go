package edge

import (
	"fmt"
	"time"

	"github.com/michi-v2x/michi/internal/broker"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/detect"
	"github.com/michi-v2x/michi/internal/ldm"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// Ingest applies one message as if a client had published it on topic, without a connection's
// source binding. In-process producers and benchmarks use it; the node must be running.
func (n *Node) Ingest(topic string, payload []byte) error { return n.ingest(nil, topic, payload) }

// ingest decodes, validates and applies one message a client published over MQTT. It runs on
// the publishing client's goroutine and returns a *Rejection for bad input; nothing is applied
// then.
func (n *Node) ingest(st *mqttSession, topic string, payload []byte) error {
	t, err := v2x.ParseTopic(topic)
	if err != nil || t.Root != n.opts.Root || t.Queue != v2x.InQueue || t.Quadkey == "" {
		if err == nil {
			err = fmt.Errorf("topic %q: want %s{cam|denm|cpm}/{source_id}/{quadkey digits}", topic, n.inPrefix)
		}
		return n.rejected(reject("", ReasonTopic, broker.CodeTopicNameInvalid, err))
	}
	typ := string(t.Type)
	if len(payload) > n.opts.MaxPayload {
		return n.rejected(reject(typ, ReasonOversize, broker.CodePacketTooLarge,
			fmt.Errorf("payload of %d bytes exceeds %d", len(payload), n.opts.MaxPayload)))
	}
	var m v2x.Message
	switch t.Type {
	case v2x.TypeCAM:
		m, err = v2x.UnmarshalCAM(payload)
	case v2x.TypeDENM:
		m, err = v2x.UnmarshalDENM(payload)
	case v2x.TypeCPM:
		m, err = v2x.UnmarshalCPM(payload)
	default:
		return n.rejected(reject(typ, ReasonTopic, broker.CodeTopicNameInvalid, fmt.Errorf("message type %q", t.Type)))
	}
	if err != nil {
		return n.rejected(reject(typ, ReasonMalformed, broker.CodePayloadFormatInvalid, err))
	}
	if err := n.validate(m); err != nil {
		return err
	}
	if m.Source() != t.SourceID {
		return n.rejected(reject(typ, ReasonSourceMismatch, broker.CodeNotAuthorized,
			fmt.Errorf("topic source %q but source_uuid %q", t.SourceID, m.Source())))
	}
	if st != nil && (*n.opts.BindSource || st.source.Load() != nil) { // bound by bind_source, or at once by credentials
		source := m.Source()
		st.source.CompareAndSwap(nil, &source)
		if bound := st.source.Load(); *bound != source {
			return n.rejected(reject(typ, ReasonImpersonation, broker.CodeNotAuthorized,
				fmt.Errorf("connection publishes as %q, not %q", *bound, source)))
		}
	}
	if st != nil {
		if err := st.role.MayPublish(m); err != nil {
			return n.rejected(reject(typ, ReasonForbidden, broker.CodeNotAuthorized, err))
		}
		if err := n.bindStation(st, typ, m.StationID()); err != nil {
			return err
		}
	}
	if pos := m.Location(); !tileHolds(t.Quadkey, pos) {
		return n.rejected(reject(typ, ReasonTileMismatch, broker.CodeTopicNameInvalid,
			fmt.Errorf("topic tile %s does not contain position %.7f,%.7f (tile %s)", t.Quadkey, pos.Lat, pos.Lon, geo.Quadkey(pos, len(t.Quadkey)))))
	}
	var from reporter
	if st != nil {
		from = reporter{identity: st.identity, role: st.role}
	}
	if err := n.admit(m, from); err != nil {
		return err
	}
	if st != nil && t.Type == v2x.TypeCAM {
		st.station.Store(m.StationID()) // where this connection's vehicle is: the fan-out's priority
	}
	if t.Type != v2x.TypeDENM && *n.opts.ForwardTelemetry {
		t.Queue = v2x.OutQueue
		n.mqtt.Forward(t.String(), payload) // while anyone subscribes to it
	}
	return nil
}

// validate checks a decoded message against the schema, whatever transport brought it.
func (n *Node) validate(m v2x.Message) error {
	if err := m.Validate(); err != nil {
		return n.rejected(reject(string(m.Type()), ReasonInvalid, broker.CodePayloadFormatInvalid, err))
	}
	return nil
}

// reporter is who sent a message, as the report detectors count independent reporters.
type reporter struct {
	identity string    // auth.Grant.Identity; "" on an edge without credentials
	role     auth.Role // a sensor's or an authority's report is trusted to confirm alone
}

// admit applies a valid message — after the clock-skew and replay checks — to the LDM or the
// report store. Callers have validated it and checked who sent it.
func (n *Node) admit(m v2x.Message, from reporter) error {
	typ := string(m.Type())
	now := n.opts.Now()
	if skew := now.Sub(m.SentAt()); skew > n.opts.MaxClockSkew || -skew > n.opts.MaxClockSkew {
		return n.rejected(reject(typ, ReasonClockSkew, broker.CodeImplementationError,
			fmt.Errorf("timestamp %s is %s from the edge clock (bound %s)", m.SentAt().Format(time.RFC3339Nano), skew.Round(time.Millisecond), n.opts.MaxClockSkew)))
	}
	switch m := m.(type) {
	case *v2x.CAM:
		if err := n.applyCAM(m); err != nil {
			return n.rejected(err)
		}
	case *v2x.DENM:
		n.applyDENM(now, m, from)
	case *v2x.CPM:
		n.applyCPM(m)
	}
	n.metrics.ingestedBy[typ].Inc()
	if n.up != nil {
		n.up.ingestN.Add(1)
	}
	return nil
}

// tileHolds reports whether the topic's tile contains pos. A neighbouring tile is accepted too:
// a producer rounding its position at a tile edge must not lose its message.
func tileHolds(qk string, pos geo.Point) bool {
	x, y, zoom, err := geo.QuadkeyTile(qk)
	if err != nil {
		return false
	}
	px, py := geo.TileXY(pos, zoom)
	n := 1 << zoom
	dx := (px - x + n) % n // columns wrap at the antimeridian
	return (dx <= 1 || dx == n-1) && py-y >= -1 && py-y <= 1
}

func (n *Node) applyCAM(m *v2x.CAM) *Rejection {
	at := time.UnixMilli(m.Timestamp)
	id := m.StationID()
	if prev, ok := n.ldm.VehicleUpdated(id); ok && !at.After(prev) {
		return reject("cam", ReasonReplay, broker.CodeImplementationError,
			fmt.Errorf("station %d: timestamp %s not after %s", id, at.Format(time.RFC3339Nano), prev.Format(time.RFC3339Nano)))
	}
	speed, _ := m.Speed()
	heading, hok := m.Heading()
	n.ldm.UpdateVehicle(ldm.VehicleState{
		StationID: id, StationType: uint8(m.StationType()), Pos: m.Position(),
		SpeedMPS: speed, HeadingDeg: heading, HeadingOK: hok, At: at,
	})
	return nil
}

func (n *Node) applyCPM(m *v2x.CPM) {
	objs := m.Objects()
	perceived := make([]ldm.Perceived, 0, len(objs))
	for _, o := range objs {
		perceived = append(perceived, ldm.Perceived{
			ObjectID: o.ObjectID, Kind: kindOf(o.Class), Pos: o.Pos,
			SpeedMPS: o.SpeedMPS, HeadingDeg: o.HeadingDeg, HeadingOK: o.HeadingOK,
		})
	}
	n.ldm.UpdatePerceived(m.StationID(), perceived, time.UnixMilli(m.Timestamp))
}

func kindOf(c v2x.ObjectClass) ldm.Kind {
	switch c {
	case v2x.ClassVehicle:
		return ldm.KindVehicle
	case v2x.ClassPedestrian:
		return ldm.KindPedestrian
	case v2x.ClassCyclist:
		return ldm.KindCyclist
	case v2x.ClassAnimal:
		return ldm.KindAnimal
	case v2x.ClassOther:
		return ldm.KindObstacle
	}
	return ldm.KindUnknown
}

// applyDENM stores a reported event and runs the report detectors at once, so a vehicle's report
// becomes the edge's hazard without waiting for the next detection round. The report counts as
// its sender's credential among independent reporters (README "Credentials and roles").
func (n *Node) applyDENM(now time.Time, m *v2x.DENM, from reporter) {
	cause, sub := m.Cause()
	heading, hok := m.EventHeading()
	_, terminated := m.Termination()
	rep := detect.Report{
		From: m.ActionID(), Reporter: from.identity, Trusted: from.role == auth.Sensor || from.role == auth.Authority,
		StationID: m.StationID(), StationType: uint8(m.StationType()),
		Cause: cause, SubCause: sub, Pos: m.EventPosition(), HeadingDeg: heading, HasHeading: hok,
		Detection: m.DetectionTime(), Reference: m.ReferenceTime(), Validity: m.Validity(),
		Terminated: terminated,
	}
	n.reportMu.Lock()
	n.reports.Add(now, rep)
	n.journal.report(rep, now)
	events := n.runDetectors(now, n.reportDetectors)
	n.reportMu.Unlock()
	n.disseminate(events, now)
}

// logReject logs a rejection at most once per client per RejectLogEvery.
func (n *Node) logReject(clientID string, st *mqttSession, rej *Rejection) {
	now := time.Now()
	st.logMu.Lock()
	due := now.Sub(st.lastLog) >= n.opts.RejectLogEvery
	if due {
		st.lastLog = now
	}
	st.logMu.Unlock()
	if due {
		n.log.Warn("rejected message", "client", clientID, "type", rej.Type, "reason", rej.Reason, "error", rej.Err)
	}
}

func (n *Node) rejected(r *Rejection) *Rejection {
	n.metrics.rejected.WithLabelValues(r.Type, r.Reason).Inc()
	return r
}

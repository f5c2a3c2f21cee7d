package harness

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/native"
)

// nativeVehicle is one vehicle on michi's native protocol. Its CAM frame is encoded once; each
// send overwrites the envelope timestamp (a fixed-width msgpack uint64) and hands the frame to
// QUIC as a datagram, which quic-go copies. Where the connection has no datagrams it falls back
// to the client's SendCAM, which encodes every time.
type nativeVehicle struct {
	idx   int32
	c     *native.Conn
	cam   *v2x.CAM
	frame []byte
	tsOff int // offset of the timestamp's 8 big-endian bytes in frame, 0 = no datagrams
	last  int64
}

// msgpackTimestampKey is "timestamp" as a msgpack fixstr, followed in a CAM frame by the
// envelope timestamp as a uint64 (0xcf) or int64 (0xd3): Unix ms no longer fit 32 bits.
var msgpackTimestampKey = append([]byte{0xa0 | 9}, "timestamp"...)

var errNoNativeTimestamp = errors.New("encoded CAM frame has no fixed-width timestamp")

func newNativeVehicle(idx int, c *native.Conn, cam *v2x.CAM) (*nativeVehicle, error) {
	v := &nativeVehicle{idx: int32(idx), c: c, cam: cam, last: cam.Timestamp}
	if !c.Datagrams() {
		return v, nil
	}
	frame, err := native.EncodeFrame(&native.CAMFrame{CAM: cam})
	if err != nil {
		return nil, fmt.Errorf("encode cam frame: %w", err)
	}
	at := bytes.Index(frame, msgpackTimestampKey)
	if at < 0 || at+len(msgpackTimestampKey)+9 > len(frame) {
		return nil, errNoNativeTimestamp
	}
	at += len(msgpackTimestampKey)
	if frame[at] != 0xcf && frame[at] != 0xd3 {
		return nil, errNoNativeTimestamp
	}
	v.frame, v.tsOff = frame, at+1
	return v, nil
}

func (v *nativeVehicle) send(now, _ time.Time) (bool, error) {
	ms := now.UnixMilli()
	if ms <= v.last {
		ms = v.last + 1
	}
	v.last = ms
	if v.tsOff == 0 {
		v.cam.Timestamp = ms
		return true, v.c.SendCAM(v.cam)
	}
	binary.BigEndian.PutUint64(v.frame[v.tsOff:], uint64(ms))
	return true, v.c.QUIC().SendDatagram(v.frame)
}

// runNative is Run over the native protocol: every vehicle and the sensor are native clients;
// the edge geocasts each alert on its own stream to the vehicles inside the relevance circle.
func runNative(ctx context.Context, o Options, t Target) (*Result, error) {
	if t.QUICAddr == "" {
		return nil, fmt.Errorf("%s: %w", QUIC, ErrNoAddr)
	}
	if t.Baseline {
		return nil, fmt.Errorf("%s: a plain MQTT broker has no native protocol", QUIC)
	}
	tlsConf, err := tlsconf.ClientConfig(tlsconf.ClientOptions{PinnedFingerprint: t.TLSFingerprint})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", QUIC, err)
	}
	r := newRunner(&o, t)
	var conns []*native.Conn
	socks, err := newNativeSockets(nativeSocketCount(o.Vehicles))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", QUIC, err)
	}
	defer func() {
		r.closing.Store(true)
		for _, c := range conns {
			_ = c.Close()
		}
		r.readers.Wait()
		socks.close()
	}()
	dial := func(ctx context.Context, d native.Dialer, hello native.Hello) (*native.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		d.AlertBuffer, d.Now = 256, time.Now
		d.Transport = socks.pick(hello.StationID)
		return dialRetry(ctx, func() (*native.Conn, error) { return d.Dial(ctx, t.QUICAddr, tlsConf, hello) })
	}

	idle, idleMem := r.sampleTarget(), r.scrape()
	connStart := time.Now()
	vs := make([]*nativeVehicle, o.Vehicles)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.ConnectParallel)
	now := time.Now()
	for i := range vs {
		g.Go(func() error {
			cam := v2x.NewCAM(v2x.CAMSpec{
				SourceUUID: vehicleSource(i), StationID: uint32(vehicleBase + i), StationType: v2x.StationPassengerCar,
				Pos: r.sc.vehicles[i], SpeedMPS: vehicleSpeed, HeadingDeg: vehicleHead, At: now,
			})
			c, err := dial(gctx, native.Dialer{}, native.Hello{StationID: uint32(vehicleBase + i), StationType: v2x.StationPassengerCar, SourceUUID: vehicleSource(i)})
			if err != nil {
				return fmt.Errorf("vehicle %d: %w", i, err)
			}
			v, err := newNativeVehicle(i, c, cam)
			if err != nil {
				_ = c.Close()
				return err
			}
			vs[i] = v
			return nil
		})
	}
	err = g.Wait()
	for _, v := range vs {
		if v != nil {
			conns = append(conns, v.c)
		}
	}
	if err != nil {
		return nil, err
	}
	r.res.ConnectS = time.Since(connStart).Seconds()
	r.connected(idle, idleMem)

	var s *sensor
	if o.Hazards() > 0 {
		s = &sensor{o: &o, sc: r.sc, col: r.col, start: r.start, within: true, seqBase: uint16(time.Now().Unix())}
		refused := func(e *native.Error) { s.rejected.Add(1); s.lastCode.Store(int32(e.Code)) }
		sc, err := dial(ctx, native.Dialer{OnError: refused},
			native.Hello{StationID: sensorStation, StationType: v2x.StationPassengerCar, SourceUUID: sensorSource})
		if err != nil {
			return nil, fmt.Errorf("sensor: %w", err)
		}
		conns = append(conns, sc)
		s.prepare = func(h hazardSpec, _ []string) (func() error, error) {
			d := reportDENM(h)
			return func() error { return sc.SendDENM(ctx, d) }, nil
		}
	}
	for _, v := range vs {
		r.goRead(func() { r.readNativeAlerts(v.idx, v.c) })
	}
	senders := make([]sender, len(vs))
	for i, v := range vs {
		senders[i] = v
	}
	return r.drive(ctx, senders, r.injector(s), idle)
}

// readNativeAlerts hands a vehicle's alerts to the collector, stamped when the client had read
// each completely, until the connection ends.
func (r *runner) readNativeAlerts(v int32, c *native.Conn) {
	for {
		select {
		case a := <-c.Alerts():
			r.col.deliverDENM(v, a.DENM, a.ReceivedAt.Sub(r.start), a.Latency()+a.ServerSendTime().Sub(a.DENM.ReferenceTime()))
		case <-c.Done():
			if !r.closing.Load() {
				r.lost.Add(1)
				r.o.Log.Debug("vehicle connection ended", "vehicle", v, "error", c.Err())
			}
			return
		}
	}
}

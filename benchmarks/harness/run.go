package harness

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
	"golang.org/x/sync/errgroup"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// mqttVehicle is one vehicle on an MQTT transport: its connection and its pre-encoded CAM.
type mqttVehicle struct {
	idx int32
	c   *conn
	cam *camPacket
}

func (v *mqttVehicle) send(now, _ time.Time) (bool, error) {
	v.cam.stamp(now.UnixMilli())
	return true, v.c.write(v.cam.buf)
}

// Run drives one run against a running target: it connects the vehicles and the sensor, runs
// the telemetry through the warm-up and the measurement window, injects the hazards in the
// window, waits the grace period for late alerts, disconnects everyone and reports.
func Run(ctx context.Context, o Options, t Target) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Transport == QUIC {
		return runNative(ctx, o, t)
	}
	dial, err := dialer(o.Transport, t)
	if err != nil {
		return nil, err
	}
	r := newRunner(&o, t)
	defer r.closeAll()

	idle, idleMem := r.sampleTarget(), r.scrape()
	connStart := time.Now()
	vs, err := r.connectVehicles(ctx, dial)
	if err != nil {
		return nil, err
	}
	r.res.ConnectS = time.Since(connStart).Seconds()
	r.connected(idle, idleMem)

	var s *sensor
	if o.Hazards() > 0 {
		nc, err := dial(ctx)
		if err != nil {
			return nil, fmt.Errorf("sensor: %w", err)
		}
		c := newConn(nc)
		r.track(c)
		hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = c.handshake(hctx, sensorSource, nil, 0)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("sensor: %w", err)
		}
		s = &sensor{o: &o, sc: r.sc, col: r.col, start: r.start, seqBase: uint16(time.Now().Unix())}
		ms := &mqttSensor{s: s, c: c, baseline: t.Baseline}
		ping := pingreq()
		s.prepare, s.ping = ms.prepare, func() error { return c.write(ping) }
		r.goRead(ms.readAcks)
	}
	for _, v := range vs {
		r.goRead(func() { r.readAlerts(v.idx, v.c) })
	}
	senders := make([]sender, len(vs))
	for i, v := range vs {
		senders[i] = v
		if o.CAMRules == CAMRulesETSI {
			senders[i] = &etsiVehicle{v: v, m: r.sc.motions[i], root: o.Root, start: r.start, triggers: &r.triggers}
		}
	}
	return r.drive(ctx, senders, r.injector(s), idle)
}

// injector runs the sensor, if there is one, and reports on it.
func (r *runner) injector(s *sensor) func(context.Context, time.Duration) error {
	return func(ctx context.Context, t0 time.Duration) error {
		if s == nil {
			return nil
		}
		err := s.run(ctx, t0)
		r.res.InjectionLagMaxMs = s.lagMax.Seconds() * 1000
		r.res.SensorRejected = s.rejected.Load()
		if code := s.lastCode.Load(); code != 0 {
			r.o.Log.Warn("the target refused injected hazards", "count", s.rejected.Load(), "last_reason", fmt.Sprintf("0x%02x", code))
		}
		return err
	}
}

// runner holds the state one run shares between its phases.
type runner struct {
	o     *Options
	t     Target
	sc    *scenario
	col   *collector
	start time.Time
	res   Result

	mu      sync.Mutex
	conns   []*conn
	readers sync.WaitGroup
	closing atomic.Bool
	lost    atomic.Int64 // connections that ended before the run did

	triggers camTriggers // realistic mode: CAMs by what triggered them
}

func newRunner(o *Options, t Target) *runner {
	start := time.Now()
	sc := newScenario(o, int(start.UnixNano()%1_000_003))
	r := &runner{o: o, t: t, sc: sc, col: newCollector(sc, o, start), start: start}
	r.res = Result{
		Target: t.Name, Transport: o.Transport, Vehicles: o.Vehicles, RateHz: o.RateHz,
		DurationS: o.Duration.Seconds(), HazardRate: o.HazardRate, HazardRadiusM: o.HazardRadiusM,
		TelemetryAsked: float64(o.Vehicles) * o.RateHz, InProcess: t.InProcess, CAMRules: o.CAMRules,
	}
	if o.CAMRules == CAMRulesETSI { // the rules ask for 1 to 10 Hz: the ceiling
		r.res.RateHz = float64(time.Second / client.TGenCamMin)
		r.res.TelemetryAsked = float64(o.Vehicles) * r.res.RateHz
	}
	return r
}

func (r *runner) track(c *conn) {
	r.mu.Lock()
	r.conns = append(r.conns, c)
	r.mu.Unlock()
}

func (r *runner) goRead(f func()) {
	r.readers.Add(1)
	go func() { defer r.readers.Done(); f() }()
}

// closeAll disconnects every connection and waits for the readers.
func (r *runner) closeAll() {
	r.closing.Store(true)
	r.mu.Lock()
	conns := r.conns
	r.conns = nil
	r.mu.Unlock()
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() { defer wg.Done(); conns[i].close() }()
		if i%256 == 255 {
			wg.Wait()
		}
	}
	wg.Wait()
	r.readers.Wait()
}

// connectVehicles connects and subscribes every vehicle, ConnectParallel at a time.
func (r *runner) connectVehicles(ctx context.Context, dial dialFunc) ([]*mqttVehicle, error) {
	vs := make([]*mqttVehicle, r.o.Vehicles)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.o.ConnectParallel)
	now := time.Now()
	for i := range vs {
		g.Go(func() error {
			cam, err := newCAMPacket(r.o.Root, i, fixedState(r.sc.vehicles[i]), now)
			if err != nil {
				return err
			}
			hctx, cancel := context.WithTimeout(gctx, 30*time.Second)
			defer cancel()
			filters := make([]string, len(r.sc.subs[i]))
			for j, qk := range r.sc.subs[i] {
				filters[j] = v2x.SubscriptionFilter(r.o.Root, v2x.OutQueue, v2x.TypeDENM, qk)
			}
			c, err := dialRetry(hctx, func() (*conn, error) {
				nc, err := dial(hctx)
				if err != nil {
					return nil, fmt.Errorf("dial: %w", err)
				}
				c := newConn(nc)
				r.track(c)
				return c, c.handshake(hctx, vehicleSource(i), filters, r.o.alertQoS())
			})
			if err != nil {
				return fmt.Errorf("vehicle %d: %w", i, err)
			}
			vs[i] = &mqttVehicle{idx: int32(i), c: c, cam: cam}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return vs, nil
}

// readAlerts is a vehicle's reader: it takes the receipt time as soon as a PUBLISH is read,
// acknowledges QoS 1 and hands the payload to the collector.
func (r *runner) readAlerts(v int32, c *conn) {
	for {
		fh, body, err := c.readPacket()
		if err != nil {
			if !r.closing.Load() {
				r.lost.Add(1)
				r.o.Log.Debug("vehicle connection ended", "vehicle", v, "error", err)
			}
			return
		}
		recv := time.Since(r.start)
		switch fh.Type {
		case packets.Publish:
			pk := packets.Packet{FixedHeader: fh, ProtocolVersion: 5}
			if err := pk.PublishDecode(body); err != nil {
				r.col.malformed.Add(1)
				continue
			}
			if fh.Qos > 0 {
				if err := c.puback(pk.PacketID); err != nil {
					continue
				}
			}
			r.col.deliver(v, pk.Payload, recv)
		case packets.Disconnect:
			pk := packets.Packet{FixedHeader: fh, ProtocolVersion: 5}
			_ = pk.DisconnectDecode(body)
			if !r.closing.Load() {
				r.o.Log.Warn("the target disconnected a vehicle", "vehicle", v, "reason", fmt.Sprintf("0x%02x", pk.ReasonCode))
			}
		}
	}
}

// connected records what connecting and subscribing every vehicle cost the target, per vehicle:
// its RSS growth and, when it publishes Go's runtime metrics, the growth of goroutine stacks and
// of heap in use (the latter includes garbage not yet collected).
func (r *runner) connected(idle *procSample, idleMem map[string]float64) {
	n := float64(r.o.Vehicles)
	if after := r.sampleTarget(); idle != nil && after != nil {
		r.res.TargetIdleRSSMB = ptr(float64(idle.rssKB) / 1024)
		r.res.MemPerConnKiB = ptr(float64(after.rssKB-idle.rssKB) / n)
	}
	if after := r.scrape(); idleMem != nil && after != nil && after["stack"] > 0 {
		r.res.StackPerConnKiB = ptr((after["stack"] - idleMem["stack"]) / 1024 / n)
		r.res.HeapPerConnKiB = ptr((after["heap"] - idleMem["heap"]) / 1024 / n)
	}
}

// sampleTarget samples the target process, if it can be observed.
func (r *runner) sampleTarget() *procSample {
	if r.t.PID == 0 {
		return nil
	}
	s, err := sampleProc(r.t.PID)
	if err != nil {
		r.o.Log.Warn("cannot observe the target process", "pid", r.t.PID, "error", err)
		return nil
	}
	return &s
}

// drive runs the telemetry from now on, the warm-up, the measurement window with inject running
// in it, and the grace period, then fills in the result.
func (r *runner) drive(ctx context.Context, senders []sender, inject func(context.Context, time.Duration) error, idle *procSample) (*Result, error) {
	o := r.o
	period := time.Duration(float64(time.Second) / o.RateHz)
	if o.CAMRules == CAMRulesETSI { // every vehicle checks its rules every T_CheckCamGen
		period = client.TCheckCamGen
	}
	telStart := time.Since(r.start)
	gen := newGenerator(period, r.start.Add(telStart), o.Writers, senders)
	genCtx, stopGen := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := range o.Writers {
		wg.Add(1)
		go func() { defer wg.Done(); gen.run(genCtx, w) }()
	}
	defer func() { stopGen(); wg.Wait() }()

	if err := sleep(ctx, o.Warmup); err != nil {
		return nil, err
	}
	before := r.scrape()
	t0 := time.Since(r.start)
	tgt0, self0, sent0 := r.sampleTarget(), selfCPU(), gen.sent.Load()
	trig0 := r.triggers.snapshot()
	gen.lagMax.Store(0)

	injectErr := make(chan error, 1)
	go func() { injectErr <- inject(ctx, t0) }()
	stopProgress := r.progress(ctx, gen, t0)
	if err := sleep(ctx, o.Duration); err != nil {
		stopProgress()
		return nil, err
	}
	wall := time.Since(r.start) - t0
	tgt1, self1, sent1 := r.sampleTarget(), selfCPU(), gen.sent.Load()
	trig1 := r.triggers.snapshot()
	after := r.scrape()
	r.res.GeneratorLagMaxMs = float64(gen.lagMax.Load()) / 1e6
	if err := <-injectErr; err != nil {
		stopProgress()
		return nil, err
	}
	if err := sleep(ctx, o.Grace); err != nil {
		stopProgress()
		return nil, err
	}
	stopProgress()
	stopGen()
	wg.Wait()

	res := &r.res
	res.TelemetryAchieved = float64(sent1-sent0) / wall.Seconds()
	res.CAMRatePerVehicleHz = res.TelemetryAchieved / float64(o.Vehicles)
	if o.CAMRules == CAMRulesETSI {
		res.CAMTriggers = trig1
		for k, n := range trig0 {
			if res.CAMTriggers[k] -= n; res.CAMTriggers[k] == 0 {
				delete(res.CAMTriggers, k)
			}
		}
	}
	res.GeneratorCPUPct = cpuPct(self1-self0, wall)
	if me, err := sampleProc(pid()); err == nil {
		res.GeneratorRSSMB = float64(me.hwmKB) / 1024
	}
	if tgt0 != nil && tgt1 != nil {
		res.TargetCPUPct = ptr(cpuPct(tgt1.cpu-tgt0.cpu, tgt1.at.Sub(tgt0.at)))
		res.TargetRSSMB = ptr(float64(tgt1.hwmKB) / 1024)
		if idle != nil {
			res.MemPerVehKiB = ptr(float64(tgt1.rssKB-idle.rssKB) / float64(o.Vehicles))
		}
	}
	if before != nil && after != nil {
		res.TelemetryIngested = ptr((after["cam"] - before["cam"]) / wall.Seconds())
		res.TargetRejected = ptr(after["rejected"] - before["rejected"])
		res.TargetDropped = ptr(after["dropped"] - before["dropped"])
		res.TargetEvicted = ptr(after["evicted"] - before["evicted"])
	}
	r.finish(res)
	res.Disconnects = r.lost.Load() + gen.failed.Load()
	return res, nil
}

// finish copies the collector's counts and histograms into res.
func (r *runner) finish(res *Result) {
	c := r.col
	res.LostHazards, res.LostVehicles = c.lossSpread()
	c.mu.Lock()
	defer c.mu.Unlock()
	res.AlertsSent = len(c.inj)
	res.AlertsExpected, res.AlertsReceived = c.expected, c.received
	res.AlertsLost = c.expected - c.received
	res.AlertsRelevantExpected, res.AlertsRelevantReceived = c.relExpected, c.relReceived
	res.AlertsUnexpected, res.AlertCopies = c.unexpected, c.duplicates
	res.AlertsUnmatched = c.unmatched.Load()
	res.RadiusMismatch = c.radiusMismatch.Load()
	res.LatencyMs, res.LatencyRawMs, res.AlertAllMs = latencyOf(c.hist), latencyOf(c.raw), latencyOf(c.allHist)
	res.LatencyRelevantMs = latencyOf(c.relHist)
	res.AlertLatencyMs = latencyOf(c.alertHist)
}

// progress prints a line a second until stopped.
func (r *runner) progress(ctx context.Context, gen *generator, t0 time.Duration) (stop func()) {
	if r.o.Progress == nil {
		return func() {}
	}
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		lastSent, lastCPU, lastAt := gen.sent.Load(), selfCPU(), time.Now()
		lastTgt := r.sampleTarget()
		for {
			select {
			case <-pctx.Done():
				return
			case <-tick.C:
			}
			now := time.Now()
			sent, cpu, tgt := gen.sent.Load(), selfCPU(), r.sampleTarget()
			snap := r.col.snapshot()
			tcpu := "–"
			if tgt != nil && lastTgt != nil {
				tcpu = strconv.FormatFloat(cpuPct(tgt.cpu-lastTgt.cpu, tgt.at.Sub(lastTgt.at)), 'f', 0, 64)
			}
			wall := now.Sub(lastAt)
			fmt.Fprintf(r.o.Progress, "%s %s %d veh  t=%4.0fs  CAM %6.0f/s  alerts %d sent, %d/%d received  report→alert p99 %.2f ms  target CPU %s%%  gen CPU %.0f%%\n",
				r.t.Name, r.o.Transport, r.o.Vehicles, (time.Since(r.start) - t0).Seconds(),
				float64(sent-lastSent)/wall.Seconds(), snap.sent, snap.received, snap.expected, snap.p99Ms,
				tcpu, cpuPct(cpu-lastCPU, wall))
			lastSent, lastCPU, lastAt, lastTgt = sent, cpu, now, tgt
		}
	}()
	return func() { cancel(); <-done }
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/sim"
	"github.com/michi-v2x/michi/sim/report"
)

// edgeRun is one edge of the run: in-process (node set) or external.
type edgeRun struct {
	spec        EdgeSpec
	info        EdgeInfo
	pos         sim.Vec
	node        *edge.Node
	fingerprint string
	errc        chan error
	observer    paho.Client
}

// startEdges starts the in-process edges and waits until they serve.
func (r *runner) startEdges(ctx context.Context) error {
	for i, spec := range r.o.Edges {
		e := &edgeRun{spec: spec, pos: spec.At.Resolve(r.eng.Net.Proj), info: EdgeInfo{ID: spec.ID}}
		r.edges = append(r.edges, e)
		if spec.URL != "" {
			e.info.MQTT, e.info.External = spec.URL, true
			continue
		}
		eo := spec.Options
		if eo.EdgeID == "" {
			eo.EdgeID = spec.ID
		}
		eo.Root = r.o.Root
		eo.MQTTAddr = orDefault(eo.MQTTAddr, "127.0.0.1:0")
		eo.HTTPAddr = orDefault(spec.HTTPAddr, orDefault(eo.HTTPAddr, "127.0.0.1:0"))
		eo.WSAddr = orDefault(eo.WSAddr, edge.Off)
		eo.MQTTQUICAddr = orDefault(eo.MQTTQUICAddr, edge.Off)
		eo.QUICAddr = orDefault(eo.QUICAddr, edge.Off)
		switch r.o.Transport {
		case TransportMQTTWS:
			eo.WSAddr = "127.0.0.1:0"
		case TransportMQTTQUIC:
			eo.MQTTQUICAddr = "127.0.0.1:0"
		case TransportQUIC:
			eo.QUICAddr = "127.0.0.1:0"
		}
		if eo.Log == nil {
			eo.Log = r.o.Log.With("edge", spec.ID)
		}
		n, err := edge.New(eo)
		if err != nil {
			return fmt.Errorf("edges[%d] %s: %w", i, spec.ID, err)
		}
		e.node, e.errc = n, make(chan error, 1)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			e.errc <- n.Run(r.edgeCtx)
		}()
		select {
		case <-n.Ready():
		case err := <-e.errc:
			return fmt.Errorf("edge %s: %w", spec.ID, err)
		case <-ctx.Done():
			return ctx.Err()
		}
		e.info.MQTT = "tcp://" + n.MQTTAddr()
		if a := n.WSAddr(); a != "" {
			e.info.WS = "ws://" + a + "/mqtt"
		}
		if a := n.MQTTQUICAddr(); a != "" {
			e.info.QUIC = "mqtt+quic://" + a
			e.fingerprint = n.TLSFingerprint()
		}
		if a := n.QUICAddr(); a != "" {
			e.info.Native = "quic://" + a
			e.fingerprint = n.TLSFingerprint()
		}
		if a := n.HTTPAddr(); a != "" {
			e.info.HTTP = "http://" + a
		}
	}
	return nil
}

// vehicleURL is the URL vehicles of the run dial for edge e.
func (e *edgeRun) vehicleURL(transport string) string {
	switch transport {
	case TransportMQTTWS:
		return e.info.WS
	case TransportMQTTQUIC:
		return e.info.QUIC
	case TransportQUIC:
		return e.info.Native
	}
	return e.info.MQTT
}

// nearestEdge returns the edge nearest to p.
func (r *runner) nearestEdge(p sim.Vec) *edgeRun {
	best := r.edges[0]
	for _, e := range r.edges[1:] {
		if p.Dist(e.pos) < p.Dist(best.pos) {
			best = e
		}
	}
	return best
}

// rawClient connects a plain paho MQTT client (sensors, observers), which need to publish
// CPMs or subscribe to everything: more than the vehicle SDK offers.
func rawClient(ctx context.Context, brokerURL, id string) (paho.Client, error) {
	o := paho.NewClientOptions().AddBroker(brokerURL).SetClientID(id).SetCleanSession(true).
		SetAutoReconnect(true).SetConnectRetry(false).SetOrderMatters(false).SetKeepAlive(30 * time.Second).
		SetConnectTimeout(10 * time.Second)
	c := paho.NewClient(o)
	t := c.Connect()
	select {
	case <-t.Done():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if t.Error() != nil {
		return nil, fmt.Errorf("mqtt %s as %s: %w", brokerURL, id, t.Error())
	}
	return c, nil
}

// observe subscribes an observer to every DENM edge e publishes on outQueue.
func (r *runner) observe(ctx context.Context, e *edgeRun, col *report.Collector) error {
	c, err := rawClient(ctx, e.info.MQTT, "michi_sim_observer_"+e.spec.ID)
	if err != nil {
		return err
	}
	e.observer = c
	filter := r.o.Root + "/" + string(v2x.OutQueue) + "/v2x/denm/#"
	t := c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		topic, err := v2x.ParseTopic(m.Topic())
		if err != nil || len(m.Payload()) == 0 {
			return
		}
		d, err := v2x.UnmarshalDENM(m.Payload())
		if err != nil {
			return
		}
		col.Published(e.spec.ID, d, topic)
	})
	if !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return fmt.Errorf("observer of %s: subscribe: %v", e.spec.ID, t.Error())
	}
	return nil
}

// publisher is a roadside sensor's connection.
type publisher struct {
	c    paho.Client
	mu   sync.Mutex
	busy bool
}

func (p *publisher) publish(root string, m v2x.Message, source string) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	p.c.Publish(v2x.TopicFor(root, v2x.InQueue, m, source).String(), 0, false, b)
	return nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

package edge

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/michi-v2x/michi/internal/auth"
)

// hook connects the embedded broker to the edge: ingest of inQueue publishes, access control on
// topics, retained delivery for tile subscriptions (retained.go), and slow-consumer eviction.
type hook struct {
	mqtt.HookBase
	n       *Node
	clients sync.Map // *mqtt.Client → *clientState
}

// clientState is what the edge remembers per connection.
type clientState struct {
	source  atomic.Pointer[string] // the source_uuid this connection publishes as, once bound
	drops   atomic.Int64           // consecutive dropped deliveries (reset on a successful send)
	logMu   sync.Mutex
	lastLog time.Time
	evicted atomic.Bool
	station atomic.Uint32    // the station id of the last CAM this connection sent (0: none yet)
	role    auth.Role        // what its credentials grant ("" on an edge without credentials); set before any publish
	replay  []retainedReplay // set by OnSubscribe, consumed by OnSubscribed: the client's read goroutine only
	client  *mqtt.Client     // set once the session is established: the client's read goroutine only

	identity string         // whom its credential speaks for (auth.Grant.Identity); "" without credentials; set before any publish
	stations auth.Stations  // the station ids its credential may use; nil: the first it uses (stations.go)
	bound    stationBinding // the stations it holds

	refused bool                            // its credentials matched none (OnConnect → OnConnectAuthenticate)
	quota   *quota                          // its credential's share (quota.go); nil on an edge without credentials
	denied  atomic.Pointer[map[string]bool] // filters of the SUBSCRIBE in progress beyond MaxSubscriptions
}

func (h *hook) ID() string { return "michi-edge" }

// Provides is asked for every hook call of every packet (mochi checks each hook each time): a table.
func (h *hook) Provides(b byte) bool { return provided[b] }

var provided = func() (t [256]bool) {
	for _, b := range []byte{
		mqtt.OnConnect, mqtt.OnSessionEstablished, mqtt.OnDisconnect, mqtt.OnACLCheck, mqtt.OnConnectAuthenticate, mqtt.OnClientExpired,
		mqtt.OnPublish, mqtt.OnPublishDropped, mqtt.OnPacketSent, mqtt.OnSubscribe, mqtt.OnSubscribed, mqtt.OnUnsubscribed,
	} {
		t[b] = true
	}
	return t
}()

// state is what the edge keeps for cl: in its connection's lane for a network client (no map
// lookup on the per-packet path), in the clients map otherwise.
func (h *hook) state(cl *mqtt.Client) *clientState {
	if st, ok := h.lookup(cl); ok {
		return st
	}
	v, _ := h.clients.LoadOrStore(cl, &clientState{})
	return v.(*clientState)
}

// lookup is state without creating one.
func (h *hook) lookup(cl *mqtt.Client) (*clientState, bool) {
	if lc, ok := cl.Net.Conn.(*laneConn); ok {
		return &lc.state, true
	}
	if v, ok := h.clients.Load(cl); ok {
		return v.(*clientState), true
	}
	return nil, false
}

// OnConnect bounds the client's keep-alive, checks its user name (its source_uuid) and password
// (its token) against the edge's credentials, if it has any, and keeps what they grant: the
// role, the one source the connection may publish as, and that credential's quota, which the
// session must fit in (limits.go). mochi calls OnConnectAuthenticate next, which answers a
// refused credential with "bad user name or password"; a full quota or a full edge is answered
// here, with its own reason code, since mochi then sends no CONNACK of its own.
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	if cl.Net.Inline {
		return nil
	}
	n := h.n
	n.boundKeepAlive(cl)
	if n.mqttClients() >= int64(n.opts.Limits.MaxClients) {
		return h.refuse(cl, "clients", packets.ErrServerBusy)
	}
	st := h.state(cl)
	g, err := n.authenticate("mqtt", cl.Net.Remote, string(pk.Connect.Username), string(pk.Connect.Password))
	if err != nil {
		st.refused = true
		return nil
	}
	if g.Source == "" { // an edge without credentials
		return nil
	}
	st.role, st.identity, st.stations = g.Role, g.Identity, g.Stations // the connection speaks only for its user name
	st.source.Store(&g.Source)
	q, ok := n.quotas.open(g.Source, cl)
	if !ok {
		return h.refuse(cl, "sessions", packets.ErrQuotaExceeded)
	}
	st.quota = q
	return nil
}

// refuse answers a CONNECT beyond a limit with code, counts it and ends the connection.
func (h *hook) refuse(cl *mqtt.Client, limit string, code packets.Code) error {
	h.n.metrics.limited.WithLabelValues(limit).Inc()
	h.n.logLimit(limit, cl.Net.Remote, string(cl.Properties.Username))
	answer := code
	if cl.Properties.ProtocolVersion < 5 { // 3.1.1 has no such codes; mochi sends v5 codes it does not map as they are
		answer = packets.ErrServerUnavailable
	}
	_ = h.n.broker.SendConnack(cl, answer, false, nil)
	return code
}

func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, _ packets.Packet) bool {
	if cl.Net.Inline {
		return true
	}
	return !h.state(cl).refused
}

// OnSessionEstablished counts the client and lets the connection's lane take its telemetry
// (inbound.go). mochi calls it from the client's read goroutine, before the first read of the
// session's packets.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	if cl.Net.Inline {
		return
	}
	h.clients.Store(cl, h.state(cl)) // connected clients, for OnDisconnect's count
	h.n.metrics.clients.Inc()
	if lc, ok := cl.Net.Conn.(*laneConn); ok {
		lc.state.client = cl
	}
}

// OnDisconnect forgets the client, the stations it held, and its session when that ends with the connection. A v5
// client may have raised its session's expiry in DISCONNECT: bounded here (limits.go).
func (h *hook) OnDisconnect(cl *mqtt.Client, _ error, expire bool) {
	if _, ok := h.clients.LoadAndDelete(cl); ok {
		h.n.metrics.clients.Dec()
	}
	if st, ok := h.lookup(cl); ok {
		h.n.unbindStations(st)
	}
	h.n.boundSessionExpiry(cl)
	if expire && !cl.IsTakenOver() {
		h.n.quotas.close(cl)
	}
}

// OnClientExpired forgets a kept session the broker let expire.
func (h *hook) OnClientExpired(cl *mqtt.Client) { h.n.quotas.close(cl) }

// OnACLCheck lets clients publish only into {root}/inQueue/…; outQueue and interQueue are written
// by the edge alone. On an edge with credentials, vehicles and sensors read only what is
// published for them, {root}/outQueue/… (a filter must name that prefix: no "#", no "+" in its
// place), so that no vehicle reads the others' raw reports; authorities read anything. Without
// credentials everyone reads anything.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true
	}
	if write {
		return strings.HasPrefix(topic, h.n.inPrefix) && len(topic) > len(h.n.inPrefix)
	}
	st, ok := h.lookup(cl)
	if !ok {
		return true
	}
	if denied := st.denied.Load(); denied != nil && (*denied)[topic] { // a SUBSCRIBE beyond MaxSubscriptions
		return false
	}
	if st.role == "" || st.role == auth.Authority {
		return true
	}
	return strings.HasPrefix(topic, h.n.outPrefix)
}

// OnPublish ingests what a client publishes. A rejected message is answered with an MQTT v5
// reason code when the client can receive one (v5, QoS ≥ 1) and acknowledged but dropped
// otherwise; either way it is neither retained nor relayed.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	if pk.FixedHeader.Retain { // clients never leave state on the edge (README "Credentials and roles")
		pk.FixedHeader.Retain = false
		h.n.metrics.retainStripped.Inc()
	}
	if err := h.ingestFrom(cl, h.state(cl), pk.TopicName, pk.Payload); err != nil {
		var rej *Rejection
		if errors.As(err, &rej) && cl.Properties.ProtocolVersion == 5 && pk.FixedHeader.Qos > 0 {
			return pk, rej.Code
		}
		// Acknowledged (a v3 client at QoS 1 must get its PUBACK) but neither retained nor relayed.
		return pk, packets.CodeSuccessIgnore
	}
	return pk, nil
}

// ingestFrom ingests what cl published, logging a rejection (at most once per RejectLogEvery).
func (h *hook) ingestFrom(cl *mqtt.Client, st *clientState, topic string, payload []byte) error {
	var err error
	if l := h.n.opts.Limits; st.quota != nil && l.PublishRate > 0 && !st.quota.allow(l.PublishRate, l.PublishBurst, time.Now()) {
		err = h.n.rejected(reject("", ReasonRateLimited, packets.ErrQuotaExceeded,
			fmt.Errorf("%s publishes more than %g messages a second", st.quota.source, l.PublishRate)))
	} else {
		err = h.n.ingest(st, topic, payload)
	}
	if err == nil {
		return nil
	}
	var rej *Rejection
	if errors.As(err, &rej) {
		h.n.logReject(cl.ID, st, rej)
	}
	return err
}

func (h *hook) OnPacketSent(cl *mqtt.Client, pk packets.Packet, _ []byte) {
	if pk.FixedHeader.Type == packets.Publish {
		if st, ok := h.lookup(cl); ok {
			st.drops.Store(0)
		}
	}
}

// OnPublishDropped counts a delivery the client's bounded queue could not take and evicts a
// client that keeps falling behind, so one stalled vehicle never holds memory or others back.
func (h *hook) OnPublishDropped(cl *mqtt.Client, _ packets.Packet) {
	h.n.metrics.dropped.Inc()
	st := h.state(cl)
	if st.drops.Add(1) >= int64(h.n.opts.SlowClientDrops) && st.evicted.CompareAndSwap(false, true) {
		h.n.metrics.evicted.Inc()
		h.n.log.Warn("evicting slow client", "client", cl.ID, "remote", cl.Net.Remote, "dropped", st.drops.Load())
		go cl.Stop(errSlowConsumer)
	}
}

// OnUnsubscribed forgets filters in the subscription index; mochi calls it for every filter of a
// session that ends, too.
func (h *hook) OnUnsubscribed(cl *mqtt.Client, pk packets.Packet) {
	for _, sub := range pk.Filters {
		h.n.subs.remove(cl.ID, sub.Filter)
	}
}

package edge

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/michi-v2x/michi/internal/auth"
	"github.com/michi-v2x/michi/internal/broker"
)

// mqttSession is what the edge keeps per MQTT connection (broker.Conn.Session).
type mqttSession struct {
	id      string                 // the client id, for logs
	source  atomic.Pointer[string] // the source_uuid this connection publishes as, once bound
	station atomic.Uint32          // the station id of the last CAM this connection sent (0: none yet)
	logMu   sync.Mutex
	lastLog time.Time

	role     auth.Role      // what its credentials grant ("" on an edge without credentials)
	identity string         // whom its credential speaks for (auth.Grant.Identity); "" without credentials
	stations auth.Stations  // the station ids its credential may use; nil: the first it uses (stations.go)
	bound    stationBinding // the stations it holds
	quota    *quota         // its credential's share (quota.go); nil on an edge without credentials
}

// mqttHandler is the edge as the MQTT broker's broker.Handler: who may connect, what a client's
// publish does (ingest), what it may read.
type mqttHandler struct{ n *Node }

// errCredentials refuses a client whose credentials matched none: "bad user name or password".
var errCredentials = errors.New("credentials matched none")

// Connect admits a client within MaxClients, checks its user name (its source_uuid) and password
// (its token) against the edge's credentials, if it has any, and keeps what they grant: the role,
// the one source the connection may publish as, and that credential's quota, which the session
// must fit in (limits.go).
func (h mqttHandler) Connect(c *broker.Conn) error {
	n := h.n
	if n.mqtt.Clients() >= int64(n.opts.Limits.MaxClients) {
		return h.refuse(c, "clients", broker.CodeServerBusy)
	}
	s := &mqttSession{id: c.ID()}
	c.Session = s
	g, err := n.authenticate("mqtt", c.Remote(), c.Username(), c.Password())
	if err != nil {
		return errCredentials
	}
	if g.Source == "" { // an edge without credentials
		return nil
	}
	s.role, s.identity, s.stations = g.Role, g.Identity, g.Stations // the connection speaks only for its user name
	s.source.Store(&g.Source)
	q, ok := n.quotas.open(g.Source, c)
	if !ok {
		return h.refuse(c, "sessions", broker.CodeQuotaExceeded)
	}
	s.quota = q
	return nil
}

// refuse counts and logs a CONNECT beyond a limit; the broker answers it with code.
func (h mqttHandler) refuse(c *broker.Conn, limit string, code broker.Code) error {
	h.n.metrics.limited.WithLabelValues(limit).Inc()
	h.n.logLimit(limit, c.Remote(), c.Username())
	return reject("", limit, code, fmt.Errorf("at the %s limit", limit))
}

// Publish ingests what a client published, within its credential's publish rate, logging a
// rejection (at most once per RejectLogEvery).
func (h mqttHandler) Publish(c *broker.Conn, topic string, payload []byte) error {
	n := h.n
	s := c.Session.(*mqttSession)
	var err error
	if l := n.opts.Limits; s.quota != nil && l.PublishRate > 0 && !s.quota.allow(l.PublishRate, l.PublishBurst, time.Now()) {
		err = n.rejected(reject("", ReasonRateLimited, broker.CodeQuotaExceeded,
			fmt.Errorf("%s publishes more than %g messages a second", s.quota.source, l.PublishRate)))
	} else {
		err = n.ingest(s, topic, payload)
	}
	if err == nil {
		return nil
	}
	var rej *Rejection
	if errors.As(err, &rej) {
		n.logReject(s.id, s, rej)
	}
	return err
}

// MayRead: on an edge with credentials, vehicles and sensors read only what is published for
// them, {root}/outQueue/… (a filter must name that prefix: no "#", no "+" in its place), so that
// no vehicle reads the others' raw reports; authorities read anything. Without credentials
// everyone reads anything.
func (h mqttHandler) MayRead(c *broker.Conn, topic string) bool {
	s, ok := c.Session.(*mqttSession)
	if !ok || s.role == "" || s.role == auth.Authority {
		return true
	}
	return strings.HasPrefix(topic, h.n.outPrefix)
}

// Disconnect lets go of the stations the connection held, and of its session's slot in its
// credential's quota when the session ended.
func (h mqttHandler) Disconnect(c *broker.Conn, ended bool) {
	if s, ok := c.Session.(*mqttSession); ok {
		h.n.unbindStations(s)
	}
	if ended {
		h.n.quotas.close(c)
	}
}

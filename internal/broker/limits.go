package broker

import (
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Limits mochi-mqtt does not enforce, or not quite as the edge needs (README "Credentials and
// roles"): the connect timeout (lane.go), keep-alive, session expiry at DISCONNECT, subscriptions
// per session and the WebSocket origin.

// boundKeepAlive gives a client that asked for no keep-alive, or (v5) a longer one, the server's
// maximum. mochi-mqtt sets the connection's deadline from it after OnConnect, and tells a v5
// client in CONNACK [MQTT-3.2.2-21] (TestMochiTakesKeepAliveFromOnConnect).
func (s *Server) boundKeepAlive(cl *mqtt.Client) {
	max := uint16(s.o.MaxKeepAlive / time.Second)
	if ka := cl.State.Keepalive; ka == 0 || ka > max && cl.Properties.ProtocolVersion == 5 {
		cl.State.Keepalive, cl.State.ServerKeepalive = max, true
	}
}

// boundSessionExpiry caps the Session Expiry Interval a v5 client may raise in its DISCONNECT
// packet: mochi-mqtt caps the CONNECT's value but takes the DISCONNECT's as it comes, so a
// session could otherwise be kept for ever (0xFFFFFFFF;
// TestMochiTakesDisconnectSessionExpiryUncapped). It runs on the packet before mochi copies it
// into the client: capping the client's copy after the disconnect raced with mochi's expiry
// sweep, which reads it from another goroutine.
func (s *Server) boundSessionExpiry(pk *packets.Packet) {
	max := uint32(s.o.SessionExpiry / time.Second)
	if p := &pk.Properties; p.SessionExpiryIntervalFlag && p.SessionExpiryInterval > max {
		p.SessionExpiryInterval = max
	}
}

// limitSubscriptions marks the filters of pk that would take cl beyond MaxSubscriptions;
// OnACLCheck refuses them (0x87, the code mochi-mqtt lets a hook give:
// TestMochiAnswersRefusedFilterNotAuthorized), and OnSubscribed clears the mark. All three run on
// cl's read goroutine; deliveries read the mark concurrently, hence the atomic pointer.
func (s *Server) limitSubscriptions(cl *mqtt.Client, c *Conn, pk packets.Packet) {
	held := cl.State.Subscriptions.Len()
	var denied map[string]bool
	for _, sub := range pk.Filters {
		if _, exists := cl.State.Subscriptions.Get(sub.Filter); exists {
			continue
		}
		if held < s.o.MaxSubscriptions {
			held++
			continue
		}
		if denied == nil {
			denied = map[string]bool{}
		}
		denied[sub.Filter] = true
		s.m.Limited.WithLabelValues("subscriptions").Inc()
	}
	if denied != nil {
		c.denied.Store(&denied)
	}
}

// originAllowed is the WebSocket listeners' Origin check: a browser page may open an MQTT
// connection only from an allowed origin or the listener's own host, so a page a local user
// happens to open cannot reach the broker. A request without Origin is not a browser's.
func originAllowed(r *http.Request, patterns []string, loopback bool) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return true
		}
	}
	if !strings.EqualFold(u.Host, r.Host) {
		return false
	}
	if !loopback {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	return net.ParseIP(strings.Trim(host, "[]")) != nil || strings.EqualFold(host, "localhost")
}

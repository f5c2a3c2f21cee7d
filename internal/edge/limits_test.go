package edge_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	pahov5 "github.com/eclipse/paho.golang/paho"
	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/httpsrv"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/pkg/geo"
)

// paho5 connects an MQTT v5 client (paho.golang) to addr and returns it with the CONNACK; cp
// (nil: a clean start) gets id, and user and password unless user is "". The caller disconnects it.
func paho5(addr, id, user, password string, cp *pahov5.Connect) (*pahov5.Client, *pahov5.Connack, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	c := pahov5.NewClient(pahov5.ClientConfig{Conn: packets.NewThreadSafeConn(conn), PacketTimeout: 5 * time.Second})
	if cp == nil {
		cp = &pahov5.Connect{CleanStart: true, KeepAlive: 30}
	}
	cp.ClientID = id
	if user != "" {
		cp.Username, cp.UsernameFlag, cp.Password, cp.PasswordFlag = user, true, []byte(password), true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ca, err := c.Connect(ctx, cp)
	if err != nil {
		conn.Close()
	}
	return c, ca, err
}

// v5 is paho5 for the test's goroutine: an admitted client disconnects when the test ends.
func v5(t *testing.T, addr, id, user, password string, cp *pahov5.Connect) (*pahov5.Client, *pahov5.Connack, error) {
	t.Helper()
	c, ca, err := paho5(addr, id, user, password, cp)
	if err == nil {
		t.Cleanup(func() { _ = c.Disconnect(&pahov5.Disconnect{}) })
	}
	return c, ca, err
}

// closedWithin waits until the server closes conn (a read ends with EOF or a reset), reading
// and discarding whatever it sends first.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(d)))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %s", d)
	}
}

// Item 3 of issue 14: a client's retained publishes leave nothing on the edge. 1,000 retained
// CAMs on 1,000 topics are ingested as live messages; the broker keeps none, and a subscriber
// that comes later gets none of them.
func TestClientPublishesAreNeverRetained(t *testing.T) {
	n, clk := startNode(t)
	const src = "com_car_77"
	c := connect(t, "tcp://"+n.MQTTAddr(), src)
	at, p := clk.Now(), here
	for i := range 1000 {
		p = geo.Destination(p, 90, 12) // a zoom-22 tile of its own each time
		tok := c.Publish(camTopic(src, p), 1, true, camJSON(t, src, 77, at.Add(time.Duration(i)*time.Millisecond), p, nil))
		require.True(t, tok.WaitTimeout(5*time.Second))
		require.NoError(t, tok.Error())
	}
	require.Zero(t, metric(t, n, "michi_edge_mqtt_retained"))
	require.Equal(t, 1000.0, metric(t, n, "michi_edge_ingested_total", "type=cam"), "every CAM is taken as a live message")
	require.Equal(t, 1000.0, metric(t, n, "michi_edge_mqtt_retain_stripped_total"))

	// mosquitto_pub's retained CAM is no different.
	if _, err := mosquittoPub(t, n.MQTTAddr(), camTopic("com_car_78", here), camJSON(t, "com_car_78", 78, at, here, nil), "-r"); err == nil {
		tracked(t, n, 78)
	}
	require.Zero(t, metric(t, n, "michi_edge_mqtt_retained"))

	// A late subscriber: whatever the broker replays on SUBSCRIBE reaches it before the
	// subscriber's own next publish, which comes back to it (MQTT 3.1.1 has no no-local).
	late := connect(t, "tcp://"+n.MQTTAddr(), "com_car_79")
	msgs := subscribe(t, late, "michi/inQueue/#")
	publish(t, late, camTopic("com_car_79", here), camJSON(t, "com_car_79", 79, at, here, nil))
	for m := range msgs {
		require.False(t, m.Retained(), "a retained message from a client: %s", m.Topic())
		if strings.Contains(m.Topic(), "com_car_79") {
			break
		}
		t.Fatalf("replayed on subscribe: %s", m.Topic())
	}
}

// Item 7: keep-alive 0 does not mean for ever. A 3.1.1 client that asks for none is closed
// after 1.5 × MaxKeepAlive of silence; a v5 client is told the keep-alive it must use.
func TestKeepAliveZeroGetsTheMaximum(t *testing.T) {
	n, _ := startNode(t, func(o *edge.Options) { o.Limits.MaxKeepAlive = time.Second })
	lost := make(chan error, 1)
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + n.MQTTAddr()).SetClientID("silent").
		SetProtocolVersion(4).SetKeepAlive(0).SetAutoReconnect(false).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err }))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(0) })
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatal("a client with keep-alive 0 was kept for 10 s of silence")
	}

	_, ca, err := v5(t, n.MQTTAddr(), "silent-v5", "", "", &pahov5.Connect{CleanStart: true, KeepAlive: 0})
	require.NoError(t, err)
	require.NotNil(t, ca.Properties.ServerKeepAlive, "CONNACK without Server Keep Alive")
	require.Equal(t, uint16(1), *ca.Properties.ServerKeepAlive)
	_, ca, err = v5(t, n.MQTTAddr(), "long-v5", "", "", &pahov5.Connect{CleanStart: true, KeepAlive: 3600})
	require.NoError(t, err)
	require.Equal(t, uint16(1), *ca.Properties.ServerKeepAlive, "a longer keep-alive is bounded too")
}

// A connection that never sends CONNECT is closed after ConnectTimeout, on every MQTT listener
// that takes TCP (mochi-mqtt alone waits for ever).
func TestSilentConnectionIsClosed(t *testing.T) {
	n, _ := startNode(t, func(o *edge.Options) { o.Limits.ConnectTimeout = 200 * time.Millisecond })
	conn, err := net.Dial("tcp", n.MQTTAddr())
	require.NoError(t, err)
	defer conn.Close()
	closedWithin(t, conn, 5*time.Second)
}

// upgradeStatus sends a WebSocket upgrade request to addr with the given Host and Origin ("" =
// none) and returns the response's status code.
func upgradeStatus(t *testing.T, addr, host, origin string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	req := "GET /mqtt HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n"
	if origin != "" {
		req += "Origin: " + origin + "\r\n"
	}
	_, err = conn.Write([]byte(req + "\r\n"))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	var code int
	_, err = fmt.Sscanf(line, "HTTP/1.1 %d", &code)
	require.NoError(t, err, line)
	return code
}

// Item 7: a web page cannot open the broker's WebSocket from a foreign origin; clients that are
// not browsers (no Origin) and pages of the listener's own host or an allowed origin can.
func TestWebSocketChecksOrigin(t *testing.T) {
	n, _ := startNode(t, func(o *edge.Options) { o.Limits.WSOrigins = []string{"dash.example.org", "https://*.city.example"} })
	addr := n.WSAddr()
	_, port, _ := net.SplitHostPort(addr)
	for _, c := range []struct {
		host, origin string
		want         int
	}{
		{addr, "", 101},               // not a browser
		{addr, "http://" + addr, 101}, // the listener's own page
		{"localhost:" + port, "http://localhost:" + port, 101},       // the same, by name
		{addr, "https://dash.example.org", 101},                      // allowed host
		{addr, "https://maps.city.example", 101},                     // allowed scheme://host pattern
		{addr, "http://maps.city.example", 403},                      // … not over http
		{addr, "https://evil.example", 403},                          // a foreign page
		{addr, "null", 403},                                          // a sandboxed page or a file
		{"evil.example:" + port, "http://evil.example:" + port, 403}, // DNS rebinding to loopback
	} {
		require.Equal(t, c.want, upgradeStatus(t, addr, c.host, c.origin), "Host %s, Origin %q", c.host, c.origin)
	}
	require.Equal(t, 4.0, metric(t, n, "michi_edge_limit_refused_total", "limit=origin"))
}

// Item 7: the HTTP API and the WebSocket listener close a client that trickles its headers or
// idles between requests.
func TestHTTPServersBoundSlowAndIdleClients(t *testing.T) {
	n, _ := startNode(t, func(o *edge.Options) {
		o.Limits.HTTP = httpsrv.Timeouts{ReadHeader: 200 * time.Millisecond, Read: 300 * time.Millisecond, Idle: 300 * time.Millisecond}
	})
	for _, addr := range []string{n.HTTPAddr(), n.WSAddr()} {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		_, err = conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")) // and never the end of the headers
		require.NoError(t, err)
		closedWithin(t, conn, 5*time.Second)
		conn.Close()
	}
	conn, err := net.Dial("tcp", n.HTTPAddr())
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	closedWithin(t, conn, 5*time.Second) // the answer, then the idle connection's end
}

// Item 4: one credential flooding the edge with connections gets MaxSessions of them; another
// credential is served all along, and every refusal is counted.
func TestConnectionFloodFromOneCredential(t *testing.T) {
	path, tk := writeCredentials(t)
	n, clk := startNode(t, func(o *edge.Options) { o.Credentials, o.Limits.MaxSessions = path, 4 })
	honest := loggedIn(t, n, "com_rsu_1", tk.rsu)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted, refused := 0, 0
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, ca, err := paho5(n.MQTTAddr(), fmt.Sprintf("flood-%d", i), "com_car_1", tk.car, nil)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				require.NotNil(t, ca, "%v", err)
				require.Equal(t, byte(0x97), ca.ReasonCode, "refused as quota exceeded")
				refused++
				return
			}
			admitted++
			go func() { <-stop; _ = c.Disconnect(&pahov5.Disconnect{}) }()
		}()
	}
	// Meanwhile the honest sensor's CAMs are taken, each at once.
	at := clk.Now()
	for i := range 20 {
		publish(t, honest, camTopic("com_rsu_1", here), camJSON(t, "com_rsu_1", 501, at.Add(time.Duration(i)*time.Millisecond), here, nil))
	}
	wg.Wait()
	defer close(stop)
	require.Equal(t, 4, admitted)
	require.Equal(t, 36, refused)
	require.Equal(t, 36.0, metric(t, n, "michi_edge_limit_refused_total", "limit=sessions"))
	tracked(t, n, 501)
	require.Equal(t, 20.0, metric(t, n, "michi_edge_ingested_total", "type=cam"))
	// A 3.1.1 client is refused with the code it knows.
	_, err := login(n, "com_car_1", tk.car)
	require.ErrorContains(t, err, "server Unavailable")
}

// Item 4: MaxClients bounds the connections of everyone together.
func TestMaxClients(t *testing.T) {
	n, _ := startNode(t, func(o *edge.Options) { o.Limits.MaxClients = 2 })
	connect(t, "tcp://"+n.MQTTAddr(), "one")
	connect(t, "tcp://"+n.MQTTAddr(), "two")
	_, ca, err := v5(t, n.MQTTAddr(), "three", "", "", nil)
	require.Error(t, err)
	require.Equal(t, byte(0x89), ca.ReasonCode, "server busy")
	require.Equal(t, 1.0, metric(t, n, "michi_edge_limit_refused_total", "limit=clients"))
	require.Equal(t, 2.0, metric(t, n, "michi_edge_mqtt_clients"))
}

// Item 4: a credential publishing faster than PublishRate is refused beyond its burst, with
// 0x97 at QoS 1 over MQTT v5, and counted.
func TestPublishRatePerCredential(t *testing.T) {
	path, tk := writeCredentials(t)
	n, clk := startNode(t, func(o *edge.Options) { o.Credentials, o.Limits.PublishRate, o.Limits.PublishBurst = path, 1, 10 })
	c, _, err := v5(t, n.MQTTAddr(), "rate", "com_car_1", tk.car, nil)
	require.NoError(t, err)
	at := clk.Now()
	codes := map[byte]int{}
	for i := range 30 {
		b := camJSON(t, "com_car_1", 1, at.Add(time.Duration(i)*time.Millisecond), here, nil)
		r, _ := c.Publish(context.Background(), &pahov5.Publish{Topic: camTopic("com_car_1", here), QoS: 1, Payload: b})
		require.NotNil(t, r)
		codes[r.ReasonCode]++
	}
	require.LessOrEqual(t, codes[0], 11, "at most the burst (and a token refilled meanwhile)")
	require.GreaterOrEqual(t, codes[0x97], 19)
	require.Equal(t, float64(codes[0x97]), metric(t, n, "michi_edge_rejected_total", "reason=rate_limited"))
	// Another credential has a bucket of its own.
	other, _, err := v5(t, n.MQTTAddr(), "rate-rsu", "com_rsu_1", tk.rsu, nil)
	require.NoError(t, err)
	r, err := other.Publish(context.Background(), &pahov5.Publish{Topic: camTopic("com_rsu_1", here), QoS: 1,
		Payload: camJSON(t, "com_rsu_1", 502, at, here, nil)})
	require.NoError(t, err)
	require.Zero(t, r.ReasonCode)
}

// Item 4: a session holds at most MaxSubscriptions filters.
func TestMaxSubscriptionsPerSession(t *testing.T) {
	n, _ := startNode(t, func(o *edge.Options) { o.Limits.MaxSubscriptions = 2 })
	c, _, err := v5(t, n.MQTTAddr(), "subs", "", "", nil)
	require.NoError(t, err)
	sa, err := c.Subscribe(context.Background(), &pahov5.Subscribe{Subscriptions: []pahov5.SubscribeOptions{
		{Topic: "michi/outQueue/a/#"}, {Topic: "michi/outQueue/b/#"}, {Topic: "michi/outQueue/c/#"}}})
	require.Error(t, err)
	require.Equal(t, []byte{0, 0, 0x87}, sa.Reasons)
	sa, err = c.Subscribe(context.Background(), &pahov5.Subscribe{Subscriptions: []pahov5.SubscribeOptions{{Topic: "michi/outQueue/a/#", QoS: 1}}})
	require.NoError(t, err, "a filter it holds may be subscribed again")
	require.Equal(t, []byte{1}, sa.Reasons)
	require.Equal(t, 1.0, metric(t, n, "michi_edge_limit_refused_total", "limit=subscriptions"))
}

// Item 4: a disconnected session is kept at most SessionExpiry, even when a v5 client asks for
// "never" in its DISCONNECT (mochi-mqtt takes that value as it comes).
func TestSessionExpiryIsCapped(t *testing.T) {
	n, _ := startNode(t, func(o *edge.Options) { o.Limits.SessionExpiry = time.Second })
	hour := uint32(3600)
	cp := func() *pahov5.Connect {
		return &pahov5.Connect{KeepAlive: 30, Properties: &pahov5.ConnectProperties{SessionExpiryInterval: &hour}}
	}
	c, ca, err := v5(t, n.MQTTAddr(), "keeper", "", "", cp())
	require.NoError(t, err)
	require.Equal(t, uint32(1), *ca.Properties.SessionExpiryInterval, "CONNACK states the cap")
	forever := uint32(0xFFFFFFFF)
	require.NoError(t, c.Disconnect(&pahov5.Disconnect{Properties: &pahov5.DisconnectProperties{SessionExpiryInterval: &forever}}))
	testutil.CheckFor(t, 10*time.Second, func() error {
		if s := metric(t, n, "michi_edge_mqtt_sessions"); s != 0 {
			return fmt.Errorf("%g sessions kept", s)
		}
		return nil
	})
	c, ca, err = v5(t, n.MQTTAddr(), "keeper", "", "", &pahov5.Connect{KeepAlive: 30})
	require.NoError(t, err)
	require.False(t, ca.SessionPresent)
}

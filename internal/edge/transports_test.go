package edge_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/internal/edge"
	"github.com/michi-v2x/michi/internal/testutil"
	"github.com/michi-v2x/michi/internal/tlsconf"
	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/quicconn"
	"github.com/michi-v2x/michi/pkg/v2x"
)

func secureNode(t *testing.T) *edge.Node {
	n, _ := startNode(t, func(o *edge.Options) { o.MQTTQUICAddr, o.MQTTTLSAddr = "127.0.0.1:0", "127.0.0.1:0" })
	require.NotEmpty(t, n.TLSFingerprint())
	return n
}

func pinned(t *testing.T, fingerprint string, alpn ...string) *tls.Config {
	c, err := tlsconf.ClientConfig(tlsconf.ClientOptions{PinnedFingerprint: fingerprint, ALPN: alpn})
	require.NoError(t, err)
	return c
}

// quicClient dials MQTT over QUIC the EMQX way: paho's custom connection hands it one QUIC stream.
func quicClient(n *edge.Node, id string, conf *tls.Config) paho.Client {
	opts := paho.NewClientOptions().AddBroker("quic://" + n.MQTTQUICAddr()).SetClientID(id).SetConnectRetry(false).
		SetCustomOpenConnectionFn(func(uri *url.URL, _ paho.ClientOptions) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return quicconn.Dial(ctx, uri.Host, conf, nil)
		})
	return paho.NewClient(opts)
}

func TestPahoOverQUICReceivesHazard(t *testing.T) {
	n := secureNode(t)
	event := geo.Destination(here, 10, 300)
	c := quicClient(n, "quic-vehicle", pinned(t, n.TLSFingerprint(), "mqtt"))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.NoError(t, tok.Error())
	t.Cleanup(func() { c.Disconnect(50) })
	ch := subscribe(t, c, denmFilter(n, event, 16))

	now := time.Now()
	newVehicle(t, n, 3).denm(t, v2x.DENMSpec{Cause: v2x.CauseRoadworks, Pos: event, Detection: now, Reference: now, At: now})
	d, _ := nextDENM(t, ch)
	cause, _ := d.Cause()
	require.Equal(t, uint8(v2x.CauseRoadworks), cause)

	// The QUIC vehicle publishes its own state too.
	publish(t, c, camTopic("com_car_77", here), camJSON(t, "com_car_77", 77, time.Now(), here, nil))
	testutil.CheckFor(t, 5*time.Second, func() error {
		if _, ok := n.LDM().Vehicle(77); !ok {
			return errNotYet
		}
		return nil
	})
}

func TestTLSListenersRefuseAWrongPin(t *testing.T) {
	n := secureNode(t)
	wrong := "00:" + n.TLSFingerprint()[3:]
	if wrong == n.TLSFingerprint() {
		wrong = "11:" + n.TLSFingerprint()[3:]
	}
	c := quicClient(n, "wrong-pin", pinned(t, wrong, "mqtt"))
	tok := c.Connect()
	require.True(t, tok.WaitTimeout(10*time.Second))
	require.Error(t, tok.Error())

	// mqtts: the right pin connects, a wrong one does not.
	for pin, ok := range map[string]bool{n.TLSFingerprint(): true, wrong: false} {
		c := paho.NewClient(paho.NewClientOptions().AddBroker("ssl://" + n.MQTTTLSAddr()).SetClientID("tls-" + pin[:2]).
			SetTLSConfig(pinned(t, pin)).SetConnectRetry(false))
		tok := c.Connect()
		require.True(t, tok.WaitTimeout(10*time.Second))
		if ok {
			require.NoError(t, tok.Error())
			c.Disconnect(50)
		} else {
			require.Error(t, tok.Error())
		}
	}
}

func TestWebSocketClients(t *testing.T) {
	n, clk := startNode(t)
	event := geo.Destination(here, 270, 150)
	sub := subscribe(t, connect(t, "ws://"+n.WSAddr()+"/mqtt", "ws-listener"), denmFilter(n, event, 16))
	ws := connect(t, "ws://"+n.WSAddr()+"/mqtt", "com_car_31")
	now := clk.Now()
	publish(t, ws, camTopic("com_car_31", here), camJSON(t, "com_car_31", 31, now, here, nil))
	denm := v2x.NewDENM(v2x.DENMSpec{SourceUUID: "com_car_31", StationID: 31, StationType: v2x.StationPassengerCar,
		ActionID: v2x.ActionID{OriginatingStationID: 31, SequenceNumber: 1}, Cause: v2x.CauseAnimal, Pos: event,
		Detection: now, Reference: now, At: now})
	publish(t, ws, v2x.Topic{Root: "michi", Queue: v2x.InQueue, Type: v2x.TypeDENM, SourceID: "com_car_31", Quadkey: geo.Quadkey(event, 22)}.String(), denm)
	d, _ := nextDENM(t, sub)
	cause, _ := d.Cause()
	require.Equal(t, uint8(v2x.CauseAnimal), cause)
	_, ok := n.LDM().Vehicle(31)
	require.True(t, ok)
}

// With http_tls the API answers over HTTPS with the listeners' certificate, pinned like them.
func TestHTTPAPIOverTLS(t *testing.T) {
	n, _ := startNode(t, func(o *edge.Options) { o.HTTPTLS = true })
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: pinned(t, n.TLSFingerprint())}}
	resp, err := c.Get("https://" + n.HTTPAddr() + "/api/v1/keys")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotEmpty(t, n.TLSFingerprint(), "a certificate even with every TLS listener off")
}

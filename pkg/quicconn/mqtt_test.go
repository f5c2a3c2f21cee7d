package quicconn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	pahopackets "github.com/eclipse/paho.mqtt.golang/packets"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// gateHook lets every client in except the user "intruder", and records where clients came from.
type gateHook struct {
	mqtt.HookBase
	mu      sync.Mutex
	remotes map[string]string // client id -> listener id + " " + remote address
}

func (h *gateHook) ID() string { return "gate" }

func (h *gateHook) Provides(b byte) bool {
	return bytes.Contains([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck, mqtt.OnSessionEstablished}, []byte{b})
}

func (h *gateHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	return string(pk.Connect.Username) != "intruder"
}

func (h *gateHook) OnACLCheck(*mqtt.Client, string, bool) bool { return true }

func (h *gateHook) OnSessionEstablished(cl *mqtt.Client, _ packets.Packet) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remotes[cl.ID] = cl.Net.Listener + " " + cl.Net.Remote
}

// startBroker runs a mochi-mqtt broker whose only listener is a QUIC Listener.
func startBroker(t *testing.T) (*Listener, *gateHook) {
	t.Helper()
	ql := newListener(t, ListenConfig{})
	broker := mqtt.New(&mqtt.Options{Logger: slog.New(slog.DiscardHandler)})
	hook := &gateHook{remotes: map[string]string{}}
	if err := broker.AddHook(hook, nil); err != nil {
		t.Fatal(err)
	}
	if err := broker.AddListener(listeners.NewNet("quic", ql)); err != nil {
		t.Fatal(err)
	}
	if err := broker.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { broker.Close() })
	return ql, hook
}

// pahoOverQUIC returns paho client options that reach addr over QUIC, the way an EMQX-style
// MQTT-over-QUIC client does.
func pahoOverQUIC(t *testing.T, addr, clientID string) *paho.ClientOptions {
	_, clientTLS := testTLS(t)
	return paho.NewClientOptions().
		AddBroker("quic://" + addr).
		SetClientID(clientID).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(10 * time.Second).
		SetCustomOpenConnectionFn(func(uri *url.URL, _ paho.ClientOptions) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return Dial(ctx, uri.Host, clientTLS, nil)
		})
}

func wait(t *testing.T, what string, tok paho.Token) {
	t.Helper()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatalf("%s: timed out", what)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// THE round trip: mochi-mqtt serving a QUIC listener, paho connecting over QUIC, a message
// published by one client reaching the other's subscription.
func TestMochiAndPahoOverQUIC(t *testing.T) {
	ql, hook := startBroker(t)

	subscriber := paho.NewClient(pahoOverQUIC(t, ql.Addr().String(), "vehicle-sub"))
	wait(t, "subscriber connect", subscriber.Connect())
	t.Cleanup(func() { subscriber.Disconnect(100) })

	type message struct {
		topic   string
		payload string
		qos     byte
	}
	received := make(chan message, 4)
	const topic = "michi/outQueue/v2x/denm/edge-1/1/2/0/3"
	wait(t, "subscribe", subscriber.Subscribe("michi/outQueue/v2x/denm/+/1/2/#", 1, func(_ paho.Client, m paho.Message) {
		received <- message{m.Topic(), string(m.Payload()), m.Qos()}
	}))

	publisher := paho.NewClient(pahoOverQUIC(t, ql.Addr().String(), "vehicle-pub"))
	wait(t, "publisher connect", publisher.Connect())
	t.Cleanup(func() { publisher.Disconnect(100) })
	payload := `{"message_type":"denm","source_uuid":"edge-1","timestamp":1700000000000,"version":"1.1.3"}`
	wait(t, "publish", publisher.Publish(topic, 1, false, payload))

	got := within(t, 10*time.Second, "message at the subscriber", received)
	if got.topic != topic || got.payload != payload || got.qos != 1 {
		t.Fatalf("received %+v", got)
	}

	// The broker saw the clients arrive on the QUIC listener, from their QUIC addresses.
	hook.mu.Lock()
	remote := hook.remotes["vehicle-sub"]
	hook.mu.Unlock()
	if remote == "" || remote[:5] != "quic " {
		t.Fatalf("broker's view of the subscriber: %q", remote)
	}

	// A large message crosses too (several QUIC packets, flow-control updates).
	big := string(bytes.Repeat([]byte("x"), 200<<10))
	wait(t, "publish big", publisher.Publish(topic, 1, false, big))
	if got := within(t, 10*time.Second, "big message", received); got.payload != big {
		t.Fatalf("big message: %d bytes, want %d", len(got.payload), len(big))
	}
}

// A refused CONNECT reaches the client as the broker's CONNACK reason, not as a lost
// connection: the broker writes the CONNACK and closes at once, and the QUIC connection must
// stay open until the client has read it.
func TestMochiRefusalReachesPahoOverQUIC(t *testing.T) {
	ql, _ := startBroker(t)
	opts := pahoOverQUIC(t, ql.Addr().String(), "intruder-1").SetUsername("intruder").SetPassword("x")
	client := paho.NewClient(opts)
	tok := client.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatal("connect: timed out")
	}
	// mochi answers an MQTT 3.1.1 client it does not authenticate with return code 5.
	if err := tok.Error(); !errors.Is(err, pahopackets.ErrorRefusedNotAuthorised) {
		t.Fatalf("connect: %v, want the broker's refusal %q", err, pahopackets.ErrorRefusedNotAuthorised)
	}
}

// The broker closing its listeners ends the clients' connections.
func TestMochiCloseDisconnectsQUICClients(t *testing.T) {
	ql := newListener(t, ListenConfig{})
	broker := mqtt.New(&mqtt.Options{Logger: slog.New(slog.DiscardHandler)})
	if err := broker.AddHook(&gateHook{remotes: map[string]string{}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := broker.AddListener(listeners.NewNet("quic", ql)); err != nil {
		t.Fatal(err)
	}
	if err := broker.Serve(); err != nil {
		t.Fatal(err)
	}

	// A raw MQTT 3.1.1 CONNECT over the adapter, to watch the byte stream end.
	_, clientTLS := testTLS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, ql.Addr().String(), clientTLS, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	connect := []byte{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 30, 0, 1, 'r'}
	if _, err := c.Write(connect); err != nil {
		t.Fatal(err)
	}
	connack := make([]byte, 4)
	if _, err := io.ReadFull(c, connack); err != nil || !bytes.Equal(connack, []byte{0x20, 2, 0, 0}) {
		t.Fatalf("CONNACK = %x, %v", connack, err)
	}

	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, c)
		c.Close() // as a client does at the end of the stream; this ends the broker's linger
		done <- err
	}()
	broker.Close()
	if err := within(t, 10*time.Second, "client stream end after broker Close", done); err != nil {
		t.Fatalf("client read after broker Close: %v, want a clean end", err)
	}
}

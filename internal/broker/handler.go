package broker

import (
	"errors"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Handler is what the server asks of the application (the edge) about clients and what they
// send. Its methods run on the client's read goroutine, except MayRead, which the fan-out also
// calls for every delivery.
type Handler interface {
	// Connect authenticates a client's CONNECT (Conn.Username, Conn.Password) and may set
	// Conn.Session. An error refuses the client: one that carries a reason code (Coded) is
	// answered with that code, any other with "bad user name or password".
	Connect(c *Conn) error
	// Publish ingests what c published into {root}/inQueue/. An error that carries a reason code
	// is answered with it where the client can receive one (MQTT v5, QoS ≥ 1); the message is
	// acknowledged otherwise. Either way a refused message is neither retained nor relayed.
	// payload may be the connection's read buffer: it must not be kept after Publish returns.
	Publish(c *Conn, topic string, payload []byte) error
	// MayRead authorises c to read topic: a filter it subscribes to, a topic delivered to it.
	MayRead(c *Conn, topic string) bool
	// Disconnect is told that c's connection ended; ended reports whether its session ended with
	// it (a clean session, not taken over by a reconnect) or, later, expired.
	Disconnect(c *Conn, ended bool)
}

// Coded is an error with the MQTT v5 reason code the server answers it with.
type Coded interface {
	error
	ReasonCode() Code
}

// Code is an MQTT v5 reason code [MQTT-2.4]; the Handler answers with these.
type Code byte

// The reason codes the edge answers with.
const (
	CodeUnspecified          Code = 0x80
	CodeImplementationError  Code = 0x83 // implementation specific error
	CodeNotAuthorized        Code = 0x87
	CodeServerBusy           Code = 0x89
	CodeTopicNameInvalid     Code = 0x90
	CodePacketTooLarge       Code = 0x95
	CodeQuotaExceeded        Code = 0x97
	CodePayloadFormatInvalid Code = 0x99
)

// packetCodes maps the codes to mochi's, whose reason strings go on the wire in v5.
var packetCodes = map[Code]packets.Code{
	CodeUnspecified:          packets.ErrUnspecifiedError,
	CodeImplementationError:  packets.ErrImplementationSpecificError,
	CodeNotAuthorized:        packets.ErrNotAuthorized,
	CodeServerBusy:           packets.ErrServerBusy,
	CodeTopicNameInvalid:     packets.ErrTopicNameInvalid,
	CodePacketTooLarge:       packets.ErrPacketTooLarge,
	CodeQuotaExceeded:        packets.ErrQuotaExceeded,
	CodePayloadFormatInvalid: packets.ErrPayloadFormatInvalid,
}

func (c Code) packet() packets.Code {
	if pc, ok := packetCodes[c]; ok {
		return pc
	}
	return packets.Code{Code: byte(c), Reason: "refused"}
}

// reasonCode is err's code when it carries one.
func reasonCode(err error) (Code, bool) {
	var c Coded
	if errors.As(err, &c) {
		return c.ReasonCode(), true
	}
	return 0, false
}

// Conn is one MQTT client connection as the Handler sees it, and what the server keeps for it:
// in the connection's lane for a network client (no map lookup on the per-packet path).
type Conn struct {
	// Session is the Handler's, set in Connect; the server never reads it.
	Session any

	cl      *mqtt.Client // set before Connect: the client's read goroutine, then read-only
	client  *mqtt.Client // set once the session is established: the client's read goroutine only
	drops   atomic.Int64 // consecutive dropped deliveries (reset on a successful send)
	evicted atomic.Bool
	refused bool                            // Connect refused its credentials (OnConnect → OnConnectAuthenticate)
	replay  []retainedReplay                // set by OnSubscribe, consumed by OnSubscribed: the read goroutine only
	denied  atomic.Pointer[map[string]bool] // filters of the SUBSCRIBE in progress beyond MaxSubscriptions

	username, password string // the CONNECT's, set before Connect
}

// ID is the client identifier.
func (c *Conn) ID() string { return c.cl.ID }

// Remote is the client's network address.
func (c *Conn) Remote() string { return c.cl.Net.Remote }

// Username and Password are what the client's CONNECT carried.
func (c *Conn) Username() string { return c.username }
func (c *Conn) Password() string { return c.password }

// Closed reports whether the connection has ended.
func (c *Conn) Closed() bool { return c.cl.Closed() }

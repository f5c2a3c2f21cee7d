package edge

import (
	"errors"
	"fmt"

	"github.com/michi-v2x/michi/internal/broker"
)

// Reasons a message is rejected at ingest; each is a label of michi_edge_rejected_total.
const (
	ReasonOversize       = "oversize"        // payload larger than Options.MaxPayload
	ReasonTopic          = "topic"           // not a {root}/inQueue/v2x/{type}/{source}/{tile} topic
	ReasonMalformed      = "malformed"       // not decodable as the topic's message type
	ReasonInvalid        = "invalid"         // decodes but violates the schema (range, NaN, required field)
	ReasonClockSkew      = "clock_skew"      // timestamp too far from the edge's clock
	ReasonSourceMismatch = "source_mismatch" // topic source id differs from the payload's source_uuid
	ReasonTileMismatch   = "tile_mismatch"   // topic tile does not contain the payload's position
	ReasonImpersonation  = "impersonation"   // a connection publishing as a second source
	ReasonReplay         = "replay"          // not newer than what the same station already sent
	ReasonForbidden      = "forbidden"       // the connection's role may not publish it (internal/auth)
	ReasonRateLimited    = "rate_limited"    // the credential publishes faster than Limits.PublishRate
	ReasonStation        = "station"         // a station id the connection may not speak for (stations.go)
)

var (
	// ErrEdgeIdentity: the edge's certificate for the hub names another edge than edge_id.
	ErrEdgeIdentity = errors.New("edge identity")
)

// Rejection is why a message was refused, with the MQTT v5 reason code sent back for it.
type Rejection struct {
	Type   string      // cam, denm, cpm or "" when the topic could not be parsed
	Reason string      // one of the Reason… constants
	Code   broker.Code // the on-wire reason code
	Err    error       // the detail (which field, which value)
}

func (r *Rejection) Error() string {
	return fmt.Sprintf("reject %s (%s): %v", r.Type, r.Reason, r.Err)
}

func (r *Rejection) Unwrap() error { return r.Err }

// ReasonCode is the code the broker answers the rejection with (broker.Coded).
func (r *Rejection) ReasonCode() broker.Code { return r.Code }

func reject(typ, reason string, code broker.Code, err error) *Rejection {
	return &Rejection{Type: typ, Reason: reason, Code: code, Err: err}
}

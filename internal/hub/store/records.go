package store

import "github.com/michi-v2x/michi/internal/uplink"

// The records the store keeps are the uplink contract's (docs/ARCHITECTURE.md, internal/uplink);
// these aliases keep the storage code short.
type (
	Record           = uplink.Record
	Kind             = uplink.Kind
	HazardEvent      = uplink.HazardEvent
	TrafficAggregate = uplink.TrafficAggregate
	Health           = uplink.Health
	AuthorityHazard  = uplink.AuthorityHazard
)

const (
	KindHazard  = uplink.KindHazard
	KindTraffic = uplink.KindTraffic
	KindHealth  = uplink.KindHealth
)

var _ uplink.Sink = (*Store)(nil)

package client

import "sync/atomic"

// Stats are the client's counters since Dial.
type Stats struct {
	Connects         uint64 // sessions established: 1 + successful reconnections
	ConnectFailures  uint64 // connection attempts that failed
	StatesSent       uint64 // SendState calls that sent a CAM
	ReportsSent      uint64 // Report calls the edge acknowledged (MQTT) or that were sent (native)
	AlertsReceived   uint64 // alert messages received, duplicates included
	AlertsDuplicate  uint64 // … of which were a version already passed on (see Alert)
	AlertsDelivered  uint64 // alerts put on the Alerts channel
	AlertsDropped    uint64 // alerts dropped, oldest first, because the application did not read
	AlertsMalformed  uint64 // messages on an alert subscription that were not a valid DENM
	AlertsUnverified uint64 // alerts dropped because their signature did not verify (Options.AlertKeys)
	Rejected         uint64 // states or reports the server refused (native error frames, MQTT 5 PUBACK reason codes)
}

type counters struct {
	connects, connectFailures, statesSent, reportsSent atomic.Uint64
	received, duplicate, delivered, dropped, malformed atomic.Uint64
	rejected, unverified                               atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Connects: c.connects.Load(), ConnectFailures: c.connectFailures.Load(),
		StatesSent: c.statesSent.Load(), ReportsSent: c.reportsSent.Load(),
		AlertsReceived: c.received.Load(), AlertsDuplicate: c.duplicate.Load(),
		AlertsDelivered: c.delivered.Load(), AlertsDropped: c.dropped.Load(),
		AlertsMalformed: c.malformed.Load(), AlertsUnverified: c.unverified.Load(), Rejected: c.rejected.Load(),
	}
}

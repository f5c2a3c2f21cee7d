package main

import (
	"fmt"
	"time"

	"github.com/michi-v2x/michi/pkg/v2x"
	"github.com/michi-v2x/michi/pkg/v2x/client"
)

// printer writes one line per alert. The SDK passes each version of a hazard once (the edge
// publishes it on every tile its area touches); the printer names the first version of a hazard
// an alert and the later ones updates, each with its alert latency (Alert.AlertLatency: the edge
// accepting the event → this vehicle reading it, docs/metrics.md). A hazard replayed on
// subscribing (an MQTT retained copy: active before this vehicle subscribed) is shown with its
// age, the time since its version was published, since that is not a latency.
type printer struct {
	seen map[v2x.ActionID]bool
}

func (p printer) line(a client.Alert) string {
	what := "alert"
	switch {
	case a.Terminated():
		what = "ended"
	case p.seen[a.ActionID]:
		what = "update"
	}
	p.seen[a.ActionID] = true
	cause, _ := a.DENM.Cause()
	pos := a.DENM.EventPosition()
	// millisecond resolution: the edge stamps the accept time in the DENM's reference_time
	timing := fmt.Sprintf("alert latency %s", a.AlertLatency.Round(time.Millisecond))
	if a.Replayed {
		age := a.Latency.Round(100 * time.Millisecond)
		if a.Latency < time.Second {
			age = a.Latency.Round(time.Millisecond)
		}
		timing = fmt.Sprintf("replayed on subscribing, this version published %s ago", age)
	}
	return fmt.Sprintf("%s %s: %s (cause %d) at %.6f,%.6f, %s over %s", what, a.ActionID,
		v2x.CauseName(cause), cause, pos.Lat, pos.Lon, timing, a.Transport)
}

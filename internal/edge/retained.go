package edge

import (
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// OnSubscribed completes the retained messages a new "…/tile/#" subscription receives.
//
// A multi-level wildcard also matches its parent level ([MQTT-4.7.1-2]: "sport/#" matches
// "sport"), and mochi-mqtt v2.7.9 honours that for live messages but not when it replays retained
// messages on subscribe: a vehicle subscribing to {root}/outQueue/v2x/denm/+/{16 digits}/# would
// miss every hazard retained on exactly that zoom-16 tile — the very case the tile scheme relies
// on. So the edge sends the parent-level retained messages itself. They go out at QoS 0 (mochi's
// inflight bookkeeping is internal; a hazard is republished on every update and refresh anyway),
// may precede the SUBACK (allowed by MQTT 3.1.1 §3.8.4 and 5.0 §3.8.4), and honour retain
// handling 2 ("do not send"). TestLateSubscriberGetsHazardOnItsExactTile fails if mochi ever
// starts sending them too, so the workaround can then go.
func (h *hook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, reasonCodes []byte) {
	if cl.Net.Inline {
		return
	}
	for i, sub := range pk.Filters {
		if i >= len(reasonCodes) || reasonCodes[i] > 2 || sub.RetainHandling == 2 {
			continue
		}
		parent, ok := strings.CutSuffix(sub.Filter, "/#")
		if !ok || parent == "" || strings.HasPrefix(parent, "$share/") {
			continue
		}
		for _, r := range h.n.broker.Topics.Messages(parent) {
			if !h.OnACLCheck(cl, r.TopicName, false) {
				continue
			}
			out := r.Copy(false)
			out.FixedHeader.Qos = 0
			out.FixedHeader.Retain = true // a retained replay [MQTT-3.3.1-9]
			out.PacketID = 0
			_ = cl.WritePacket(out)
		}
	}
}

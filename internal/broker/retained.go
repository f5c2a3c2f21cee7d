package broker

import (
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Retained replay on subscribe.
//
// The server replays retained messages itself for two reasons.
//
// Stack memory. mochi-mqtt v2.7.9 looks retained messages up with a recursive trie walk
// (TopicsIndex.scanMessages) whose frame is over 4 KiB, one frame per filter level, on the
// client's read goroutine. A tile filter {root}/outQueue/v2x/denm/+/{16 digits}/# has 22 levels:
// every subscribing vehicle's read goroutine grew to a 128 KiB stack, which the runtime gives
// back only over several GC cycles (and then keeps as idle heap). The edge runs the lookups on a
// short-lived goroutine instead, whose stack is freed when the replay is done, and asks mochi not
// to replay subscriptions to {root}/outQueue/ (retain handling 2, set in OnSubscribe). Everything
// retained there is written by the edge alone (OnACLCheck), at QoS 0 (publishRetained), so the
// replay below — QoS 0, retain flag set, the subscription identifier and an outbound topic alias
// as mochi's publishToClient would — is what mochi would have sent. Retain handling 1 and 2 keep
// their meaning. Filters outside outQueue are left to mochi.
//
// Parent level. A multi-level wildcard also matches its parent level ([MQTT-4.7.1-2]: "sport/#"
// matches "sport"), and mochi honours that for live messages but not when it replays retained
// messages on subscribe: a vehicle subscribing to {root}/outQueue/v2x/denm/+/{16 digits}/# would
// miss every hazard retained on exactly that zoom-16 tile — the very case the tile scheme relies
// on. So the edge also sends the parent-level retained messages of every "…/#" filter.
//
// Replayed messages may precede the SUBACK (allowed by MQTT 3.1.1 §3.8.4 and 5.0 §3.8.4).
// TestLateSubscriberGetsHazardOnItsExactTile and TestLateSubscriberGetsEveryHazardOnATile
// (internal/edge) cover both parts; TestMochiRetainedLookupGrowsTheStack and
// TestMochiReplaysNoParentLevel fail when mochi stops behaving as described.

// retainedReplay is one filter of a SUBSCRIBE whose retained messages the edge sends.
type retainedReplay struct {
	index int  // in the packet's Filters
	all   bool // the filter's own matches too (taken over from mochi), not only the parent level
}

// OnSubscribe takes the retained replay of {root}/outQueue/ filters over from mochi.
func (h *hook) OnSubscribe(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if cl.Net.Inline {
		return pk
	}
	st := h.state(cl)
	h.s.limitSubscriptions(cl, st, pk)
	st.replay = st.replay[:0]
	for i := range pk.Filters {
		sub := &pk.Filters[i]
		_, existed := cl.State.Subscriptions.Get(sub.Filter)
		send := sub.RetainHandling == 0 || sub.RetainHandling == 1 && !existed // [MQTT-3.3.1-9] … [MQTT-3.3.1-11]
		if h.s.inOutQueue(sub.Filter) {
			sub.RetainHandling = 2 // mochi: do not replay; the edge does
			if send {
				st.replay = append(st.replay, retainedReplay{index: i, all: true})
			}
			continue
		}
		if send && strings.HasSuffix(sub.Filter, "/#") && !mqtt.IsSharedFilter(sub.Filter) {
			st.replay = append(st.replay, retainedReplay{index: i})
		}
	}
	return pk
}

// OnSubscribed sends the retained messages OnSubscribe kept for the edge to replay, from a
// goroutine of its own (see above) that the read goroutine waits for.
func (h *hook) OnSubscribed(cl *mqtt.Client, pk packets.Packet, reasonCodes []byte) {
	for i, sub := range pk.Filters {
		if i < len(reasonCodes) && reasonCodes[i] <= 2 {
			h.s.subs.add(cl, sub)
		}
	}
	if cl.Net.Inline {
		return
	}
	st := h.state(cl)
	st.denied.Store(nil)
	replay := st.replay
	st.replay = nil
	var subs []retainedReplay
	for _, r := range replay {
		if r.index < len(pk.Filters) && r.index < len(reasonCodes) && reasonCodes[r.index] <= 2 {
			subs = append(subs, r)
		}
	}
	if len(subs) == 0 {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, r := range subs {
			h.replayRetained(cl, pk.Filters[r.index], r.all)
		}
	}()
	<-done
}

func (h *hook) replayRetained(cl *mqtt.Client, sub packets.Subscription, all bool) {
	var msgs []packets.Packet
	if all {
		msgs = h.s.mochi.Topics.Messages(sub.Filter)
	}
	if parent, ok := strings.CutSuffix(sub.Filter, "/#"); ok && parent != "" {
		msgs = append(msgs, h.s.mochi.Topics.Messages(parent)...)
	}
	for _, r := range msgs {
		if !h.OnACLCheck(cl, r.TopicName, false) {
			continue
		}
		out := r.Copy(false)
		out.FixedHeader.Qos = 0
		out.FixedHeader.Retain = true // a retained replay [MQTT-3.3.1-9]
		out.PacketID = 0
		if sub.Identifier > 0 {
			out.Properties.SubscriptionIdentifier = []int{sub.Identifier} // [MQTT-3.3.4-3]
		}
		if cl.Properties.Props.TopicAliasMaximum > 0 {
			alias, exists := cl.State.TopicAliases.Outbound.Set(r.TopicName)
			if alias > 0 {
				out.Properties.TopicAlias, out.Properties.TopicAliasFlag = alias, true
				if exists {
					out.TopicName = ""
				}
			}
		}
		_ = cl.WritePacket(out)
	}
}

package broker

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// subIndex mirrors, from the broker's subscribe and unsubscribe hooks, the subscriptions that
// can match the hazards the edge publishes on {root}/outQueue/v2x/denm/{source}/{digits…}, so
// that a hazard's recipients are found with a few map lookups per topic. The broker's own lookup
// (TopicsIndex.Subscribers) walks the topic trie and builds maps of every matching subscription;
// for a hazard on five tiles among 2,000 vehicles that took about a millisecond.
//
// Vehicles subscribe to tile filters, {root}/outQueue/v2x/denm/{+|source}/{d1}/…/{dk}/#: those
// are indexed by source and digits, and a topic's matches are the entries under each prefix of
// its digits. Any other filter that can match a DENM topic (a dashboard's "…/outQueue/#", say) is
// kept in a list and matched level by level. Shared subscriptions and in-process subscribers that
// can match are only counted: while there is one, hazards go through the broker's publish path.
//
// It also counts the subscriptions that can match forwarded telemetry,
// {root}/outQueue/v2x/{cam|cpm}/…: forwarding (Options.ForwardTelemetry) costs a broker publish
// per CAM, and the edge forwards only while the count is above zero. The count may be high (a
// filter that matches the prefix but no actual topic), never low.
type subIndex struct {
	prefix     string      // {root}/outQueue/v2x/denm/
	denmLevels []string    // the levels of prefix, for matching other filters
	telLevels  [2][]string // {root}/outQueue/v2x/cam and …/cpm
	inLevels   []string    // {root}/inQueue

	mu        sync.RWMutex
	tiles     map[tileKey]map[string]indexed // tile filters → client id → subscription
	others    map[string]map[string]otherSub // client id → filter → subscription
	kinds     map[string]map[string]subEntry // client id → filter → where it is indexed
	viaBroker int                            // shared or in-process subscriptions that can match

	telemetry atomic.Int64 // subscriptions that can match forwarded telemetry
	inbound   atomic.Int64 // subscriptions that can match what clients publish
}

type tileKey struct{ source, digits string } // source "+" for any

type indexed struct {
	cl  *mqtt.Client
	rap bool // retain as published
	id  int  // subscription identifier, 0 for none
}

type otherSub struct {
	indexed
	levels []string
}

type subKind uint8

// subEntry is what the index did with one (client, filter).
type subEntry struct {
	kind      subKind // 0: it cannot match a hazard
	telemetry bool    // counted in telemetry
	inbound   bool    // counted in inbound
}

const (
	kindTile subKind = iota + 1
	kindOther
	kindBroker
)

func newSubIndex(root string) *subIndex {
	prefix := root + "/outQueue/v2x/denm/"
	queue := strings.Split(root+"/outQueue/v2x", "/")
	return &subIndex{
		prefix:     prefix,
		denmLevels: strings.Split(strings.TrimSuffix(prefix, "/"), "/"),
		telLevels:  [2][]string{append(slices.Clone(queue), "cam"), append(slices.Clone(queue), "cpm")},
		inLevels:   strings.Split(root+"/inQueue", "/"),
		tiles:      map[tileKey]map[string]indexed{},
		others:     map[string]map[string]otherSub{},
		kinds:      map[string]map[string]subEntry{},
	}
}

// add indexes a granted subscription of cl (replacing the client's earlier one to the same filter).
func (x *subIndex) add(cl *mqtt.Client, sub packets.Subscription) {
	filter := sub.Filter
	shared := strings.HasPrefix(filter, "$share/")
	if shared {
		_, filter, _ = strings.Cut(strings.TrimPrefix(filter, "$share/"), "/")
	}
	levels := strings.Split(filter, "/")
	hazards := filterCovers(levels, x.denmLevels)
	telemetry := filterCovers(levels, x.telLevels[0]) || filterCovers(levels, x.telLevels[1])
	inbound := filterCovers(levels, x.inLevels)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(cl.ID, sub.Filter)
	if !hazards && !telemetry && !inbound {
		return
	}
	if telemetry {
		x.telemetry.Add(1)
	}
	if inbound {
		x.inbound.Add(1)
	}
	e := indexed{cl: cl, rap: sub.RetainAsPublished, id: sub.Identifier}
	var kind subKind
	switch key, ok := tileFilter(strings.TrimPrefix(filter, x.prefix)); {
	case !hazards:
	case shared || cl.Net.Inline:
		kind = kindBroker
		x.viaBroker++
	case ok && strings.HasPrefix(filter, x.prefix):
		kind = kindTile
		m := x.tiles[key]
		if m == nil {
			m = map[string]indexed{}
			x.tiles[key] = m
		}
		m[cl.ID] = e
	default:
		kind = kindOther
		m := x.others[cl.ID]
		if m == nil {
			m = map[string]otherSub{}
			x.others[cl.ID] = m
		}
		m[sub.Filter] = otherSub{indexed: e, levels: levels}
	}
	k := x.kinds[cl.ID]
	if k == nil {
		k = map[string]subEntry{}
		x.kinds[cl.ID] = k
	}
	k[sub.Filter] = subEntry{kind: kind, telemetry: telemetry, inbound: inbound}
}

// remove forgets a subscription of client id.
func (x *subIndex) remove(id, filter string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(id, filter)
}

func (x *subIndex) removeLocked(id, filter string) {
	e, ok := x.kinds[id][filter]
	if !ok {
		return
	}
	if e.telemetry {
		x.telemetry.Add(-1)
	}
	if e.inbound {
		x.inbound.Add(-1)
	}
	switch e.kind {
	case kindBroker:
		x.viaBroker--
	case kindTile:
		key, _ := tileFilter(strings.TrimPrefix(filter, x.prefix))
		if m := x.tiles[key]; m != nil {
			delete(m, id)
			if len(m) == 0 {
				delete(x.tiles, key)
			}
		}
	case kindOther:
		delete(x.others[id], filter)
		if len(x.others[id]) == 0 {
			delete(x.others, id)
		}
	}
	delete(x.kinds[id], filter)
	if len(x.kinds[id]) == 0 {
		delete(x.kinds, id)
	}
}

// tileFilter parses "{source|+}/{d1}/…/{dk}/#" (k ≥ 0), the part of a tile filter after the
// DENM prefix.
func tileFilter(rest string) (tileKey, bool) {
	source, tail, ok := strings.Cut(rest, "/")
	if !ok || source == "" || source == "#" || strings.ContainsAny(source, "#") || source != "+" && strings.Contains(source, "+") {
		return tileKey{}, false
	}
	digits, ok := strings.CutSuffix(tail, "#")
	if !ok {
		return tileKey{}, false
	}
	var b strings.Builder
	for i := 0; i < len(digits); i += 2 {
		if i+1 >= len(digits) || digits[i] < '0' || digits[i] > '3' || digits[i+1] != '/' {
			return tileKey{}, false
		}
		b.WriteByte(digits[i])
	}
	return tileKey{source: source, digits: b.String()}, true
}

// clientMatch is one client's delivery of one topic: the subscriptions of it that match, merged.
type clientMatch struct {
	cl  *mqtt.Client
	rap bool
	ids []int // sorted, without 0
}

// match returns, per client id, how topic (from source, in tile digits) reaches it, or
// ok == false when a shared or in-process subscription might want it (the broker must publish).
// The matches are values in into, so a hazard's fan-out allocates nothing per client and topic.
func (x *subIndex) match(topic, source, digits string, into map[string]clientMatch) (ok bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.viaBroker > 0 {
		return false
	}
	add := func(id string, e indexed) {
		m, seen := into[id]
		if !seen {
			m.cl = e.cl
		}
		m.rap = m.rap || e.rap
		if e.id > 0 && !slices.Contains(m.ids, e.id) {
			m.ids = append(m.ids, e.id)
			slices.Sort(m.ids)
		}
		into[id] = m
	}
	for k := 0; k <= len(digits); k++ {
		for _, src := range [2]string{"+", source} {
			for id, e := range x.tiles[tileKey{source: src, digits: digits[:k]}] {
				add(id, e)
			}
		}
	}
	var levels []string
	for id, subs := range x.others {
		for _, s := range subs {
			if levels == nil {
				levels = strings.Split(topic, "/")
			}
			if filterMatches(s.levels, levels) {
				add(id, s.indexed)
			}
		}
	}
	return true
}

// filterMatches is MQTT topic matching of filter levels against topic levels ([MQTT-4.7]; the
// edge's topics never start with '$').
func filterMatches(filter, topic []string) bool {
	for i, f := range filter {
		if f == "#" {
			return true // also the parent level [MQTT-4.7.1-2]
		}
		if i >= len(topic) || f != "+" && f != topic[i] {
			return false
		}
	}
	return len(filter) == len(topic)
}

// filterCovers reports whether filter levels can match some topic that starts with the prefix
// levels and has at least one level more.
func filterCovers(filter, prefix []string) bool {
	for i, want := range prefix {
		if i >= len(filter) {
			return false
		}
		switch filter[i] {
		case "#":
			return true
		case "+":
		default:
			if filter[i] != want {
				return false
			}
		}
	}
	return len(filter) > len(prefix)
}

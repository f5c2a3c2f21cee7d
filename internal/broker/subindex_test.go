package broker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
	"github.com/stretchr/testify/require"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/michi-v2x/michi/pkg/v2x"
)

// The index finds exactly the clients, and subscription identifiers, that the broker's own topic
// index matches, for random subscriptions of every shape — tile filters of any zoom, by source or
// any, wildcards elsewhere, exact tiles, other types — added and removed at random.
func TestSubIndexAgreesWithBroker(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(n int) []string {
		d := make([]string, n)
		for i := range d {
			d[i] = string(rune('0' + rng.IntN(2))) // two digits only: prefixes collide often
		}
		return d
	}
	sources := []string{"michi_edge-1", "michi_edge-2"}
	randomFilter := func() string {
		src := []string{"+", sources[0], sources[1]}[rng.IntN(3)]
		tile := strings.Join(digits(rng.IntN(6)), "/")
		if tile != "" {
			tile += "/"
		}
		switch rng.IntN(12) {
		case 0:
			return "#"
		case 1:
			return "michi/outQueue/#"
		case 2:
			return "michi/+/v2x/denm/#"
		case 3:
			return "michi/outQueue/v2x/denm/" + src + "/" + strings.TrimSuffix(tile, "/") // exact level
		case 4:
			return "michi/outQueue/v2x/+/" + src + "/" + tile + "#"
		case 5:
			return "michi/outQueue/v2x/cam/" + src + "/" + tile + "#"
		case 6: // never "+/#" at a topic's last level: mochi-mqtt v2.7.9 does not match the
			// parent level after a "+" ("a/+/#" misses "a/b", [MQTT-4.7.1-2]); the index does
			return "michi/outQueue/v2x/denm/" + src + "/+/" + strings.Join(digits(1+rng.IntN(3)), "/") + "/" + tile + "#"
		case 7:
			return "other/outQueue/v2x/denm/+/#"
		default:
			return "michi/outQueue/v2x/denm/" + src + "/" + tile + "#"
		}
	}

	broker := mqtt.NewTopicsIndex()
	x := newSubIndex("michi")
	clients := make([]*mqtt.Client, 12)
	for i := range clients {
		clients[i] = &mqtt.Client{ID: fmt.Sprintf("c%d", i)}
	}
	type key struct{ client, filter string }
	live := map[key]bool{}
	for round := range 3000 {
		cl := clients[rng.IntN(len(clients))]
		if f := randomFilter(); rng.IntN(3) > 0 {
			sub := packets.Subscription{Filter: f, Identifier: rng.IntN(3), RetainAsPublished: rng.IntN(2) == 0}
			broker.Subscribe(cl.ID, sub)
			x.add(cl, sub)
			live[key{cl.ID, f}] = true
		} else {
			broker.Unsubscribe(f, cl.ID)
			x.remove(cl.ID, f)
			delete(live, key{cl.ID, f})
		}

		source := sources[rng.IntN(2)]
		d := digits(1 + rng.IntN(7))
		topic := "michi/outQueue/v2x/denm/" + source + "/" + strings.Join(d, "/")
		got := map[string]clientMatch{}
		require.True(t, x.match(topic, source, strings.Join(d, ""), got))
		want := broker.Subscribers(topic).Subscriptions
		require.Equal(t, len(want), len(got), "round %d, topic %s", round, topic)
		for id, sub := range want {
			m, ok := got[id]
			require.True(t, ok, "round %d: %s misses %s", round, topic, id)
			var ids []int
			for _, i := range sub.Identifiers {
				if i > 0 && !slices.Contains(ids, i) {
					ids = append(ids, i)
				}
			}
			slices.Sort(ids)
			require.Equal(t, ids, m.ids, "round %d: identifiers of %s for %s", round, id, topic)
		}
	}
	require.NotEmpty(t, live)
}

// A shared or in-process subscription that can match sends hazards the broker's way, until it goes.
func TestSubIndexLeavesSharedToBroker(t *testing.T) {
	x := newSubIndex("michi")
	cl := &mqtt.Client{ID: "dash"}
	x.add(cl, packets.Subscription{Filter: "$share/ops/michi/outQueue/#"})
	require.False(t, x.match("michi/outQueue/v2x/denm/s/1/2", "s", "12", map[string]clientMatch{}))
	x.remove("dash", "$share/ops/michi/outQueue/#")
	require.True(t, x.match("michi/outQueue/v2x/denm/s/1/2", "s", "12", map[string]clientMatch{}))
	x.add(cl, packets.Subscription{Filter: "$share/ops/michi/outQueue/v2x/cam/#"}) // cannot match a DENM
	require.True(t, x.match("michi/outQueue/v2x/denm/s/1/2", "s", "12", map[string]clientMatch{}))
}

func TestFilterMatches(t *testing.T) {
	for _, c := range []struct {
		filter, topic string
		want          bool
	}{
		{"a/+/#", "a/b", true}, // the parent level [MQTT-4.7.1-2]
		{"a/#", "a", true},
		{"a/+", "a/b/c", false},
		{"a/+/c", "a/b/c", true},
		{"a/b", "a/b/c", false},
		{"#", "a/b", true},
	} {
		require.Equal(t, c.want, filterMatches(strings.Split(c.filter, "/"), strings.Split(c.topic, "/")), "%s vs %s", c.filter, c.topic)
	}
}

// BenchmarkHazardMatch finds the subscribers of a hazard on five tiles among 2,000 vehicles that
// each subscribe to their zoom-16 tile and its 8 neighbours in a 5 km square: the edge's index
// against the broker's topic trie.
func BenchmarkHazardMatch(b *testing.B) {
	center := geo.Point{Lat: 45.76, Lon: 4.84}
	broker := mqtt.NewTopicsIndex()
	x := newSubIndex("michi")
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 {
		cl := &mqtt.Client{ID: fmt.Sprintf("v%d", i)}
		p := geo.Destination(center, rng.Float64()*360, rng.Float64()*2500)
		qk := geo.Quadkey(p, 16)
		for _, t := range append(geo.QuadkeyNeighbours(qk), qk) {
			sub := packets.Subscription{Filter: v2x.SubscriptionFilter("michi", v2x.OutQueue, v2x.TypeDENM, t)}
			broker.Subscribe(cl.ID, sub)
			x.add(cl, sub)
		}
	}
	var topics []v2x.Topic
	for _, topic := range hazardTopics(center) {
		t, err := v2x.ParseTopic(topic)
		require.NoError(b, err)
		topics = append(topics, t)
	}
	b.Run("index", func(b *testing.B) {
		into := map[string]clientMatch{}
		for range b.N {
			for _, t := range topics {
				clear(into)
				x.match(t.String(), t.SourceID, t.Quadkey, into)
			}
		}
		b.ReportMetric(float64(len(topics)), "topics")
	})
	b.Run("broker", func(b *testing.B) {
		for range b.N {
			for _, t := range topics {
				_ = broker.Subscribers(t.String())
			}
		}
	})
}

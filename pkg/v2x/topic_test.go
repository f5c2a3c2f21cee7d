package v2x

import (
	"strings"
	"testing"

	"github.com/michi-v2x/michi/pkg/geo"
	"github.com/stretchr/testify/require"
)

func TestParseTopic(t *testing.T) {
	good := []struct {
		in   string
		want Topic
	}{
		{"5GCroCo/inQueue/v2x/cam/com_car_42/1/2/0/3", Topic{Root: "5GCroCo", Queue: InQueue, Type: TypeCAM, SourceID: "com_car_42", Quadkey: "1203"}},
		{"a/b/c/outQueue/v2x/denm/77/0", Topic{Root: "a/b/c", Queue: OutQueue, Type: TypeDENM, SourceID: "77", Quadkey: "0"}},
		{"r/interQueue/v2x/cpm/x/" + strings.Repeat("3/", 22) + "3", Topic{Root: "r", Queue: InterQueue, Type: TypeCPM, SourceID: "x", Quadkey: strings.Repeat("3", 23)}},
		// The first queue followed by v2x wins: a root may contain "inQueue".
		{"inQueue/inQueue/v2x/cam/s/1", Topic{Root: "inQueue", Queue: InQueue, Type: TypeCAM, SourceID: "s", Quadkey: "1"}},
	}
	for _, g := range good {
		got, err := ParseTopic(g.in)
		require.NoError(t, err, g.in)
		require.Equal(t, g.want, got)
		require.Equal(t, g.in, got.String(), "String is the inverse")
	}
	bad := map[string]string{
		"":                        "empty",
		"inQueue/v2x/cam/s/1":     "no root",
		"/inQueue/v2x/cam/s/1":    "empty root",
		"a//inQueue/v2x/cam/s/1":  "empty root level",
		"r/queue/v2x/cam/s/1":     "no queue",
		"r/inQueue/v2x/mapem/s/1": "unknown type",
		"r/inQueue/v2x/cam//1":    "empty source",
		"r/inQueue/v2x/cam/s":     "no quadkey",
		"r/inQueue/v2x/cam/s/4":   "digit 4",
		"r/inQueue/v2x/cam/s/12":  "two digits in a level",
		"r/inQueue/v2x/cam/s/1/":  "empty level",
		"r/inQueue/v2x/cam/+/1":   "wildcard",
		"r/inQueue/v2x/cam/s/1/#": "wildcard",
		"r/inQueue/v2x/cam/s/" + strings.Repeat("0/", 23) + "0": "24 levels",
	}
	for in, why := range bad {
		_, err := ParseTopic(in)
		require.ErrorIs(t, err, ErrBadTopic, "%s: %q", why, in)
		require.Contains(t, err.Error(), "bad topic")
	}
}

func TestSubscriptionFilter(t *testing.T) {
	require.Equal(t, "root/outQueue/v2x/denm/+/1/2/0/#", SubscriptionFilter("root", OutQueue, TypeDENM, "120"))
	require.Equal(t, "a/b/outQueue/v2x/+/+/#", SubscriptionFilter("a/b", OutQueue, "", ""))
}

func TestTopicFor(t *testing.T) {
	m := fixtureByName(t, "denm_accident").decode(t)
	tp := TopicFor("michi", InQueue, m, "com_car_1")
	require.Equal(t, TypeDENM, tp.Type)
	require.Len(t, tp.Quadkey, TopicZoom)
	require.Equal(t, geo.Quadkey(m.Location(), TopicZoom), tp.Quadkey)
	back, err := ParseTopic(tp.String())
	require.NoError(t, err)
	require.Equal(t, tp, back)
}

func BenchmarkParseTopic(b *testing.B) {
	s := "michi/inQueue/v2x/cam/com_car_42/1/2/0/2/2/0/1/3/0/2/2/2/1/3/3/0/1/2/2/0/3/1"
	b.ReportAllocs()
	for range b.N {
		if _, err := ParseTopic(s); err != nil {
			b.Fatal(err)
		}
	}
}
